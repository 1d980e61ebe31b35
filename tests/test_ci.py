"""The CI script finds every CPython it should run: newer and free-threaded ones by themselves."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _fake(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)


def test_ci_picks_up_newer_and_free_threaded_pythons(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    root = tmp_path / "pyenv"
    # A pyenv that has 3.11, 3.13, 3.14 and a free-threaded 3.14t; python3.15 is on PATH.
    versions = ["3.11.9", "3.13.2", "3.14.0", "3.14.1", "3.14.1t", "2.7.18", "3.9.18"]
    _fake(
        bin_dir / "pyenv",
        "#!/bin/sh\n"
        f'if [ "$1" = root ]; then echo {root}; exit 0; fi\n'
        f'if [ "$1" = versions ]; then printf "%s\\n" {" ".join(versions)}; fi\n',
    )
    _fake(bin_dir / "python3.15", "#!/bin/sh\nexit 0\n")
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "CI_LIST_PYTHONS": "1",
        "HOME": os.environ.get("HOME", str(tmp_path)),
    }
    done = subprocess.run(
        ["bash", str(ROOT / ".ci" / "run")], capture_output=True, text=True, env=env, check=True
    )
    found = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert found == {
        "3.11": f"{root}/versions/3.11.9/bin/python",
        "3.13": f"{root}/versions/3.13.2/bin/python",
        "3.14": f"{root}/versions/3.14.1/bin/python",
        "3.15": str(bin_dir / "python3.15"),
        "3.14t": f"{root}/versions/3.14.1t/bin/python",
    }


def test_ci_runs_the_readme_test_command_and_the_floors_leg() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'make test PYTHON="$py"' in script
    assert "make test-floors" in script


@pytest.mark.parametrize("stack", ["ray", "flujo", "hosts"])
def test_ci_runs_every_heavy_stack_with_its_make_target(stack: str) -> None:
    """Each marker of a heavy stack has a make target and a CI leg, so none is silently skipped."""
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    declared = (f'"{stack}: needs the {stack} extra', f'"{stack}: needs the test-{stack} group')
    assert any(text in pyproject for text in declared)
    assert f"make test-{stack} " in script
    assert f"test-{stack}" in makefile.split("test-%:")[0].splitlines()[-1]
