"""The built wheel carries the shipped profiles and py.typed, and finds its profiles when installed."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted(p.name for p in (ROOT / "profiles").glob("*.toml"))


def _tool_env() -> dict[str, str]:
    """The environment for build and pip: their own warnings (an old pip's pkg_resources notice)
    are not what these tests are about, so PYTHONWARNINGS=error is not passed on to them."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-W",
            "default",
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        env=_tool_env(),
    )
    (built,) = out.glob("*.whl")
    return built


def test_wheel_contains_every_shipped_profile_and_py_typed(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert sorted(n.rsplit("/", 1)[1] for n in names if n.startswith("flujo_tuning/_profiles/")) == SHIPPED
    assert "flujo_tuning/py.typed" in names


def test_installed_wheel_resolves_its_shipped_profiles(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-W",
            "default",
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        env=_tool_env(),
    )
    code = (
        "import flujo_tuning, flujo_tuning.profiles as p;"
        "s = flujo_tuning.resolve('throughput');"
        "print(flujo_tuning.__file__); print(p.shipped_profiles_dir()); print(s.task_factory)"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env)
    module, profiles, task_factory = out.stdout.split()
    assert module.startswith(str(target))
    assert profiles == str(target / "flujo_tuning" / "_profiles")
    assert task_factory == "eager"
