"""``flujo-tuning calibrate``: choose the profile by measuring the user's own workload.

Each candidate (a profile, or with ``search`` the current profile with one component changed)
runs TARGET in a process of its own with its settings applied at start-up, as in production.
After a warm-up, rounds are interleaved: every candidate takes one sample per round, back to
back, so a noisy neighbour slows all of them alike, and each ratio is computed per round.

The winner rule (docs/calibrate.md): a candidate beats the current profile only when it was
faster in so many rounds that chance is ruled out (a one-sided sign test at :data:`ALPHA`, divided
by the number of candidates compared: Bonferroni) and by at least :data:`MIN_GAIN` at the
median. Otherwise the candidates tie and the current profile stays.
"""

from .render import dump_json, render
from .report import (
    ALPHA,
    MIN_GAIN,
    MIN_ROUNDS_FOR_A_WINNER,
    CalibrationError,
    CalibrationReport,
    CandidateResult,
    parse_budget,
)
from .session import calibrate
from .write import Written, plan_write, write

__all__ = [
    "ALPHA",
    "MIN_GAIN",
    "MIN_ROUNDS_FOR_A_WINNER",
    "CalibrationError",
    "CalibrationReport",
    "CandidateResult",
    "Written",
    "calibrate",
    "dump_json",
    "parse_budget",
    "plan_write",
    "render",
    "write",
]
