"""flujo_tuning.bench: the scenario runner and its table (the timing itself is in tests/benchmarks)."""

from __future__ import annotations

import subprocess
import sys

from flujo_tuning.bench import BenchReport, render


def _report() -> BenchReport:
    report = BenchReport(("stdlib", "default"), rounds=3, environment={"python": "CPython 3.12.1"})
    for scenario in ("trivial", "cached", "mixed"):
        report.rates[(scenario, "stdlib")] = [100.0, 110.0, 90.0]
        report.rates[(scenario, "default")] = [250.0, 200.0, 150.0]
    report.choices = {"stdlib": "event_loop=asyncio", "default": "event_loop=uvloop"}
    return report


def test_ratios_are_medians_against_the_first_profile() -> None:
    report = _report()
    assert report.median("cached", "default") == 200.0
    assert report.ratio("cached", "default") == 2.0


def test_markdown_table_has_claims_figures_and_environment() -> None:
    text = render(_report(), markdown=True)
    lines = text.splitlines()
    assert lines[0].startswith("| Scenario")
    assert "| 1,000 cached steps (hash-only)" in text
    assert "11,000 -> 12,800 (1.16x)" in text
    assert "200 (2.00x)" in text
    assert "- python: CPython 3.12.1" in text
    assert "- profile default: event_loop=uvloop" in text
    assert "\x1b[" not in text  # no colour codes


def test_bench_command_runs_quick_and_rejects_a_single_profile() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "flujo_tuning.bench", "--quick", "--markdown", "--profiles", "stdlib,default"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "| Mixed workload, all cores busy" in run.stdout
    assert "(vs stdlib)" in run.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "flujo_tuning.bench", "--profiles", "stdlib"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert "at least two profiles" in bad.stderr


def test_bench_command_reports_an_unknown_profile() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "flujo_tuning.bench", "--quick", "--profiles", "stdlib,thruput"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    assert "unknown profile 'thruput'" in run.stderr
    assert "did you mean 'throughput'" in run.stderr
