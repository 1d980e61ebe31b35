"""Public import paths survive the move into layers: the promises users write into deploy files
work unchanged, and the modules that looked public keep working for one release, with a
DeprecationWarning at the line that imports them."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

#: old module -> a name that must still resolve through it, and where it lives now
MOVED = {
    "flujo_tuning.settings": ("ResolvedSettings", "flujo_tuning.config.settings"),
    "flujo_tuning.keys": ("KeyMaker", "flujo_tuning.cache_keys.maker"),
    "flujo_tuning.decisions": ("Decision", "flujo_tuning.components.decision"),
    "flujo_tuning.profiles": ("shipped_profiles_dir", "flujo_tuning.config.profiles"),
    "flujo_tuning.calibration": ("CalibrationReport", "flujo_tuning.tools.calibrate"),
}


def _python(code: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "program.py"
    script.write_text(textwrap.dedent(code), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    command = [sys.executable, *args, str(script)]
    return subprocess.run(command, check=False, capture_output=True, text=True, env=env, cwd=tmp_path)


@pytest.mark.parametrize("old", sorted(MOVED))
def test_a_moved_module_still_works_and_warns_at_the_importing_line(old: str, tmp_path: Path) -> None:
    name, new = MOVED[old]
    done = _python(
        f"""
        import warnings
        warnings.simplefilter("always")
        import importlib
        with warnings.catch_warnings(record=True) as caught:
            import {old} as moved  # line 6
        target = importlib.import_module({new!r})
        print(getattr(moved, {name!r}) is getattr(target, {name!r}))
        for w in caught:
            print(w.category.__name__, w.filename.endswith("program.py"), w.lineno, w.message)
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "True"
    (warning,) = [line for line in lines[1:] if line.startswith("DeprecationWarning")]
    assert warning.startswith("DeprecationWarning True 6 ")
    assert f"{old} is deprecated" in warning


def test_an_unknown_name_of_a_moved_module_is_an_attribute_error() -> None:
    import importlib

    sys.modules.pop("flujo_tuning.decisions", None)
    with pytest.warns(DeprecationWarning, match=r"flujo_tuning\.decisions is deprecated"):
        module = importlib.import_module("flujo_tuning.decisions")
    with pytest.raises(AttributeError, match=r"flujo_tuning\.decisions"):
        module.nothing_here  # noqa: B018


@pytest.mark.parametrize(
    "path",
    [
        "flujo_tuning.cli:main",
        "flujo_tuning.bench:main",
        "flujo_tuning.integrations.uvicorn:loop_factory",
        "flujo_tuning.integrations.gunicorn:UvicornWorker",
        "flujo_tuning.integrations.ray:setup_worker",
        "flujo_tuning.perf:measure_time",
    ],
)
def test_the_paths_users_write_into_deploy_files_import_without_a_warning(path: str, tmp_path: Path) -> None:
    module, _, attribute = path.partition(":")
    done = _python(f"import {module}\nassert callable({module}.{attribute})\n", tmp_path, "-W", "error")
    assert done.returncode == 0, done.stderr


def test_python_m_flujo_tuning_bench_still_runs() -> None:
    command = [sys.executable, "-W", "error", "-m", "flujo_tuning.bench", "--help"]
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "--profiles" in done.stdout
