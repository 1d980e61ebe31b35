"""Every ```python block in README.md and docs/ runs, so the docs cannot lie."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import structlog

import flujo_tuning

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
def test_example_runs(code: str) -> None:
    namespace = {"__name__": "docs_example"}
    try:
        exec(compile(code, "<docs example>", "exec"), namespace)
    finally:
        flujo_tuning.reset()
        structlog.reset_defaults()
