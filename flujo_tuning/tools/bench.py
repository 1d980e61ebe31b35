"""``flujo-tuning bench``: pipeline-shaped scenarios (and, with httpx, two network-bound ones), per
profile, as a ratio table.

Profiles run interleaved (stdlib, default, throughput, stdlib, ...) so that a noisy neighbour
slows every profile alike; each rate is the median of the rounds, each ratio the median of the
per-round ratios with their range. Profiles are measured through dry runs
(:func:`flujo_tuning.preview`): the caller's Tuning, loop policy and logging stay as they were.
Also ``python -m flujo_tuning.bench``.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata

from .._errors import FlujoTuningError
from .output import error

__all__ = ["BenchError", "BenchReport", "environment", "main", "progress_bar", "render", "run_bench"]

DEFAULT_PROFILES = ("stdlib", "default", "throughput")
FLUJO_PROFILES = ("stdlib", "default", "pinned-state", "ephemeral")
BACKENDS = ("uvloop", "orjson", "msgspec", "blake3", "xxhash", "structlog", "pydantic-settings", "httpx")


@dataclass
class BenchReport:
    """Iterations per second per (scenario, profile), with what each profile decided."""

    profiles: tuple[str, ...]
    rounds: int
    #: (name, title) of each scenario measured, in order.
    scenarios: tuple[tuple[str, str], ...] = ()
    rates: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    choices: dict[str, str] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)

    def median(self, scenario: str, profile: str) -> float:
        return statistics.median(self.rates[(scenario, profile)])

    def round_ratios(self, scenario: str, profile: str) -> list[float]:
        """The ratio to the baseline in each round (both measured back to back)."""
        base = self.rates[(scenario, self.profiles[0])]
        return [rate / baseline for rate, baseline in zip(self.rates[(scenario, profile)], base, strict=True)]

    def ratio(self, scenario: str, profile: str) -> float:
        return statistics.median(self.round_ratios(scenario, profile))

    def ratio_range(self, scenario: str, profile: str) -> tuple[float, float]:
        """The lowest and highest per-round ratio: how far to trust :meth:`ratio`."""
        ratios = self.round_ratios(scenario, profile)
        return min(ratios), max(ratios)

    def spread(self, scenario: str, profile: str) -> float:
        """Half the range of the rates between rounds, relative to their median."""
        rates = self.rates[(scenario, profile)]
        return (max(rates) - min(rates)) / 2 / self.median(scenario, profile)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment() -> dict[str, str]:
    """Python, platform, CPU and backend versions: the context every figure needs."""
    versions = []
    for name in BACKENDS:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    return {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": f"{sys.platform} {platform.machine()}",
        "cpu": f"{_cpu_model()}, {os.cpu_count()} cores",
        "backends": ", ".join(versions),
    }


def run_bench(
    profiles: Sequence[str] = DEFAULT_PROFILES,
    *,
    quick: bool = False,
    progress: bool = False,
    flujo: bool = False,
    pyproject: str | None = None,
    experimental: bool = False,
) -> BenchReport:
    """Run every scenario under every profile, interleaved; the first profile is the baseline.

    With *flujo*, the scenarios are real Flujo pipelines (Flujo must be installed). With
    *experimental*, one more column: ``default`` on each experimental event loop (rloop).
    """
    from ..components.event_loop import EXPERIMENTAL
    from ..runtime.apply import preview
    from .http_workloads import HTTP_SCENARIOS, httpx_available
    from .workloads import SCENARIOS, Scenario, run_scenario

    scenarios: tuple[Scenario, ...] = SCENARIOS
    if flujo:
        from .flujo_workloads import FLUJO_HTTP_SCENARIOS, FLUJO_SCENARIOS

        scenarios, http_scenarios = FLUJO_SCENARIOS, FLUJO_HTTP_SCENARIOS
    else:
        http_scenarios = HTTP_SCENARIOS
    if httpx_available():
        scenarios += http_scenarios
    rounds = 3 if quick else 7
    # Column name -> (profile, overrides); an override column is strict: never asyncio under its name.
    columns: dict[str, tuple[str, dict[str, str]]] = {name: (name, {}) for name in profiles}
    if experimental:
        for loop in sorted(EXPERIMENTAL):
            columns[f"default+event_loop={loop}"] = ("default", {"event_loop": loop})
    profiles = tuple(columns)
    report = BenchReport(
        tuple(profiles), rounds, tuple((s.name, s.title) for s in scenarios), environment=environment()
    )
    if not httpx_available():
        report.environment["http scenarios"] = "left out: httpx is not installed (pip install httpx)"
    scale = 0.25 if quick else 1.0
    total = rounds * len(scenarios) * len(profiles)
    # Resolve every profile first (a typo fails before any measuring), as dry runs.
    tunings = {
        name: preview(profile, pyproject=pyproject, strict=bool(overrides), **overrides)
        for name, (profile, overrides) in columns.items()
    }
    for name, tuning in tunings.items():
        shown = [
            d for d in tuning.decisions if d.component in ("event_loop", "task_factory", "codec", "hasher")
        ]
        if flujo:
            shown.append(tuning.decision("flujo"))
        report.choices[name] = ", ".join(f"{d.component}={d.choice}" for d in shown)
    with progress_bar(progress, total, "benchmarking") as advance:
        for _ in range(rounds):
            for scenario in scenarios:
                for name in profiles:
                    steps = max(scenario.min_steps, int(scenario.steps * scale))
                    try:
                        rate = run_scenario(scenario, tunings[name], steps)
                    except Exception as exc:  # failed work is an error with its cause, never a rate
                        raise BenchError(
                            f"{scenario.title!r} failed under {name}: {_failure(exc)}; no figure is "
                            "reported for work that failed"
                        ) from exc
                    report.rates.setdefault((scenario.name, name), []).append(rate)
                    advance()
    return report


class BenchError(FlujoTuningError):
    """A scenario failed under a profile: bench reports it instead of a rate."""


def _failure(exc: BaseException) -> str:
    """*exc* in one line, with the first failure inside an exception group (anyio's task groups)."""
    while isinstance(inner := getattr(exc, "exceptions", None), tuple) and inner:  # a group (or backport)
        exc = inner[0]
    return f"{type(exc).__name__}: {exc}"


@contextmanager
def progress_bar(enabled: bool, total: int, description: str) -> Iterator[Callable[[], None]]:
    """A transient bar on stderr (stdout carries the results); ``advance()`` per step."""
    if not enabled:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)


