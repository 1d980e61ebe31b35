"""When the first rounds end: the confirmation must keep the time to start its processes again
and complete the rounds a verdict needs (CI under load once left it 2 rounds, and a 15x gain
went unconfirmed)."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import pytest

from flujo_tuning.tools.calibrate.report import MIN_ROUNDS_FOR_A_WINNER
from flujo_tuning.tools.calibrate.session import (
    _SAMPLE_SECONDS,
    FIRST_ROUNDS_SHARE,
    _Clock,
    _first_rounds_until,
    _round_cost,
)


def _ready(count: int, per_call: float = 1e-5) -> list[Any]:
    return [SimpleNamespace(result=SimpleNamespace(per_call=per_call)) for _ in range(count)]


def _until(startup: float, budget: float, processes: int, per_call: float = 1e-5) -> tuple[float, float]:
    clock = _Clock(time.monotonic() - startup, budget)
    until = _first_rounds_until(SimpleNamespace(budget=budget), _ready(processes, per_call), clock)  # type: ignore[arg-type]
    return until, clock.elapsed()


def test_a_quick_start_keeps_the_usual_share() -> None:
    until, started = _until(startup=1.0, budget=60.0, processes=3)
    assert until == pytest.approx(started + (60.0 - started) * FIRST_ROUNDS_SHARE, abs=0.05)


def test_a_slow_start_leaves_the_confirmation_its_start_up_and_rounds() -> None:
    until, started = _until(startup=3.0, budget=12.0, processes=3)
    share = started + (12.0 - started) * FIRST_ROUNDS_SHARE
    assert until < share
    confirmation = 12.0 - until
    rounds = MIN_ROUNDS_FOR_A_WINNER * 3 * _SAMPLE_SECONDS * 1.15
    assert confirmation >= started + rounds  # start-up again, then the rounds
    assert until - started >= rounds  # the first rounds keep theirs


def test_a_budget_too_small_for_both_keeps_the_first_rounds() -> None:
    until, started = _until(startup=5.0, budget=6.0, processes=4)
    assert (
        until - started
        >= min((6.0 - started) * FIRST_ROUNDS_SHARE, MIN_ROUNDS_FOR_A_WINNER * 4 * _SAMPLE_SECONDS * 1.15)
        - 0.01
    )
    assert until <= started + (6.0 - started) * FIRST_ROUNDS_SHARE + 0.01


def test_a_round_costs_what_each_candidate_takes_at_its_own_speed() -> None:
    """json 10x slower than orjson: a round takes the slow candidate's repeats too (CI once planned
    0.35 s rounds that took over 1 s, and stopped after 2)."""
    calls, seconds = _round_cost([1e-4, 1e-4, 1e-3], _SAMPLE_SECONDS)
    assert calls == 1000  # the median candidate's sample lasts 0.1 s
    assert seconds == pytest.approx(1000 * 1.2e-3 * 1.15)
    calls, seconds = _round_cost([0.5, 0.5], _SAMPLE_SECONDS)
    assert calls == 1  # a call longer than a sample is a sample
    assert seconds == pytest.approx(1.15)


def test_a_slow_candidate_moves_the_end_of_the_first_rounds_earlier() -> None:
    even, _ = _until(startup=3.0, budget=16.0, processes=3, per_call=1e-4)
    clock = _Clock(time.monotonic() - 3.0, 16.0)
    ready = _ready(2, 1e-4) + _ready(1, 1e-3)
    uneven = _first_rounds_until(SimpleNamespace(budget=16.0), ready, clock)  # type: ignore[arg-type]
    assert uneven < even - 1.0
