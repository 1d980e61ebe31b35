"""The reliability suite keeps a ledger of what it exercised, for docs/reliability.md.

Set ``FLUJO_RELIABILITY_LEDGER=path.json`` to write it at the end of the session (``make
reliability`` does, then renders the page). Without it the suite is an ordinary part of
``make test``.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

_LEDGER: dict[str, Any] = {"faults": {}, "counters": Counter(), "maxima": {}}

Record = Callable[..., None]


@pytest.fixture
def fault() -> Callable[[str, str, str], None]:
    """Record one fault case and how it ended: "error" (clear ConfigError), "fallback", "kept"."""

    def record(case: str, outcome: str, detail: str) -> None:
        _LEDGER["faults"][case] = {"outcome": outcome, "detail": detail}

    return record


@pytest.fixture
def count() -> Callable[[str, int], None]:
    def add(name: str, amount: int = 1) -> None:
        _LEDGER["counters"][name] += amount

    return add


@pytest.fixture
def maximum() -> Callable[[str, int], None]:
    def note(name: str, value: int) -> None:
        _LEDGER["maxima"][name] = max(value, _LEDGER["maxima"].get(name, 0))

    return note


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = os.environ.get("FLUJO_RELIABILITY_LEDGER")
    if not path:
        return
    ledger = {**_LEDGER, "counters": dict(_LEDGER["counters"]), "exitstatus": int(exitstatus)}
    with open(path, "w", encoding="utf-8") as out:
        json.dump(ledger, out, indent=1, sort_keys=True)
