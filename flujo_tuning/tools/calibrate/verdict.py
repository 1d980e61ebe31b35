"""The verdict of a calibration in words: the winner and its evidence, a tie and why, or a session
too noisy to decide (docs/calibrate.md, "How the winner is decided")."""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING

from .report import _HINT_GAIN, MIN_GAIN, MIN_ROUNDS_FOR_A_WINNER
from .stats import rounds_needed

if TYPE_CHECKING:
    from .report import CalibrationReport

__all__ = ["verdict_of"]


def _confirmed(self: CalibrationReport, leader: str) -> str:
    """How the fresh rounds judged *leader*, as a clause ('' when none were needed)."""
    confirmation = self.confirmation
    if not self.confirm:
        return ""
    failed = [c for c in confirmation.candidates if c.failed] if confirmation is not None else []
    if failed:
        first = failed[0]
        return f"not confirmed: {first.name} failed in its new process ({first.stage}: {first.error})"
    if not _could_confirm(self):
        rounds = confirmation.rounds if confirmation is not None else 0
        return (
            f"not confirmed: the budget left time for {rounds} fresh rounds in new processes, and "
            f"confirming needs {MIN_ROUNDS_FOR_A_WINNER} (raise --budget)"
        )
    assert confirmation is not None
    ratio = confirmation.ratio(leader, self.current)
    shown = f"{ratio[0]:.2f}x, p={confirmation.p_value(leader):.2g}" if ratio else "not measured"
    outcome = "confirmed" if confirmation.leader == leader else "not confirmed"
    return f"{outcome} in {confirmation.rounds} fresh rounds in new processes ({shown})"


def _could_confirm(self: CalibrationReport) -> bool:
    """Whether the fresh rounds were enough for a verdict (else the lead is untested, not refuted)."""
    confirmation = self.confirmation
    return (
        confirmation is not None
        and confirmation.rounds >= MIN_ROUNDS_FOR_A_WINNER
        and not any(c.failed for c in confirmation.candidates)
    )


def verdict_of(self: CalibrationReport) -> str:
    winner = self.winner
    leader = self.leader
    if winner is None and leader is not None:
        median = (self.ratio(leader, self.current) or (0.0,))[0]
        return (
            f"tie: {leader} led the rounds ({median:.2f}x the current profile {self.current!r}, "
            f"p={self.p_value(leader):.2g}) but was {_confirmed(self, leader)}"
            + (
                ": a lead that does not survive new processes is the machine's, not the profile's"
                if _could_confirm(self)
                else ": a lead in one set of processes may be theirs, not the profile's"
            )
            + f"; keep {self.current!r}"
        )
    if winner is not None:
        median, low, high = self.ratio(winner, self.current) or (0.0, 0.0, 0.0)
        result = self.candidate(winner)
        same = self.equal_groups.get(winner, [])
        also = f" (the same here: {', '.join(same)})" if same else ""
        gives = f"; it {result.trade_off}" if result.gives_up else ""
        offset = self.offset()
        against = (
            f"; against the A/A control p={self.p_value(winner, self.control.name):.2g}, the two "
            f"processes of {self.current!r} {offset:.2f}x apart at the median"
            if self.control is not None and offset
            else ""
        )
        return (
            f"winner: {winner}{also}, {median:.2f}x the current profile {self.current!r} (t-test "
            f"p={self.p_value(winner):.2g} <= {self.threshold:.2g}, faster in {self.wins(winner)} of "
            f"{self.rounds} rounds; per-round {low:.2f}-{high:.2f}x{against})"
            + (f"; {_confirmed(self, winner)}" if self.confirm else "")
            + gives
        )
    if self.nothing_to_compare:
        unused = f"; it did not use {', '.join(self.unused)}" if self.unused else ""
        return (
            f"tie: every candidate runs the same for {self.target} (identical here, or different only "
            f"in settings it did not use{unused}), so nothing needed measuring; keep {self.current!r}"
        )
    if self.too_noisy():
        control = self.control
        assert control is not None
        median = statistics.median(self.round_ratios(control.name, self.current))
        return (
            f"too noisy to decide: the current profile compared with itself differed by up to "
            f"{self.noise_band() or 1.0:.2f}x between rounds ({median:.2f}x at the median, which "
            f"the t-test and the gain rule would have passed), and no candidate's gain went beyond "
            f"that: none can be told from chance here; run calibrate again on a quieter machine; "
            f"keep {self.current!r}"
        )
    if self.rounds < MIN_ROUNDS_FOR_A_WINNER:
        why = (
            f"only {self.rounds} complete rounds (a verdict needs at least {MIN_ROUNDS_FOR_A_WINNER}): "
            "this budget cannot reach one; raise --budget"
        )
        if not any(c.rates for c in self.candidates):
            why = "no round completed, so nothing was compared"
    else:
        offset = self.offset()
        beyond = (
            f", beyond the A/A offset ({offset:.2f}x) and faster than its A/A control too" if offset else ""
        )
        why = (
            f"no candidate was faster than {self.current!r} beyond the noise (t-test p <= "
            f"{self.threshold:.2g}), by {MIN_GAIN:.0%} or more at the median{beyond}"
        )
    best = max(self.compared, key=lambda c: (self.ratio(c.name, self.current) or (0.0,))[0], default=None)
    if best is not None and self.rounds:
        median = (self.ratio(best.name, self.current) or (0.0,))[0]
        why += (
            f"; closest: {best.name}, {median:.2f}x, faster in {self.wins(best.name)} of "
            f"{self.rounds} rounds (p={self.p_value(best.name):.2g})"
        )
    noise = self.noise()
    if noise:
        needed = rounds_needed(_HINT_GAIN, noise, self.threshold, most=200)
        hint = f"about {needed} rounds" if needed else "more than 200 rounds"
        why += (
            f"; at the noise measured here (log ratios vary by {noise:.2f} between rounds), a steady "
            f"{_HINT_GAIN:.2f}x gain would need {hint}"
        )
    return f"tie: {why}; keep {self.current!r}"
