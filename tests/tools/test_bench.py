"""flujo_tuning.bench: the scenario runner and its table (the timing itself is in tests/benchmarks)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from flujo_tuning.tools.bench import BenchReport, render

from ..conftest import loop_policy, run_with_terminal_stderr

# What bench measures and prints does not depend on the Python version: one CI leg runs it.
pytestmark = pytest.mark.once


def _report() -> BenchReport:
    from flujo_tuning.tools.workloads import SCENARIOS

    scenarios = tuple((s.name, s.title) for s in SCENARIOS)
    report = BenchReport(("stdlib", "default"), 3, scenarios, environment={"python": "CPython 3.12.1"})
    for scenario in ("trivial", "cached", "mixed"):
        report.rates[(scenario, "stdlib")] = [100.0, 110.0, 90.0]
        report.rates[(scenario, "default")] = [250.0, 200.0, 150.0]
    report.choices = {"stdlib": "event_loop=asyncio", "default": "event_loop=uvloop"}
    return report


def test_ratios_are_medians_of_per_round_ratios_with_their_range() -> None:
    report = _report()
    assert report.median("cached", "default") == 200.0
    assert report.round_ratios("cached", "default") == [2.5, 200 / 110, 150 / 90]
    assert report.ratio("cached", "default") == 200 / 110
    assert report.ratio_range("cached", "default") == (150 / 90, 2.5)
    assert report.spread("cached", "default") == pytest.approx(0.25)


def test_markdown_table_has_figures_spread_and_environment_but_no_outside_claims() -> None:
    text = render(_report(), markdown=True)
    lines = text.splitlines()
    assert lines[0].startswith("| Scenario")
    assert "| 1,000 cached steps (hash-only)" in text
    assert "200 ±25% (1.82x, 1.67-2.50x)" in text
    assert "100 ±10%" in text
    assert "claimed" not in text.lower()
    assert "Reference" not in text
    assert "- python: CPython 3.12.1" in text
    assert "- profile default: event_loop=uvloop" in text
    assert "\x1b[" not in text  # no colour codes


def test_a_markdown_table_with_many_profiles_has_one_line_per_row() -> None:
    from flujo_tuning.tools.workloads import SCENARIOS

    names = ("stdlib", "default", "pinned-state", "ephemeral", "throughput", "low-memory")
    report = BenchReport(names, 3, tuple((s.name, s.title) for s in SCENARIOS), environment={})
    for scenario in ("trivial", "cached", "mixed"):
        for name in names:
            report.rates[(scenario, name)] = [100.0, 110.0, 90.0]
    table = [line for line in render(report, markdown=True).splitlines() if line.startswith("|")]
    assert len(table) == 2 + len(SCENARIOS)  # header, rule, one line per scenario: nothing wrapped
    assert all(line.count("|") == len(names) + 2 for line in table)


def test_bench_command_runs_quick_and_rejects_a_single_profile() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "flujo_tuning.bench", "--quick", "--markdown", "--profiles", "stdlib,default"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "| Mixed workload, all cores busy" in run.stdout
    assert "(vs stdlib, range)" in run.stdout
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


def test_run_bench_leaves_the_callers_tuning_policy_and_logging_as_they_were() -> None:

    import structlog

    import flujo_tuning
    from flujo_tuning.tools import bench

    from ..conftest import structlog_configured

    def keep(logger: object, name: str, event: dict[str, object]) -> dict[str, object]:
        raise structlog.DropEvent

    with structlog_configured(processors=[keep]):
        mine = flujo_tuning.apply("stdlib")
        policy = loop_policy()
        config = structlog.get_config()
        report = bench.run_bench(["stdlib", "default"], quick=True)
        assert flujo_tuning.current() is mine
        assert loop_policy() is policy
        assert structlog.is_configured()
        assert structlog.get_config() == config
    assert report.choices["default"].startswith("event_loop=")
    assert len(report.rates[("cached", "default")]) == 3


def test_bench_flujo_without_flujo_says_how_to_get_it() -> None:
    import importlib.util

    if importlib.util.find_spec("flujo") is not None:
        pytest.skip("Flujo is installed here")
    run = subprocess.run(
        [sys.executable, "-m", "flujo_tuning.bench", "--flujo", "--quick"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2
    assert "Flujo is not installed (pip install 'flujo==0.6.11', on Python 3.13)" in run.stderr


def test_the_progress_bar_goes_to_the_terminal_not_into_the_results(tmp_path: Path) -> None:
    done, terminal = run_with_terminal_stderr(
        [sys.executable, "-m", "flujo_tuning", "bench", "--quick", "--profiles", "stdlib,default"],
        cwd=tmp_path,
    )
    assert done.returncode == 0
    assert b"benchmarking" in terminal
    assert "benchmarking" not in done.stdout
    assert "cached steps" in done.stdout


def _fast_scenarios(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Stand-in scenarios that record the event loop of each tuning they are given."""
    from flujo_tuning.tools import http_workloads, workloads

    seen: list[str] = []

    def record(tuning: Any, _steps: int) -> float:
        seen.append(tuning.choices["event_loop"])
        return 0.01

    monkeypatch.setattr(workloads, "SCENARIOS", (workloads.Scenario("trivial", "t", 100, record),))
    monkeypatch.setattr(http_workloads, "HTTP_SCENARIOS", ())
    return seen


