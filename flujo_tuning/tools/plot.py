"""SVG charts for ``bench --plot`` and ``calibrate --plot``, drawn with matplotlib (the ``plot``
extra). matplotlib is imported only here, only when a chart is asked for, and only through its
object API (``Figure``): no pyplot, so no GUI backend and no global figure state.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import FlujoTuningError

if TYPE_CHECKING:
    from .bench import BenchReport
    from .calibrate import CalibrationReport

__all__ = ["PlotError", "check_plot_path", "plot_bench", "plot_calibration"]

_INSTALL = "pip install 'flujo-tuning[plot]'"
_COLORS = {"winner": "#2a9d8f", "current": "#264653", "other": "#8ab17d", "baseline": "#b0b0b0"}


class PlotError(FlujoTuningError, ValueError):
    """--plot cannot be honoured: a wrong file name, or matplotlib is not installed."""


def check_plot_path(path: str) -> None:
    """Fail before any measuring: a run of minutes must not end in a missing-package error."""
    target = Path(path)
    if target.suffix.lower() != ".svg":
        raise PlotError(f"--plot {path!r}: the chart is an SVG file, name it *.svg")
    if not target.resolve().parent.is_dir():
        raise PlotError(f"--plot {path!r}: directory {target.resolve().parent} does not exist")
    _figure_class()


def _figure_class() -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise PlotError(f"--plot needs matplotlib, which is not installed: {_INSTALL}") from exc
    return Figure


def _save(figure: Any, path: str) -> None:
    import matplotlib

    # A fixed salt and no date: the same figures give the same file.
    with matplotlib.rc_context({"svg.hashsalt": "flujo-tuning", "svg.fonttype": "none"}):
        figure.savefig(path, format="svg", metadata={"Date": None}, bbox_inches="tight")


def plot_calibration(report: CalibrationReport, path: str) -> None:
    """A horizontal bar per measured candidate: median calls/s, whiskers from the slowest to the
    fastest round; the table's order (fastest first, at the top) and its labels, the winner marked
    in words and in the legend."""
    from matplotlib.patches import Patch

    measured = list(reversed(report.ordered()))  # barh draws bottom-up: the first row on top
    figure = _figure_class()(figsize=(8, 0.45 * len(measured) + 1.9))
    axes = figure.subplots()
    winner = report.winner
    medians = [c.median for c in measured]
    errors = [[c.median - min(c.rates) for c in measured], [max(c.rates) - c.median for c in measured]]
    kinds = [
        "winner" if c.name == winner else "current" if c.name == report.current else "other" for c in measured
    ]
    axes.barh(
        [report.label(c.name) for c in measured],
        medians,
        xerr=errors,
        color=[_COLORS[kind] for kind in kinds],
        capsize=3,
    )
    for row, (median, above) in enumerate(zip(medians, errors[1], strict=True)):
        axes.text(median + above, row, f"  {median:,.0f}", va="center", fontsize=8)
    axes.set_xlabel(
        f"calls/s: median of {report.rounds} interleaved rounds (whiskers: slowest-fastest round)"
    )
    shown = [kind for kind in ("winner", "current", "other") if kind in kinds]
    legend = {"winner": "winner", "current": "current profile", "other": "other candidates"}
    axes.legend(
        handles=[Patch(color=_COLORS[kind], label=legend[kind]) for kind in shown],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.18),
        ncol=len(shown),
        fontsize=8,
        frameon=False,
    )
    verdict = f"winner: {winner}" if winner else f"tie: keep {report.current}"
    axes.set_title(f"flujo-tuning calibrate {report.target} ({verdict})", fontsize=10)
    axes.grid(axis="x", alpha=0.3)
    _save(figure, path)


def plot_bench(report: BenchReport, path: str) -> None:
    """Per scenario, a bar per profile: its speed relative to the baseline (median per-round
    ratio), whiskers over the per-round range; the baseline is the line at 1.0."""
    base = report.profiles[0]
    others = report.profiles[1:]
    scenarios = list(report.scenarios)
    figure = _figure_class()(figsize=(8, 1.0 + 0.9 * len(scenarios)))
    axes = figure.subplots()
    height = 0.8 / max(1, len(others))
    palette = ["#264653", "#2a9d8f", "#e9c46a", "#f4a261", "#e76f51"]
    for index, name in enumerate(others):
        ratios, low, high, positions = [], [], [], []
        for row, (scenario, _) in enumerate(scenarios):
            ratio = report.ratio(scenario, name)
            lowest, highest = report.ratio_range(scenario, name)
            ratios.append(ratio)
            low.append(ratio - lowest)
            high.append(highest - ratio)
            positions.append(row + index * height - 0.4 + height / 2)
        axes.barh(
            positions,
            ratios,
            height=height,
            xerr=[low, high],
            capsize=3,
            label=name,
            color=palette[index % 5],
        )
        for position, ratio, above in zip(positions, ratios, high, strict=True):
            axes.text(ratio + above, position, f"  {ratio:.2f}x", va="center", fontsize=8)
    axes.axvline(1.0, color=_COLORS["baseline"], linestyle="--", linewidth=1)
    axes.margins(x=0.12)
    axes.set_yticks(range(len(scenarios)), [title for _, title in scenarios])
    axes.invert_yaxis()
    axes.set_xlabel(
        f"speed vs {base} (1.0 = {base}); median of {report.rounds} interleaved rounds, whiskers: range"
    )
    axes.set_title(f"flujo-tuning bench ({report.environment.get('python', '')})", fontsize=10)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=len(others), fontsize=8, frameon=False)
    axes.grid(axis="x", alpha=0.3)
    _save(figure, path)
