"""Process pools: workers initialised with worker_init(tuning.environ()) run the parent's tuning."""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import flujo_tuning
from flujo_tuning.config.settings import env_var

from ..conftest import write

METHODS = [m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()]
SAMPLE = {"step": "summarise", "temperature": 0.2, "args": [[1, 2], [3]]}


def _init_elsewhere(directory: str, environ: dict[str, str]) -> None:
    os.chdir(directory)  # another working directory, with a pyproject.toml of its own
    flujo_tuning.worker_init(environ)


async def _differences() -> list[str]:
    return flujo_tuning.verify()


def _report(_: object = None) -> dict[str, Any]:
    tuning = flujo_tuning.current()
    assert tuning is not None
    return {
        "values": {k: str(v) for k, v in tuning.settings.values().items()},
        "fingerprint": tuning.fingerprint,
        "key": flujo_tuning.cache_key(SAMPLE),
        "verify": flujo_tuning.run(_differences()),
        "pid": os.getpid(),
    }


@pytest.fixture
def parent(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[flujo_tuning.Tuning, Path]:
    write(
        project / "pyproject.toml",
        '[tool.flujo_tuning]\nprofile = "fast"\n'
        '[tool.flujo_tuning.profiles.fast]\nextends = "throughput"\nhasher = "sha256"\n',
    )
    monkeypatch.setenv("FLUJO_BUFFER_SIZE", "8KiB")
    elsewhere = write(tmp_path / "elsewhere" / "pyproject.toml", '[tool.flujo_tuning]\nprofile = "stdlib"\n')
    return flujo_tuning.apply(), elsewhere.parent


def test_environ_names_every_setting_and_the_pyproject(parent: tuple[flujo_tuning.Tuning, Path]) -> None:
    tuning, _ = parent
    env = tuning.environ()
    assert env["FLUJO_PROFILE"] == "fast"
    assert env["FLUJO_HASHER"] == "sha256"
    assert env["FLUJO_BUFFER_SIZE"] == "8192"
    assert env["FLUJO_STRICT"] == "false"
    assert Path(env["FLUJO_PYPROJECT"]).name == "pyproject.toml"
    assert set(env) == {env_var(n) for n in tuning.settings.values()} | {"FLUJO_PYPROJECT"}


def test_environ_round_trips_through_resolve_in_another_directory(
    parent: tuple[flujo_tuning.Tuning, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    tuning, elsewhere = parent
    monkeypatch.chdir(elsewhere)
    for name in [n for n in os.environ if n.startswith("FLUJO_")]:
        monkeypatch.delenv(name)
    for name, value in tuning.environ().items():
        monkeypatch.setenv(name, value)
    assert flujo_tuning.resolve().values() == tuning.settings.values()


def test_disable_uvloop_overriding_a_profile_round_trips(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project / "pyproject.toml", '[tool.flujo_tuning]\nevent_loop = "uvloop"\n')
    monkeypatch.setenv("FLUJO_DISABLE_UVLOOP", "1")
    settings = flujo_tuning.resolve()
    env = settings.environ()
    assert "FLUJO_EVENT_LOOP" not in env  # it would contradict FLUJO_DISABLE_UVLOOP
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert flujo_tuning.resolve().values() == settings.values()


@pytest.mark.parametrize("method", METHODS)
def test_process_pool_workers_report_the_parents_tuning(
    parent: tuple[flujo_tuning.Tuning, Path], method: str
) -> None:
    tuning, elsewhere = parent
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(
        max_workers=2,
        mp_context=context,
        initializer=_init_elsewhere,
        initargs=(str(elsewhere), tuning.environ()),
    ) as pool:
        reports = list(pool.map(_report, range(4)))
    expected_values = {k: str(v) for k, v in tuning.settings.values().items()}
    for report in reports:
        assert report["pid"] != os.getpid()
        assert report["values"] == expected_values
        assert report["fingerprint"] == tuning.fingerprint
        assert report["key"] == tuning.cache_key(SAMPLE)
        assert report["verify"] == []


def test_multiprocessing_pool_with_worker_init(parent: tuple[flujo_tuning.Tuning, Path]) -> None:
    tuning, elsewhere = parent
    context = multiprocessing.get_context("spawn")
    with context.Pool(2, initializer=_init_elsewhere, initargs=(str(elsewhere), tuning.environ())) as pool:
        reports = pool.map(_report, range(2))
    assert {r["fingerprint"] for r in reports} == {tuning.fingerprint}


def test_worker_init_is_picklable_by_reference() -> None:
    import pickle

    assert pickle.loads(pickle.dumps(flujo_tuning.worker_init)) is flujo_tuning.worker_init
    assert sys.modules[flujo_tuning.worker_init.__module__] is not None


# Ray's runtime_env is plain data: checked here, without Ray (tests/hosts/test_ray.py runs real Ray).


def test_ray_runtime_env_merges_into_a_base_and_refuses_a_second_hook() -> None:
    from flujo_tuning.integrations.ray import SETUP_HOOK, runtime_env

    tuning = flujo_tuning.apply("stdlib")
    merged = runtime_env(tuning, base={"env_vars": {"MINE": "1", "FLUJO_CODEC": "orjson"}, "pip": ["x"]})
    assert merged["pip"] == ["x"]
    assert merged["env_vars"]["MINE"] == "1"
    assert merged["env_vars"]["FLUJO_CODEC"] == "json"  # the tuning wins over the base
    assert merged["env_vars"]["RAY_USE_UVLOOP"] == "0"
    assert merged["worker_process_setup_hook"] == SETUP_HOOK
    with pytest.raises(flujo_tuning.ConfigError, match="already has a worker_process_setup_hook"):
        runtime_env(tuning, base={"worker_process_setup_hook": "mine.setup"})


def test_ray_setup_hook_applies_what_the_variables_say(monkeypatch: pytest.MonkeyPatch) -> None:
    from flujo_tuning.integrations.ray import runtime_env, setup_worker

    env = runtime_env(flujo_tuning.preview("stdlib", codec="msgspec"))["env_vars"]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    setup_worker()
    tuning = flujo_tuning.current()
    assert tuning is not None
    assert (tuning.profile, tuning.choices["codec"]) == ("stdlib", "msgspec")
    assert "ray" not in sys.modules  # the integration never imports Ray itself
