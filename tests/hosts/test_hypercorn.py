"""Real hypercorn on 127.0.0.1, the app applying a profile at import: every shipped profile serves
keep-alive requests, Ctrl-C stops the server, and the handlers see what the decisions say.

hypercorn assumes ``create_task`` does not run the coroutine at once: with eager tasks in its loop
(``task_factory_scope = "process"``) a request logs ``'HTTPStream' object has no attribute
'app_put'`` and the next request on the connection hangs. So eager tasks stay out of its loop.
Needs the ``test-hosts`` dependency group (make test-hosts).
"""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
from pathlib import Path

import pytest

from .serving import asgi_project, free_port, keep_alive, server

if importlib.util.find_spec("hypercorn") is None:
    pytest.skip("needs the test-hosts group (make test-hosts)", allow_module_level=True)

pytestmark = pytest.mark.hosts

EAGER = sys.version_info >= (3, 12)
STDLIB_LOOP = "asyncio.unix_events._UnixSelectorEventLoop"
PROFILES = sorted(p.stem for p in (Path(__file__).parents[2] / "profiles").glob("*.toml"))


def _hypercorn(port: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "hypercorn", "--bind", f"127.0.0.1:{port}", *extra, "asgi:app"]


@pytest.mark.parametrize("profile", PROFILES)
def test_every_shipped_profile_serves_keep_alive_requests_and_stops_on_ctrl_c(
    tmp_path: Path, profile: str
) -> None:
    port = free_port()
    project = asgi_project(tmp_path, at_import="flujo_tuning.apply()")
    with server(_hypercorn(port), project, port, FLUJO_PROFILE=profile) as process:
        reports = keep_alive(port, 3)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert out == ""  # nothing of ours on stdout
    report = reports[-1]
    assert report["task_factory"] is None  # hypercorn's loop never gets eager tasks behind its back
    stock = profile in ("stdlib", "debug")
    assert report["loop"] == (STDLIB_LOOP if stock else "uvloop.Loop")
    if profile == "throughput" and EAGER:
        (difference,) = report["verify"]  # said, not hidden: eager tasks are not in this loop
        assert difference.startswith("task_factory: decided eager (")
        assert "tuning.configure_loop(loop)" in difference
    elif profile == "debug":  # hypercorn sets its loop's debug mode itself (its --debug): said
        assert report["verify"] == ["asyncio_debug: decided on but the running loop's debug mode is off"]
    else:
        assert report["verify"] == []


@pytest.mark.skipif(not EAGER, reason="eager tasks need Python 3.12")
def test_eager_tasks_in_hypercorn_s_loop_are_what_breaks_it(tmp_path: Path) -> None:
    """The reason for the default scope, kept true: task_factory_scope = "process" breaks it."""
    port = free_port()
    project = asgi_project(tmp_path, at_import="flujo_tuning.apply()")
    env = {"FLUJO_PROFILE": "throughput", "FLUJO_TASK_FACTORY_SCOPE": "process"}
    with server(_hypercorn(port), project, port, **env) as process:
        with pytest.raises(TimeoutError):
            keep_alive(port, 2)
        os.killpg(process.pid, signal.SIGKILL)  # the server and its worker process: it hangs
        _, err = process.communicate(timeout=20)
    assert "'HTTPStream' object has no attribute 'app_put'" in err


def test_apply_in_the_lifespan_names_the_hypercorn_fix(tmp_path: Path) -> None:
    port = free_port()
    project = asgi_project(tmp_path, at_startup="flujo_tuning.apply()")
    with server(_hypercorn(port), project, port, FLUJO_PROFILE="debug") as process:
        (report,) = keep_alive(port, 1)
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)
    assert "hypercorn made this loop" in report["reason"]
    assert "apply() at the import of the app" in report["reason"]
    assert report["verify"] == ["asyncio_debug: decided on but the running loop's debug mode is off"]
