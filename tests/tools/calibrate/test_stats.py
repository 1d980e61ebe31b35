"""The winner rule's statistics, on synthetic measurements (no timing, nothing machine-dependent)."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flujo_tuning.tools.calibrate.stats import MIN_ROUNDS, paired_log_test, rounds_needed, t_critical, t_sf

# Student's t critical values from the printed tables (one-sided tail probability, df, t).
TABLE = [
    (0.025, 1, 12.706),
    (0.025, 2, 4.303),
    (0.025, 3, 3.182),
    (0.025, 4, 2.776),
    (0.025, 5, 2.571),
    (0.05, 10, 1.812),
    (0.025, 15, 2.131),
    (0.01, 2, 6.965),
    (0.005, 14, 2.977),
]


@pytest.mark.parametrize(("tail", "df", "t"), TABLE)
def test_the_t_tail_matches_the_printed_tables(tail: float, df: int, t: float) -> None:
    assert t_sf(t, df) == pytest.approx(tail, abs=5e-5)
    assert t_critical(tail, df) == pytest.approx(t, abs=2e-3)


@given(st.floats(-50, 50), st.integers(1, 40))
def test_the_t_distribution_is_symmetric_and_a_probability(t: float, df: int) -> None:
    upper = t_sf(t, df)
    assert 0.0 <= upper <= 1.0
    assert upper + t_sf(-t, df) == pytest.approx(1.0, abs=1e-9)


def test_the_t_tail_falls_as_t_grows() -> None:
    values = [t_sf(t / 4, 6) for t in range(40)]
    assert values == sorted(values, reverse=True)
    assert t_sf(math.inf, 3) == 0.0
    with pytest.raises(ValueError, match="at least 1"):
        t_sf(1.0, 0)


def test_two_times_faster_in_five_rounds_is_strong_evidence() -> None:
    """What the sign test called a tie: 2x in each of 5 rounds, with a little noise."""
    p = paired_log_test([2.0, 2.1, 1.9, 2.05, 1.95])
    assert p < 0.05 / 4  # passes even when four candidates share the 5% (Bonferroni)


def test_a_steady_gain_with_no_spread_at_all_is_certain() -> None:
    assert paired_log_test([1.5] * 4) == 0.0
    assert paired_log_test([0.8] * 4) == 1.0


def test_too_few_rounds_give_no_verdict() -> None:
    assert paired_log_test([3.0] * (MIN_ROUNDS - 1)) == 1.0


def test_a_slower_candidate_never_passes() -> None:
    assert paired_log_test([0.5, 0.55, 0.45, 0.52, 0.49]) > 0.99


def test_noise_around_equality_stays_a_tie_most_of_the_time() -> None:
    """Equal speeds with 20% per-round noise: the corrected test rarely passes (false positives
    at about the corrected rate, 1.25%, measured over many synthetic runs)."""
    generator = random.Random(1234)
    runs = 4000
    passed = sum(
        paired_log_test([math.exp(generator.gauss(0, 0.2)) for _ in range(7)]) <= 0.05 / 4
        for _ in range(runs)
    )
    assert passed / runs < 0.025


def test_rounds_needed_grows_with_noise_and_shrinks_with_the_gain() -> None:
    alpha = 0.05 / 4
    assert rounds_needed(2.0, 0.1, alpha) == MIN_ROUNDS
    assert rounds_needed(1.1, 0.1, alpha) == 9
    assert rounds_needed(1.1, 0.2, alpha) == 26
    assert rounds_needed(1.05, 0.3, alpha, most=100) is None
    assert rounds_needed(0.9, 0.1, alpha) is None
