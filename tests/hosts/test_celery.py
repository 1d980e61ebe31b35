"""Real Celery workers (prefork, solo and threads pools) with a filesystem broker and result
backend in a temporary directory: no server needed. The docs/deploying.md recipe (both
``worker_process_init`` and ``worker_init``) tunes every pool; ``worker_process_init`` alone leaves
the threads pool untuned (the solo pool sends it too), as the docs say.

Needs the ``test-hosts`` dependency group (make test-hosts).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import flujo_tuning

from ..conftest import write
from .serving import stop

if importlib.util.find_spec("celery") is None:  # not imported here: Celery runs in subprocesses
    pytest.skip("needs the test-hosts group (make test-hosts)", allow_module_level=True)

pytestmark = pytest.mark.hosts

TASKS = """
import os

from celery import Celery
from celery.signals import worker_init, worker_process_init

import flujo_tuning

HERE = os.path.dirname(os.path.abspath(__file__))
app = Celery("tasks", broker="filesystem://", backend="file://" + os.path.join(HERE, "results"))
queue = os.path.join(HERE, "queue")
app.conf.broker_transport_options = {{
    "data_folder_in": queue, "data_folder_out": queue, "processed_folder": os.path.join(HERE, "done")
}}
app.conf.broker_connection_retry_on_startup = True


@worker_process_init.connect
def tune_worker(**_):
    flujo_tuning.worker_init()


{extra}


@app.task
def report():
    tuning = flujo_tuning.current()
    return {{
        "pid": os.getpid(),
        "fingerprint": tuning and tuning.fingerprint,
        "key": tuning and tuning.cache_key([1]),
    }}
"""

#: docs/deploying.md: the threads (gevent, eventlet) pool runs tasks in the main process, where
#: worker_process_init never fires.
WORKER_INIT = """
@worker_init.connect
def tune_main(**_):
    flujo_tuning.worker_init()
"""

ASK = """
import json
from tasks import report

print(json.dumps(report.delay().get(timeout=60)))
"""


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLUJO_", "PYTHONWARNINGS"))}
    return {**env, "FLUJO_PROFILE": "throughput", "PYTHONPATH": str(tmp_path)}


@contextmanager
def _worker(tmp_path: Path, pool: str) -> Iterator[subprocess.Popen[str]]:
    for folder in ("queue", "done", "results"):
        (tmp_path / folder).mkdir(exist_ok=True)
    command = [
        sys.executable, "-m", "celery", "-A", "tasks", "worker", "--pool", pool, "--concurrency", "1",
        "--loglevel", "WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        stop(process)


def _ask(tmp_path: Path) -> dict[str, Any]:
    write(tmp_path / "ask.py", ASK)
    done = subprocess.run(
        [sys.executable, "ask.py"],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("pool", ["prefork", "solo", "threads"])
def test_the_recipe_tunes_every_pool(tmp_path: Path, pool: str) -> None:
    write(tmp_path / "tasks.py", TASKS.format(extra=WORKER_INIT))
    expected = flujo_tuning.preview("throughput")
    with _worker(tmp_path, pool):
        result = _ask(tmp_path)
    assert result["fingerprint"] == expected.fingerprint
    assert result["key"] == expected.cache_key([1])
    assert result["pid"] != os.getpid()


@pytest.mark.parametrize(("pool", "tuned"), [("solo", True), ("threads", False)])
def test_worker_process_init_alone_fires_for_solo_but_not_for_threads(
    tmp_path: Path, pool: str, tuned: bool
) -> None:
    write(tmp_path / "tasks.py", TASKS.format(extra=""))
    with _worker(tmp_path, pool):
        result = _ask(tmp_path)
    assert (result["fingerprint"] is not None) is tuned
