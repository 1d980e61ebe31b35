"""Benchmarks report ratios against a baseline measured in the same run.

Each benchmark calls ``compare(benchmark, group, name, baseline=...)`` after timing; at the end of
the session a table per group shows each median and its speed relative to the group's baseline.
Under ``make test`` (``--benchmark-disable``) every body runs once as a smoke test and no table is
printed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest


@dataclass
class _Group:
    baseline: str | None = None
    medians: dict[str, float] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)


_GROUPS: dict[str, _Group] = {}

Compare = Callable[..., None]


@pytest.fixture
def compare() -> Compare:
    def record(
        benchmark: Any,
        group: str,
        name: str,
        *,
        baseline: bool = False,
        note: str = "",
        seconds: float | None = None,
    ) -> None:
        """*seconds* replaces pytest-benchmark's median when the workload timed itself (e.g. it
        excludes starting worker processes)."""
        stats = getattr(benchmark, "stats", None)
        if stats is None:  # benchmarks disabled: the body ran once, nothing was timed
            return
        entry = _GROUPS.setdefault(group, _Group())
        entry.medians[name] = seconds if seconds is not None else stats.stats.median
        if note:
            entry.notes[name] = note
        if baseline:
            entry.baseline = name

    return record


def _format_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _GROUPS:
        return
    write = terminalreporter.write_line
    terminalreporter.section("ratios to the baseline of each group (same run, medians)")
    for group, entry in sorted(_GROUPS.items()):
        base = entry.medians.get(entry.baseline or "")
        write(f"{group}  (baseline: {entry.baseline})")
        for name, median in entry.medians.items():
            ratio = f"{base / median:6.2f}x" if base else "      "
            note = f"  {entry.notes[name]}" if name in entry.notes else ""
            write(f"    {name:<50} {_format_time(median):>10}  {ratio}{note}")
