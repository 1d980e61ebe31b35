"""What the real-server tests share: an ASGI app that reports what runs where it handles a
request, a logging set-up for the server, and a server process started on a free port and stopped
by the test."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..conftest import write

ASGI_APP = """
import asyncio
import json
import os

import flujo_tuning

{at_import}


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                {at_startup}
                await send({{"type": "lifespan.startup.complete"}})
            elif message["type"] == "lifespan.shutdown":
                await send({{"type": "lifespan.shutdown.complete"}})
                return
    loop = asyncio.get_running_loop()
    tuning = flujo_tuning.current()
    factory = loop.get_task_factory()
    report = {{
        "pid": os.getpid(),
        "loop": f"{{type(loop).__module__}}.{{type(loop).__qualname__}}",
        "task_factory": None if factory is None else getattr(factory, "__qualname__", repr(factory)),
        "verify": flujo_tuning.verify(),
        "fingerprint": tuning and tuning.fingerprint,
        "choices": tuning and tuning.choices,
        "in_effect": tuning and [d.in_effect for d in tuning.decisions],
        "reason": tuning and tuning.decision("event_loop").reason,
    }}
    body = json.dumps(report).encode()
    headers = [(b"content-type", b"application/json")]
    await send({{"type": "http.response.start", "status": 200, "headers": headers}})
    await send({{"type": "http.response.body", "body": body}})
"""

#: Decision events at info, with the process id, on stderr: every worker's own decisions show.
LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(process)d %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}
    },
    "loggers": {
        "flujo_tuning": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn": {"handlers": ["stderr"], "level": "WARNING"},
    },
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def get(port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result


@contextmanager
def server(command: list[str], cwd: Path, port: int, **env: str) -> Iterator[subprocess.Popen[str]]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLUJO_")}
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env={**clean, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:  # bounded: until the server answers or 30 s pass
            if process.poll() is not None:
                raise AssertionError(f"server exited with {process.returncode}: {process.stderr.read()}")  # type: ignore[union-attr]
            try:
                get(port)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen[str]) -> None:
    """Stop a process started in a session of its own, with all its children (SIGTERM, then
    SIGKILL after 20 s), and close its pipes."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:  # pragma: no cover - a stuck server
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    for stream in (process.stdout, process.stderr):
        if stream is not None and not stream.closed:
            stream.close()


def keep_alive(port: int, requests: int) -> list[dict[str, Any]]:
    """*requests* GET requests on one connection, each bounded by a 10 s timeout: the reports."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        reports = []
        for _ in range(requests):
            connection.request("GET", "/")
            response = connection.getresponse()
            assert response.status == 200
            reports.append(json.loads(response.read()))
        return reports
    finally:
        connection.close()


def asgi_project(project: Path, at_import: str = "", at_startup: str = "pass") -> Path:
    write(project / "asgi.py", ASGI_APP.format(at_import=at_import, at_startup=at_startup))
    write(project / "log.json", json.dumps(LOG_CONFIG))
    return project
