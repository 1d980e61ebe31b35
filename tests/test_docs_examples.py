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


def _examples() -> list[Any]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for number, match in enumerate(BLOCK.finditer(text), start=1):
            line = text[: match.start()].count("\n") + 1
            found.append(pytest.param(match.group(1), id=f"{page.name}:{line}#{number}"))
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
