"""The built wheel carries the shipped profiles and py.typed, and finds its profiles when installed."""

from __future__ import annotations

import os
import shutil
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


def test_the_licence_ships_and_matches_what_pyproject_declares(wheel: Path) -> None:
    import email

    archive = zipfile.ZipFile(wheel)
    (licence,) = [n for n in archive.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
    assert archive.read(licence) == (ROOT / "LICENSE").read_bytes()
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")
    (metadata,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
    fields = email.message_from_bytes(archive.read(metadata))
    assert fields["License-Expression"] == "MIT"
    assert fields["License-File"] == "LICENSE"


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
        "import flujo_tuning, flujo_tuning.config.profiles as p;"
        "s = flujo_tuning.resolve('throughput');"
        "print(flujo_tuning.__file__); print(p.shipped_profiles_dir()); print(s.task_factory)"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env)
    module, profiles, task_factory = out.stdout.split()
    assert module.startswith(str(target))
    assert profiles == str(target / "flujo_tuning" / "_profiles")
    assert task_factory == "eager"


def test_wheel_carries_the_native_encoder_built_here(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert [
        n for n in names if n.startswith("flujo_tuning/cache_keys/_fk1native") and n.endswith((".so", ".pyd"))
    ]


def _source_copy(destination: Path) -> Path:
    """The files a fresh clone has (no build/ directory, no compiled module from an earlier build)."""
    ignore = shutil.ignore_patterns("*.so", "*.pyd", "__pycache__", "*.egg-info")
    for name in ("flujo_tuning", "profiles"):
        shutil.copytree(ROOT / name, destination / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, destination / name)
    return destination


def test_install_without_a_c_compiler_works_and_uses_the_python_encoders(tmp_path: Path) -> None:
    source = _source_copy(tmp_path / "src")
    target = tmp_path / "site"
    env = {**_tool_env(), "CC": str(tmp_path / "no-such-compiler")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(source),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert not list((target / "flujo_tuning" / "cache_keys").glob("_fk1native*.so"))
    assert not (target / "flujo_tuning" / "cache_keys" / "_fk1native.c").exists()
    code = (
        # This environment's editable install of the checkout must not lend its compiled module.
        "import sys; sys.meta_path[:] = [f for f in sys.meta_path if '__editable__' not in repr(f)];"
        "import flujo_tuning; t = flujo_tuning.apply(); d = t.decision('key_encoder');"
        "print(flujo_tuning.__file__, d.choice, t.cache_key({'q': 5}))"
    )
    # The target first, then this environment's packages (msgspec, orjson, blake3 ...).
    paths = [str(target), *sys.path[1:]]
    run_env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=run_env, check=True
    )
    module, encoder, key = out.stdout.split()
    assert module.startswith(str(target))
    assert encoder == "msgspec"
    import flujo_tuning

    assert key == flujo_tuning.preview().cache_key({"q": 5})
