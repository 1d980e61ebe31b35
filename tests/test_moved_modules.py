"""Public import paths survive the move into layers: the promises users write into deploy files
work unchanged; the re-export shims of the old layout are gone (never released)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

#: Modules that once re-exported moved code: gone before the first release (nobody depends on them).
REMOVED = [
    "flujo_tuning.settings",
    "flujo_tuning.keys",
    "flujo_tuning.decisions",
    "flujo_tuning.profiles",
    "flujo_tuning.calibration",
]


def _python(code: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "program.py"
    script.write_text(textwrap.dedent(code), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    command = [sys.executable, *args, str(script)]
    return subprocess.run(command, check=False, capture_output=True, text=True, env=env, cwd=tmp_path)


@pytest.mark.parametrize("old", REMOVED)
def test_no_re_export_shim_remains(old: str) -> None:
    import importlib

    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(old)


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
