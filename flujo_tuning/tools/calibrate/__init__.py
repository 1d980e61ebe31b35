"""``flujo-tuning calibrate``: choose the profile by measuring the user's own workload.

Each candidate (a profile, or with ``search`` the current profile with one component changed)
runs TARGET in a process of its own with its settings applied at start-up, as in production.
After a warm-up, rounds are interleaved: every candidate takes one sample per round, back to
back, so a noisy neighbour slows all of them alike, and each ratio is computed per round.

Candidates that run the same for TARGET (identical decisions, or differences only in parts of the
tuning it never used in a probe call) are measured once. The current profile also runs as an A/A
control in the same rounds. The winner rule (docs/calibrate.md): a candidate beats the current
profile only when a one-sided paired t-test on the log of its per-round ratios passes at
:data:`ALPHA` divided by the number of candidates compared (Bonferroni), its median gain is at
least :data:`MIN_GAIN` and larger than the control's largest difference from the current profile;
when the control itself would pass, the session is too noisy to decide. Otherwise the candidates
tie and the current profile stays.
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
