"""Every ```python block in README.md and docs/ runs as a program of its own, so the docs cannot lie.

Each block runs in a fresh interpreter (in an empty directory, no FLUJO_* variables), the way a
user would run it: logging and structlog set-ups in one example cannot leak into another.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
FLUJO_EXAMPLES = "a real Flujo program: tests/hosts/test_real_flujo.py runs it under every profile"


def _examples() -> list[Any]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for number, match in enumerate(BLOCK.finditer(text), start=1):
            line = text[: match.start()].count("\n") + 1
            code = match.group(1)
            # Real Flujo programs run under every profile in Flujo's own environment instead.
            marks = [pytest.mark.skip(reason=FLUJO_EXAMPLES)] if "from flujo import" in code else []
            found.append(pytest.param(code, id=f"{page.name}:{line}#{number}", marks=marks))
    return found


EXAMPLES = _examples()


def test_the_docs_have_examples() -> None:
    assert len(EXAMPLES) >= 12


@pytest.mark.parametrize("code", EXAMPLES)
def test_example_runs(code: str, project: Path) -> None:
    script = project / "example.py"
    script.write_text(code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUJO_")}
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=project, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    if "structlog.configure" not in code:  # only the application's own set-up may print events
        assert "flujo_tuning.decision" not in done.stdout


def _block_after(page: Path, marker: str, language: str) -> str:
    text = page.read_text(encoding="utf-8")
    start = text.index(marker)
    found = re.compile(rf"^```{language}\n(.*?)^```", re.S | re.M).search(text, start)
    assert found is not None, f"no ```{language} block after {marker!r} in {page.name}"
    return found.group(1)


def test_the_quickstart_works_verbatim(project: Path) -> None:
    """docs/index.md's pyproject.toml table and its commands, in a fresh project, on this Python
    (CI runs it on every one): every command exits 0, and check --strict passes."""
    index = ROOT / "docs" / "index.md"
    table = _block_after(index, "**2. A profile selected in `pyproject.toml`**", "toml")
    (project / "pyproject.toml").write_text('[project]\nname = "app"\n\n' + table, encoding="utf-8")
    commands = _block_after(index, "and so does the command line:", "text")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUJO_")}
    ran = 0
    for line in commands.splitlines():
        words = line.split("#")[0].split()
        if not words or words[0] != "flujo-tuning":
            continue
        done = subprocess.run(
            [sys.executable, "-m", "flujo_tuning", *words[1:]],
            capture_output=True,
            text=True,
            cwd=project,
            env=env,
            check=False,
        )
        assert done.returncode == 0, f"{line}: {done.stderr}"
        assert "error" not in done.stderr.lower(), line
        ran += 1
    assert ran >= 2
    explained = subprocess.run(
        [sys.executable, "-m", "flujo_tuning", "explain", "--json"],
        capture_output=True,
        text=True,
        cwd=project,
        env=env,
        check=True,
    ).stdout
    assert '"hasher": {\n      "value": "sha256"' in explained  # the table's override is in effect


def test_the_readme_says_how_to_run_the_command_after_make_demo() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert ".venv/bin/flujo-tuning explain" in readme
    assert "pip install /path/to/flujo_tuning" in readme
    assert "tuning.codec.dumps" in readme  # what the codec needs from your code