def test_experimental_adds_default_on_rloop_as_a_column_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("rloop")
    from flujo_tuning.tools.bench import run_bench

    seen = _fast_scenarios(monkeypatch)
    report = run_bench(("stdlib", "default"), quick=True, experimental=True)
    assert report.profiles == ("stdlib", "default", "default+event_loop=rloop")
    assert report.choices["default+event_loop=rloop"].startswith("event_loop=rloop,")
    assert seen.count("rloop") == 3  # one per round
    assert run_bench(("stdlib", "default"), quick=True).profiles == ("stdlib", "default")


def test_experimental_without_rloop_fails_instead_of_measuring_asyncio(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import flujo_tuning
    from flujo_tuning.tools.bench import run_bench

    _fast_scenarios(monkeypatch)
    monkeypatch.setitem(sys.modules, "rloop", None)  # not installed, as far as importing goes
    with pytest.raises(flujo_tuning.ConfigError, match=r"event_loop 'rloop' .* is not available"):
        run_bench(("stdlib", "default"), quick=True, experimental=True)


def test_a_scenario_that_fails_is_an_error_with_its_cause_never_a_rate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flujo_tuning.tools import http_workloads, workloads
    from flujo_tuning.tools.bench import BenchError, run_bench

    async def boom() -> None:
        raise RuntimeError("cancel scope")

    async def in_a_task_group() -> None:  # raises an exception group, as anyio's do
        async with anyio.create_task_group() as group:
            group.start_soon(boom)

    def failing(tuning: Any, _steps: int) -> float:
        if tuning.profile == "default":
            asyncio.run(in_a_task_group())
        return 0.01

    monkeypatch.setattr(workloads, "SCENARIOS", (workloads.Scenario("trivial", "some work", 100, failing),))
    monkeypatch.setattr(http_workloads, "HTTP_SCENARIOS", ())
    with pytest.raises(BenchError) as caught:
        run_bench(("stdlib", "default"), quick=True)
    assert str(caught.value) == (
        "'some work' failed under default: RuntimeError: cancel scope; no figure is reported for work "
        "that failed"
    )


def test_a_flujo_run_with_a_failed_step_is_never_counted() -> None:
    from types import SimpleNamespace

    from flujo_tuning.tools.flujo_workloads import succeeded
    from flujo_tuning.tools.workloads import WorkloadError

    good = SimpleNamespace(success=True, step_history=[SimpleNamespace(name="s1", success=True)])
    assert succeeded(good) is good
    bad = SimpleNamespace(
        success=False,
        step_history=[SimpleNamespace(name="ask", success=False, feedback="cancel scope")],
    )
    with pytest.raises(WorkloadError, match=r"a Flujo run failed \(step 'ask': cancel scope\)"):
        succeeded(bad)
