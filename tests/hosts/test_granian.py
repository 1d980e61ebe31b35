"""Real granian on 127.0.0.1. granian makes its loop and sets it for the thread before it imports
the app, so ``apply()`` at import meets a loop that is set but not running: it must not claim
what that loop does not run, and ``configure_loop`` at import gives it the task factory.

Needs the ``test-hosts`` dependency group (make test-hosts).
"""

from __future__ import annotations

import importlib.util
import signal
import sys
from pathlib import Path

import pytest

from .serving import asgi_project, free_port, keep_alive, server

if importlib.util.find_spec("granian") is None:
    pytest.skip("needs the test-hosts group (make test-hosts)", allow_module_level=True)

pytestmark = pytest.mark.hosts

EAGER = sys.version_info >= (3, 12)
STDLIB_LOOP = "asyncio.unix_events._UnixSelectorEventLoop"
PROFILES = sorted(p.stem for p in (Path(__file__).parents[2] / "profiles").glob("*.toml"))
#: The recipe of docs/deploying.md: granian's loop is set, not running, when the app is imported.
AT_IMPORT = "tuning = flujo_tuning.apply()\nCONFIGURED = tuning.configure_loop(asyncio.get_event_loop())"


def _granian(port: int, loop: str) -> list[str]:
    return [
        sys.executable, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port),
        "--workers", "1", "--loop", loop, "asgi:app",
    ]  # fmt: skip


@pytest.mark.parametrize("profile", PROFILES)
def test_every_shipped_profile_with_the_matching_loop_and_configure_loop(
    tmp_path: Path, profile: str
) -> None:
    stock = profile in ("stdlib", "debug")
    port = free_port()
    project = asgi_project(tmp_path, at_import=AT_IMPORT)
    command = _granian(port, "asyncio" if stock else "uvloop")
    with server(command, project, port, FLUJO_PROFILE=profile) as process:
        reports = keep_alive(port, 3)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert "Traceback" not in err
    assert out == "" or "flujo_tuning" not in out  # granian's own lines are its business
    report = reports[-1]
    assert report["loop"] == (STDLIB_LOOP if stock else "uvloop.Loop")
    assert report["verify"] == []  # the loop runs what was decided, eager tasks included
    if profile == "throughput" and EAGER:
        assert report["task_factory"] is not None


@pytest.mark.skipif(not EAGER, reason="eager tasks need Python 3.12")
def test_without_configure_loop_the_decision_says_it_is_not_in_effect(tmp_path: Path) -> None:
    port = free_port()
    project = asgi_project(tmp_path, at_import="flujo_tuning.apply()")
    with server(_granian(port, "uvloop"), project, port, FLUJO_PROFILE="throughput") as process:
        (report,) = keep_alive(port, 1)
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)
    assert report["task_factory"] is None
    (difference,) = report["verify"]
    assert difference.startswith("task_factory: decided eager")
    in_effect = dict(zip(report["choices"], report["in_effect"], strict=True))
    assert in_effect["task_factory"] is False  # apply() saw granian's loop set, not yet running
    assert in_effect["event_loop"] is True


def test_a_loop_class_other_than_the_decision_is_reported_with_the_granian_fix(tmp_path: Path) -> None:
    port = free_port()
    project = asgi_project(tmp_path, at_import="flujo_tuning.apply()")
    with server(_granian(port, "uvloop"), project, port, FLUJO_PROFILE="stdlib") as process:
        (report,) = keep_alive(port, 1)
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)
    assert report["verify"][0].startswith("event_loop: decided asyncio")
    assert "granian made this loop: start it with --loop" in report["reason"]
