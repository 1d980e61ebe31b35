"""Real uvicorn and gunicorn on 127.0.0.1: handlers run on the decided loop, and say so.

Each test starts the server in a subprocess on a free port, makes a bounded number of requests to
an endpoint that reports the running loop, its task factory, verify() and the fingerprint, then
stops the server.
"""

from __future__ import annotations

import asyncio
import importlib.util
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from ..conftest import write
from .serving import asgi_project as _project
from .serving import free_port as _free_port
from .serving import get as _get
from .serving import server as _server

# Not imported here: the servers run in subprocesses, and an imported uvicorn would change the fix
# apply() suggests in this process.
if importlib.util.find_spec("uvicorn") is None:
    pytest.skip("needs the server extra", allow_module_level=True)

LOOP = "flujo_tuning.integrations.uvicorn:loop_factory"
STDLIB_LOOP = "asyncio.unix_events._UnixSelectorEventLoop"
#: How asyncio's eager task factory names itself: the only eager factory ever installed.
EAGER_FACTORY = getattr(getattr(asyncio, "eager_task_factory", None), "__qualname__", "?")


def _uvicorn(port: int, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", "asgi:app", "--host", "127.0.0.1", "--port", str(port),
        "--log-config", "log.json", "--no-access-log", *extra,
    ]  # fmt: skip


def _expected_loop(profile_env: dict[str, str]) -> str:
    if profile_env.get("FLUJO_DISABLE_UVLOOP") or profile_env.get("FLUJO_PROFILE") == "stdlib":
        return STDLIB_LOOP
    return "uvloop.Loop"


CASES = [
    {"FLUJO_DISABLE_UVLOOP": "1"},
    {"FLUJO_PROFILE": "stdlib"},
    {"FLUJO_PROFILE": "default"},
    {"FLUJO_PROFILE": "throughput"},
]


@pytest.mark.parametrize("env", CASES, ids=lambda e: ",".join(f"{k}={v}" for k, v in e.items()))
def test_uvicorn_loop_option_runs_handlers_on_the_decided_loop(project: Path, env: dict[str, str]) -> None:
    port = _free_port()
    with _server(_uvicorn(port, "--loop", LOOP), _project(project), port, **env) as server:
        report = _get(port)
        server.terminate()
        out, err = server.communicate(timeout=20)
    assert report["loop"] == _expected_loop(env)
    assert report["verify"] == []
    assert report["choices"]["event_loop"] == ("asyncio" if report["loop"] == STDLIB_LOOP else "uvloop")
    if report["choices"]["task_factory"] == "eager":
        assert report["task_factory"] == EAGER_FACTORY
    else:
        assert report["task_factory"] is None
    assert out == ""  # nothing of ours on stdout
    assert "flujo_tuning.decision: event_loop=" in err


def test_uvicorn_workers_are_each_tuned_and_log_their_own_decisions(project: Path) -> None:
    port = _free_port()
    command = _uvicorn(port, "--loop", LOOP, "--workers", "2")
    with _server(command, _project(project), port, FLUJO_PROFILE="stdlib") as server:
        reports: list[dict[str, Any]] = []
        deadline = time.monotonic() + 60
        # Bounded (60 s): bursts of concurrent requests until both workers have answered. The
        # kernel hands each connection to whichever worker accepts first, so a burst reaches the
        # second worker (once it is up) far sooner than requests made one by one.
        with ThreadPoolExecutor(max_workers=8) as requests:
            while len({r["pid"] for r in reports}) < 2 and time.monotonic() < deadline:
                reports += requests.map(lambda _: _get(port), range(8))
                time.sleep(0.2)
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=30)
    pids = {r["pid"] for r in reports}
    assert len(pids) == 2
    assert {r["fingerprint"] for r in reports} == {reports[0]["fingerprint"]}
    assert all(r["verify"] == [] and r["loop"] == STDLIB_LOOP for r in reports)
    logged = {
        int(line.split()[0]) for line in err.splitlines() if "flujo_tuning.decision: event_loop=" in line
    }
    assert pids <= logged


def test_uvicorn_run_with_the_loop_argument(project: Path) -> None:
    port = _free_port()
    script = write(
        project / "serve.py",
        "import uvicorn\nfrom flujo_tuning.integrations.uvicorn import LOOP\n"
        f"uvicorn.run('asgi:app', host='127.0.0.1', port={port}, loop=LOOP, log_level='warning')\n",
    )
    _project(project)
    with _server([sys.executable, str(script)], project, port, FLUJO_DISABLE_UVLOOP="1"):
        report = _get(port)
    assert (report["loop"], report["verify"]) == (STDLIB_LOOP, [])


def test_without_our_loop_verify_reports_uvicorns_own_loop(project: Path) -> None:
    # The case: FLUJO_DISABLE_UVLOOP=1 and the app applies at import, under uvicorn's own
    # --loop auto. uvicorn imports the app before it makes its loop, so apply() cannot see the
    # loop; verify() in the handler can.
    port = _free_port()
    app = _project(project, at_import="flujo_tuning.apply()")
    with _server(_uvicorn(port, "--loop", "auto"), app, port, FLUJO_DISABLE_UVLOOP="1"):
        report = _get(port)
    assert report["loop"] == "uvloop.Loop"
    assert report["choices"]["event_loop"] == "asyncio"
    assert report["verify"] == [
        f"event_loop: decided asyncio ({STDLIB_LOOP}) but the running loop is uvloop.Loop"
    ]


def test_apply_in_a_lifespan_under_uvicorns_own_loop_warns_with_the_fix(project: Path) -> None:
    port = _free_port()
    app = _project(project, at_startup="flujo_tuning.apply()")
    with _server(_uvicorn(port, "--loop", "auto"), app, port, FLUJO_PROFILE="stdlib") as server:
        report = _get(port)
        server.terminate()
        _, err = server.communicate(timeout=20)
    assert report["loop"] == "uvloop.Loop"
    assert report["in_effect"][0] is False
    assert "the running loop (uvloop.Loop) is kept and differs" in report["reason"]
    assert (
        "uvicorn made this loop: start it with --loop flujo_tuning.integrations.uvicorn:loop_factory"
        in (report["reason"])
    )
    assert "WARNING flujo_tuning flujo_tuning.decision: event_loop=asyncio" in err


@pytest.mark.skipif(sys.platform == "win32", reason="gunicorn is POSIX only")
@pytest.mark.parametrize("env", [{"FLUJO_PROFILE": "stdlib"}, {"FLUJO_PROFILE": "throughput"}], ids=str)
def test_gunicorn_with_our_uvicorn_worker(project: Path, env: dict[str, str]) -> None:
    if importlib.util.find_spec("gunicorn") is None:
        pytest.skip("needs gunicorn (the server extra)")
    port = _free_port()
    command = [
        sys.executable, "-m", "gunicorn", "asgi:app", "--bind", f"127.0.0.1:{port}", "--workers", "2",
        "-k", "flujo_tuning.integrations.gunicorn.UvicornWorker", "--log-level", "warning",
    ]  # fmt: skip
    with _server(command, _project(project), port, **env) as server:
        reports = [_get(port) for _ in range(6)]
        server.terminate()
        out, _ = server.communicate(timeout=30)
    assert all(r["verify"] == [] for r in reports)
    assert {r["loop"] for r in reports} == {_expected_loop(env)}
    assert len({r["fingerprint"] for r in reports}) == 1
    assert "flujo_tuning" not in out
