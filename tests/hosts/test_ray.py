"""Real Ray (num_cpus=2, its files in a temporary directory): tasks and async actors run the
driver's tuning. Needs the ``ray`` extra; run by ``make test-ray`` (a CI environment of its own).

Each scenario runs in a driver process of its own, so that the cluster, FLUJO_* variables and the
driver's tuning never leak between scenarios or into the rest of the suite.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..conftest import write

if importlib.util.find_spec("ray") is None:  # not imported here: Ray's own imports stay in the drivers
    pytest.skip("needs the ray extra (make test-ray)", allow_module_level=True)

pytestmark = pytest.mark.ray

#: How asyncio's eager task factory names itself: the only eager factory ever installed.
EAGER_FACTORY = getattr(getattr(asyncio, "eager_task_factory", None), "__qualname__", "?")

DRIVER = """
import asyncio
import json
import sys

import ray

import flujo_tuning
from flujo_tuning.integrations.ray import runtime_env

SAMPLE = {"step": "summarise", "args": [[1, 2], [3]]}


def describe() -> dict:
    loop = asyncio.get_running_loop()
    factory = loop.get_task_factory()
    tuning = flujo_tuning.current()
    return {
        "loop": f"{type(loop).__module__}.{type(loop).__qualname__}",
        "task_factory": None if factory is None else factory.__qualname__,
        "verify": flujo_tuning.verify(),
        "fingerprint": tuning and tuning.fingerprint,
        "key": flujo_tuning.cache_key(SAMPLE),
        "on_uvloop": "uvloop.Loop" in repr(type(loop)),
    }


@ray.remote
def task() -> dict:
    async def main() -> dict:
        return describe()

    return flujo_tuning.run(main())


@ray.remote(max_concurrency=4)
class Actor:
    async def report(self) -> dict:
        await asyncio.sleep(0)
        return describe()


tuning = flujo_tuning.apply()
ray.init(
    num_cpus=2, include_dashboard=False, _temp_dir=sys.argv[1], runtime_env=runtime_env(), log_to_driver=False
)
try:
    actor = Actor.remote()
    result = {
        "driver": {
            "fingerprint": tuning.fingerprint, "key": tuning.cache_key(SAMPLE), "choices": tuning.choices
        },
        "tasks": ray.get([task.remote() for _ in range(3)]),
        "actor": ray.get([actor.report.remote() for _ in range(4)]),
    }
finally:
    ray.shutdown()
print("RESULT " + json.dumps(result))
"""


@pytest.fixture
def ray_dirs(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A short temporary directory for Ray's sockets (paths are length-limited) and a HOME for ~/.ray."""
    short = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))
    home = tmp_path / "home"
    home.mkdir()
    try:
        yield short, home
    finally:
        shutil.rmtree(short, ignore_errors=True)


def _drive(project: Path, ray_dirs: tuple[Path, Path], **env: str) -> dict[str, Any]:
    script = write(project / "driver.py", DRIVER)
    short, home = ray_dirs
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FLUJO_", "RAY_"))}
    clean.pop("PYTHONWARNINGS", None)  # Ray's own imports warn; our code is checked by the core suite
    done = subprocess.run(
        [sys.executable, str(script), str(short)],
        capture_output=True,
        text=True,
        cwd=project,
        env={**clean, "HOME": str(home), **env},
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert [line for line in done.stdout.splitlines() if "flujo_tuning" in line] == []
    result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    return result


@pytest.mark.parametrize(
    "env",
    [{"FLUJO_PROFILE": "throughput"}, {"FLUJO_PROFILE": "stdlib"}, {"FLUJO_DISABLE_UVLOOP": "1"}],
    ids=lambda e: ",".join(f"{k}={v}" for k, v in e.items()),
)
def test_tasks_and_async_actors_run_the_drivers_tuning(
    project: Path, ray_dirs: tuple[Path, Path], env: dict[str, str]
) -> None:
    result = _drive(project, ray_dirs, **env)
    driver = result["driver"]
    expected_loop = "uvloop.Loop" if driver["choices"]["event_loop"] == "uvloop" else "asyncio."
    for report in [*result["tasks"], *result["actor"]]:
        assert report["fingerprint"] == driver["fingerprint"]
        assert report["key"] == driver["key"]
        assert report["verify"] == []
        assert report["loop"].startswith(expected_loop)
    if env.get("FLUJO_PROFILE") == "throughput" and driver["choices"]["task_factory"] == "eager":
        assert {r["task_factory"] for r in result["actor"]} == {EAGER_FACTORY}
    if "FLUJO_DISABLE_UVLOOP" in env or env.get("FLUJO_PROFILE") == "stdlib":
        assert not any(r["on_uvloop"] for r in [*result["tasks"], *result["actor"]])
