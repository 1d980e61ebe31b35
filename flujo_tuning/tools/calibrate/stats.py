"""The statistics of the winner rule (docs/calibrate.md): a one-sided paired t-test on the logarithm
of the per-round speed ratios, Bonferroni-corrected for the candidates compared.

Why this test: rounds are interleaved, so each round gives one paired ratio (candidate / current,
measured back to back) and machine noise hits both alike. Speed ratios multiply, so their logarithm
is the scale where a gain and the same loss are symmetric. A sign test (what calibrate used before)
ignores how large each gain is: with 5 rounds its smallest possible p-value is 1/32, above any
corrected threshold, so a candidate 2x faster in every round was called a tie. The t-test uses the
size and the consistency of the gain, so a large steady effect wins in a few rounds while noise
around zero stays a tie.

Student's t distribution with integer degrees of freedom has an exact finite series (Abramowitz
and Stegun 26.7.3 and 26.7.4), so no numerical library is needed for it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

__all__ = ["MIN_ROUNDS", "paired_log_test", "rounds_needed", "t_critical", "t_sf"]

#: The fewest rounds the test is run on: two degrees of freedom at least (one outlier round cannot
#: make a winner on its own).
MIN_ROUNDS = 3


def t_sf(t: float, df: int) -> float:
    """P(T >= t) for Student's t with *df* degrees of freedom (a positive integer)."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be at least 1, got {df}")
    if math.isinf(t):
        return 0.0 if t > 0 else 1.0
    theta = math.atan(abs(t) / math.sqrt(df))
    cos2 = math.cos(theta) ** 2
    if df % 2:  # odd: A = (2/pi) (theta + sin(theta) cos(theta) (1 + 2/3 cos^2 + (2*4)/(3*5) cos^4 ...))
        term, total = 1.0, 1.0 if df > 1 else 0.0
        for k in range(1, (df - 1) // 2):
            term *= (2 * k) / (2 * k + 1) * cos2
            total += term
        inside = theta + (math.sin(theta) * math.cos(theta) * total if df > 1 else 0.0)
        central = 2 / math.pi * inside
    else:  # even: A = sin(theta) (1 + 1/2 cos^2 + (1*3)/(2*4) cos^4 + ...)
        term, total = 1.0, 1.0
        for k in range(1, df // 2):
            term *= (2 * k - 1) / (2 * k) * cos2
            total += term
        central = math.sin(theta) * total
    central = min(1.0, max(0.0, central))  # P(|T| <= |t|)
    return (1 - central) / 2 if t >= 0 else (1 + central) / 2


def t_critical(alpha: float, df: int) -> float:
    """The t with P(T >= t) = *alpha* (bisection on :func:`t_sf`, exact to 1e-9)."""
    low, high = 0.0, 1.0
    while t_sf(high, df) > alpha:
        high *= 2
    for _ in range(200):
        middle = (low + high) / 2
        if t_sf(middle, df) > alpha:
            low = middle
        else:
            high = middle
        if high - low < 1e-9:
            break
    return high


def paired_log_test(ratios: Sequence[float]) -> float:
    """One-sided p-value that the mean log ratio is above zero (the candidate is faster).

    1.0 with fewer than :data:`MIN_ROUNDS` ratios (no verdict possible), or when no round was
    faster; 0.0 when every round shows exactly the same gain (no spread at all).
    """
    logs = [math.log(r) for r in ratios if r > 0]
    if len(logs) < MIN_ROUNDS:
        return 1.0
    mean = statistics.fmean(logs)
    spread = statistics.stdev(logs)
    if spread == 0.0:
        return 0.0 if mean > 0 else 1.0
    return t_sf(mean / (spread / math.sqrt(len(logs))), len(logs) - 1)


def rounds_needed(gain: float, noise: float, alpha: float, most: int = 1000) -> int | None:
    """The fewest rounds in which a steady *gain* (1.10 for 10% faster) is expected to pass the
    test at *alpha*, when the log ratios vary between rounds by *noise* (their standard deviation);
    None beyond *most* rounds."""
    effect = math.log(gain)
    if effect <= 0:
        return None
    for rounds in range(MIN_ROUNDS, most + 1):
        if effect / noise * math.sqrt(rounds) >= t_critical(alpha, rounds - 1):
            return rounds
    return None
