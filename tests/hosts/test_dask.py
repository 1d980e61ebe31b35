"""Real Dask: a LocalCluster of worker processes on 127.0.0.1, no dashboard. Under ``throughput``
the driver exits 0 (eager tasks in Dask's loops broke its shutdown), and with the worker plugin
every worker runs the driver's tuning and says honestly what its own loop runs.

Each scenario is a driver process of its own. Needs the ``test-hosts`` dependency group (make test-hosts).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ..conftest import write

if importlib.util.find_spec("distributed") is None:  # not imported here: Dask runs in the drivers
    pytest.skip("needs the test-hosts group (make test-hosts)", allow_module_level=True)

pytestmark = pytest.mark.hosts

EAGER = sys.version_info >= (3, 12)

DRIVER = """
import json
import os
import sys

import flujo_tuning


def report():
    tuning = flujo_tuning.current()
    return {{
        "pid": os.getpid(),
        "fingerprint": tuning and tuning.fingerprint,
        "key": tuning and tuning.cache_key([1]),
    }}


async def on_the_worker_loop():
    import asyncio

    loop = asyncio.get_running_loop()
    factory = loop.get_task_factory()
    return {{
        "loop": f"{{type(loop).__module__}}.{{type(loop).__qualname__}}",
        "task_factory": None if factory is None else factory.__qualname__,
        "verify": flujo_tuning.verify(),
    }}


if __name__ == "__main__":  # Dask's worker processes import this file again: they must not apply
    from dask.distributed import Client, LocalCluster

    from flujo_tuning.integrations.dask import worker_plugin

    tuning = flujo_tuning.apply("throughput")
    cluster = LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    )
    with cluster, Client(cluster) as client:
        {register}
        result = {{
            "sum": client.submit(sum, [1, 2]).result(),
            "worker": client.submit(report, pure=False).result(),
            "worker_loop": client.submit(on_the_worker_loop, pure=False).result(),
            "driver": {{"pid": os.getpid(), "fingerprint": tuning.fingerprint, "key": tuning.cache_key([1])}},
        }}
    sys.stderr.write("RESULT " + json.dumps(result) + "\\n")
"""


def _drive(tmp_path: Path, register: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    write(tmp_path / "driver.py", DRIVER.format(register=register))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUJO_")}
    done = subprocess.run(
        [sys.executable, "driver.py"],
        cwd=tmp_path,
        env={**env, "DASK_TEMPORARY_DIRECTORY": str(tmp_path / "dask")},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith("RESULT ")]
    return done, json.loads(lines[-1].removeprefix("RESULT ")) if lines else {}


def test_throughput_with_the_worker_plugin_tunes_workers_and_exits_cleanly(tmp_path: Path) -> None:
    done, result = _drive(tmp_path, "client.register_plugin(worker_plugin())")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "AssertionError" not in done.stderr
    assert done.stdout == ""
    assert result["sum"] == 3
    worker, driver = result["worker"], result["driver"]
    assert worker["pid"] != driver["pid"]
    assert (worker["fingerprint"], worker["key"]) == (driver["fingerprint"], driver["key"])
    on_loop = result["worker_loop"]
    assert on_loop["task_factory"] is None  # Dask's loop never gets eager tasks
    if EAGER:  # and its verify() says so instead of an empty list
        assert any(line.startswith("task_factory: decided eager") for line in on_loop["verify"])


def test_without_the_plugin_workers_say_nothing_was_applied(tmp_path: Path) -> None:
    done, result = _drive(tmp_path, "pass")
    assert done.returncode == 0, done.stderr[-3000:]
    assert result["worker"]["fingerprint"] is None
    assert result["worker_loop"]["verify"] == ["no Tuning is in force in this process: apply() has not run"]
