"""The report as text (a table, with bars on a terminal) and as JSON."""

from __future__ import annotations

import json
from typing import IO, Any

from .candidates import SEARCHED
from .report import ALPHA, MIN_GAIN, MIN_ROUNDS_FOR_A_WINNER, CalibrationReport

__all__ = ["dump_json", "render"]


def duration(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def render(report: CalibrationReport, *, terminal: bool = False) -> str:
    """The report as text: a table (with bars on a terminal), the verdict, failures and notes."""
    import io

    from rich import box
    from rich.bar import Bar
    from rich.console import Console
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAVY, show_edge=False)
    for column in ("candidate", "calls/s", "spread", "vs stdlib", "vs current (range)", "faster rounds"):
        table.add_column(column, justify="left" if column == "candidate" else "right")
    if terminal:
        table.add_column("", width=30)
    top = max((c.median for c in report.measured), default=1.0)
    for result in report.ordered():
        name = report.label(result.name)
        stdlib = report.ratio(result.name, "stdlib") if "stdlib" in report._names_measured() else None
        versus = (
            report.ratio(result.name, report.current) if report.current in report._names_measured() else None
        )
        cells = [
            name,
            f"{result.median:,.0f}" if result.median >= 100 else f"{result.median:.1f}",
            f"±{result.spread:.0%}",
            f"{stdlib[0]:.2f}x" if stdlib else "-",
            "-"
            if not versus
            else "1.00x"
            if result.name == report.current
            else f"{versus[0]:.2f}x ({versus[1]:.2f}-{versus[2]:.2f}x)",
        ]
        row: list[Any] = list(cells)
        row.append(
            ""
            if not versus or result.name == report.current
            else f"{report.wins(result.name)}/{report.rounds}"
        )
        if terminal:
            row.append(Bar(size=top, begin=0, end=result.median, width=30))
        table.add_row(*row)
    out = io.StringIO()
    console = Console(file=out, width=160, force_terminal=terminal, no_color=not terminal, highlight=False)
    console.print(
        f"flujo-tuning calibrate {report.target}: current profile {report.current!r}, "
        f"{report.rounds} interleaved rounds, {report.calls_per_sample:,} calls per sample",
        markup=False,
    )
    console.print(table)
    lines = [line.rstrip() for line in out.getvalue().splitlines()]
    lines.append(report.verdict)
    for result in report.candidates:
        if result.gives_up and not result.failed and result.same_as is None:
            lines.append(f"trade-off: {result.name} {result.trade_off}")
        if result.failed and result.stage != "skipped":
            lines.append(f"failed: {result.name} ({result.stage}): {result.error}")
            lines.extend(f"    {line}" for line in result.detail.splitlines())
        for problem in result.problems:
            lines.append(f"note: {result.name}: {problem}")
    lines.extend(f"note: {note}" for note in report.notes)
    lines.append(
        "calls/s: median of the rounds; spread: half their range; ratios: median of the per-round "
        "ratios. A winner is faster than the current profile beyond the noise (one-sided paired "
        f"t-test on the log ratios, p <= {ALPHA} / candidates compared, at least "
        f"{MIN_ROUNDS_FOR_A_WINNER} rounds), by {MIN_GAIN:.0%} or more at the median, and by more than "
        "the current profile differed from itself in any round (its A/A control, a second process "
        "measured in the same rounds); when the control itself would pass, the session is too noisy."
    )
    for key, value in report.environment.items():
        lines.append(f"- {key}: {value}")
    for result in report.measured:
        shown = ", ".join(
            f"{k}={v}" for k, v in result.choices.items() if k in SEARCHED or k == "key_encoder"
        )
        lines.append(f"- {result.name}: {shown}")
    return "\n".join(lines) + "\n"


def dump_json(report: CalibrationReport, stream: IO[str]) -> None:
    json.dump(report.as_dict(), stream, indent=2)
    stream.write("\n")