def render(report: BenchReport, *, markdown: bool = False, color: bool = False) -> str:
    """The ratio table (and the environment) as terminal text or as Markdown."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    base = report.profiles[0]
    table = Table(box=box.MARKDOWN if markdown else box.SIMPLE_HEAVY, show_edge=markdown)
    table.add_column("Scenario")
    for name in report.profiles:
        label = f"{name} iter/s" if name == base else f"{name} iter/s (vs {base}, range)"
        table.add_column(label, justify="right")
    for scenario, title in report.scenarios:
        cells = []
        for name in report.profiles:
            median = report.median(scenario, name)
            shown = f"{median:,.0f}" if median >= 100 else f"{median:.1f}"  # slow scenarios: keep a digit
            rate = f"{shown} ±{report.spread(scenario, name):.0%}"
            if name != base:
                low, high = report.ratio_range(scenario, name)
                rate += f" ({report.ratio(scenario, name):.2f}x, {low:.2f}-{high:.2f}x)"
            cells.append(rate)
        table.add_row(title, *cells)
    out = io.StringIO()
    # Markdown is never wrapped: a wrapped cell breaks the table (any number of profiles fits).
    console = Console(
        file=out,
        width=10_000 if markdown else 200,
        force_terminal=color,
        no_color=not color,
        highlight=False,
        markup=False,
    )
    console.print(table)
    lines = [line.rstrip() for line in out.getvalue().splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    lines.append("")
    lines.append(
        f"Median of {report.rounds} interleaved rounds; {base} is the baseline. ±: half the range of a "
        "profile's rates between rounds; ratios: median of the per-round ratios, then their lowest-highest."
    )
    for key, value in report.environment.items():
        lines.append(f"- {key}: {value}")
    for name, choices in report.choices.items():
        lines.append(f"- profile {name}: {choices}")
    return "\n".join(lines) + "\n"


DESCRIPTION = (
    "Run the pipeline scenarios (and, with httpx installed, the HTTP ones) under each profile "
    "and print iter/s and ratios."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The bench options, defined once for ``flujo-tuning bench`` and ``python -m flujo_tuning.bench``."""
    parser.add_argument("--quick", action="store_true", help="fewer rounds and steps (a few seconds)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument(
        "--profiles",
        default=None,
        help=(
            "comma-separated profiles, the first is the baseline "
            f"(default: {','.join(DEFAULT_PROFILES)}; with --flujo: {','.join(FLUJO_PROFILES)})"
        ),
    )
    parser.add_argument(
        "--flujo", action="store_true", help="real Flujo pipelines instead (needs Flujo 0.6.11, Python 3.13)"
    )
    parser.add_argument(
        "--experimental",
        action="store_true",
        help=(
            "one more column: default on the experimental event loop rloop (the experimental extra; "
            "not production-ready by its authors' word, never chosen by a shipped profile)"
        ),
    )
    parser.add_argument("--plot", metavar="FILE.svg", help="also draw a chart (needs the plot extra)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="flujo-tuning bench", description=DESCRIPTION)
    add_arguments(parser)
    parser.add_argument("--pyproject", metavar="PATH", help="the pyproject.toml whose profiles to measure")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m flujo_tuning.bench``: the same output layer as ``flujo-tuning bench``."""
    from .output import warnings_as_lines

    with warnings_as_lines():
        return run(build_parser().parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """Run the benchmark for parsed options (see :func:`add_arguments`); the exit code."""
    chosen = args.profiles or ",".join(FLUJO_PROFILES if args.flujo else DEFAULT_PROFILES)
    profiles = [p.strip() for p in chosen.split(",") if p.strip()]
    if args.flujo:
        from .flujo_workloads import flujo_available

        if not flujo_available():
            error("--flujo: Flujo is not installed (pip install 'flujo==0.6.11', on Python 3.13)")
            return 2
    if len(profiles) < 2:
        error("--profiles needs at least two profiles (baseline first)")
        return 2
    from .._errors import ConfigError

    if args.plot:
        from .plot import PlotError, check_plot_path

        try:
            check_plot_path(args.plot)
        except PlotError as exc:
            error(exc)
            return 2
    try:
        report = run_bench(
            profiles,
            quick=args.quick,
            progress=sys.stderr.isatty(),
            flujo=args.flujo,
            pyproject=getattr(args, "pyproject", None),
            experimental=args.experimental,
        )
    except (ConfigError, BenchError) as exc:
        error(exc)
        return 1
    color = sys.stdout.isatty() and "NO_COLOR" not in os.environ and not args.markdown
    sys.stdout.write(render(report, markdown=args.markdown, color=color))
    if args.plot:
        from .plot import plot_bench

        plot_bench(report, args.plot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
