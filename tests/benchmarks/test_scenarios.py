"""The reference document's three scenarios, per profile, with ratios to the stdlib profile.

``flujo-tuning bench`` runs the same workloads interleaved (stdlib, default, throughput, repeat)
and is where docs/benchmarks.md takes its table from; these keep the figures tracked by
pytest-benchmark.
"""

from __future__ import annotations

import statistics
from typing import Any

import pytest

import flujo_tuning
from flujo_tuning.tools.flujo_workloads import FLUJO_SCENARIOS, flujo_available
from flujo_tuning.tools.workloads import SCENARIOS, Scenario, run_scenario

from .conftest import Compare

PROFILES = ["stdlib", "default", "throughput"]


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario(benchmark: Any, compare: Compare, scenario: Scenario, profile: str) -> None:
    tuning = flujo_tuning.preview(profile)  # a dry run: nothing installed
    rounds = 3 if scenario.name == "mixed" else 15
    rates = []

    def once() -> None:
        rates.append(run_scenario(scenario, tuning))

    benchmark.pedantic(once, rounds=rounds, iterations=1, warmup_rounds=1 if scenario.name != "mixed" else 0)
    rate = statistics.median(rates)
    compare(
        benchmark,
        f"scenario: {scenario.title}",
        profile,
        baseline=profile == "stdlib",
        note=f"{rate:,.0f} iter/s",
        seconds=scenario.steps / rate,  # the workload's own timing: excludes starting processes
    )


FLUJO_PROFILES = ["stdlib", "default", "throughput", "ephemeral"]


@pytest.mark.parametrize("profile", FLUJO_PROFILES)
@pytest.mark.parametrize("scenario", FLUJO_SCENARIOS, ids=[s.name for s in FLUJO_SCENARIOS])
def test_flujo_scenario(benchmark: Any, compare: Compare, scenario: Scenario, profile: str) -> None:
    """Real Flujo (the test-flujo group): `flujo-tuning bench --flujo` is the interleaved version."""
    if not flujo_available():
        pytest.skip("needs Flujo (the test-flujo group, Python 3.13)")
    tuning = flujo_tuning.preview(profile)
    rates = []

    def once() -> None:
        rates.append(run_scenario(scenario, tuning, scenario.min_steps))

    benchmark.pedantic(once, rounds=5, iterations=1, warmup_rounds=1)
    rate = statistics.median(rates)
    compare(
        benchmark,
        f"scenario: {scenario.title}",
        profile,
        baseline=profile == "stdlib",
        note=f"{rate:,.1f} runs/s",
        seconds=1 / rate,
    )
