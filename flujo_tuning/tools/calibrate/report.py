"""What calibrate measured, and the verdict: the report model, its statistics and the winner rule
(docs/calibrate.md)."""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass, field
from typing import Any

from ..._errors import FlujoTuningError
from .stats import MIN_ROUNDS, paired_log_test

__all__ = [
    "ALPHA",
    "MIN_GAIN",
    "MIN_ROUNDS_FOR_A_WINNER",
    "CalibrationError",
    "CalibrationReport",
    "CandidateResult",
    "parse_budget",
]

_BUDGET = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hr|hrs|hours?)?\s*$", re.IGNORECASE
)
#: A winner must be at least this much faster than the current profile at the median...
MIN_GAIN = 0.03
#: ... and beyond the noise: a one-sided paired t-test on the log ratios at ALPHA / candidates
#: compared (Bonferroni; stats.py says why this test).
ALPHA = 0.05
#: The fewest rounds in which a winner is possible at all.
MIN_ROUNDS_FOR_A_WINNER = MIN_ROUNDS
#: The gain the report says how many rounds would need, at the noise measured (a tie's hint).
_HINT_GAIN = 1.10


class CalibrationError(FlujoTuningError):
    """TARGET or the options cannot be calibrated (bad target, every candidate failed, ...)."""


def parse_budget(text: str) -> float:
    """``"60s"``, ``"2m"``, ``"1h"``, ``"90"`` (seconds) -> seconds."""
    match = _BUDGET.match(text)
    if match is None or float(match.group(1)) <= 0:
        raise CalibrationError(
            f"--budget {text!r}: expected a positive duration like 60s, 90, 2m, 1.5min or 1h"
        )
    value = float(match.group(1))
    unit = (match.group(2) or "s").lower()
    return value * {"m": 60, "h": 3600}.get(unit[0], 1)


@dataclass
class CandidateResult:
    """One candidate: its settings, what its process decided, and its rates (calls/s) per round."""

    name: str
    profile: str
    overrides: dict[str, str] = field(default_factory=dict)
    #: Settings values the candidate resolved to (what ``--write`` would record).
    settings: dict[str, Any] = field(default_factory=dict)
    #: component -> choice, as decided in the candidate's own process.
    choices: dict[str, str] = field(default_factory=dict)
    rates: list[float] = field(default_factory=list)
    #: Set when the candidate failed: the stage (settings, apply, import, target, warm-up,
    #: sample, process), the error, and a traceback summary.
    stage: str | None = None
    error: str | None = None
    detail: str = ""
    #: Differences verify() found in the candidate's process (what runs vs what was decided).
    problems: list[str] = field(default_factory=list)
    per_call: float | None = None
    #: Where each setting's value came from (provenance), so --write records only the candidate's.
    sources: dict[str, str] = field(default_factory=dict)
    #: The candidate whose decisions here are identical: this one was not measured again.
    same_as: str | None = None
    #: Why it runs the same as ``same_as`` (the settings that differ decide nothing here).
    same_because: str = ""
    #: What it gives up for speed (durability, visibility), in words; empty for none.
    gives_up: list[str] = field(default_factory=list)
    #: The A/A control: the current profile again, in a process of its own, measured in the same
    #: rounds. Never a winner: what it shows against the current profile is the session's noise.
    control: bool = False

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def trade_off(self) -> str:
        """What it gives up, as one clause ('' for nothing)."""
        return "gives up " + " and ".join(self.gives_up) if self.gives_up else ""

    @property
    def median(self) -> float:
        return statistics.median(self.rates) if self.rates else 0.0

    @property
    def spread(self) -> float:
        """Half the range of the rates between rounds, relative to their median."""
        if len(self.rates) < 2 or not self.median:
            return 0.0
        return (max(self.rates) - min(self.rates)) / 2 / self.median


@dataclass
class CalibrationReport:
    """What ``calibrate()`` measured and what it recommends."""

    target: str
    current: str
    candidates: list[CandidateResult]
    rounds: int
    calls_per_sample: int
    per_call: float
    sample_seconds: float
    budget: float
    elapsed: float
    interrupted: bool
    environment: dict[str, str]
    date: str
    notes: list[str] = field(default_factory=list)
    #: The settings TARGET did not use while it ran (a probe call): candidates that differ only
    #: there run the same for it (measured once, never compared).
    unused: list[str] = field(default_factory=list)
    #: Every candidate runs the same for TARGET (identical decisions, or differences only in parts it
    #: did not use): nothing was measured, and nothing needed to be.
    nothing_to_compare: bool = False
    #: Whether a leader must win again in fresh rounds, in new processes, to be the winner (calibrate
    #: always asks; a report built by hand need not).
    confirm: bool = False
    #: The fresh rounds that re-measured the leader against the current profile and its control,
    #: each in a new process (None: no leader, or no budget left to re-measure it).
    confirmation: CalibrationReport | None = None

    def candidate(self, name: str) -> CandidateResult:
        for result in self.candidates:
            if result.name == name:
                return result
        raise KeyError(f"no candidate {name!r}; candidates: {', '.join(c.name for c in self.candidates)}")

    def round_ratios(self, name: str, to: str) -> list[float]:
        """*name*'s rate divided by *to*'s, round by round (both measured back to back)."""
        mine, theirs = self.candidate(name).rates, self.candidate(to).rates
        return [a / b for a, b in zip(mine, theirs, strict=False) if b > 0]  # failed: fewer

    def ratio(self, name: str, to: str) -> tuple[float, float, float] | None:
        """Median, lowest and highest per-round ratio, or None where either was not measured."""
        ratios = self.round_ratios(name, to)
        if not ratios:
            return None
        return statistics.median(ratios), min(ratios), max(ratios)

    @property
    def measured(self) -> list[CandidateResult]:
        return [c for c in self.candidates if not c.failed and c.rates]

    def wins(self, name: str) -> int:
        """In how many rounds *name* was faster than the current profile."""
        return sum(ratio > 1.0 for ratio in self.round_ratios(name, self.current))

    def p_value(self, name: str, to: str | None = None) -> float:
        """One-sided paired t-test on the log of the per-round ratios to *to* (the current profile by
        default): the chance of a gain this large and this steady if *name* were no faster (stats.py)."""
        return paired_log_test(self.round_ratios(name, to or self.current))

    def versus_current(self, name: str) -> float:
        """*name*'s median per-round ratio to the current profile (its median rate when the
        current profile was not measured)."""
        ratio = self.ratio(name, self.current) if self.current in self._names_measured() else None
        return ratio[0] if ratio else self.candidate(name).median

    def ordered(self) -> list[CandidateResult]:
        """The measured candidates, fastest first by the per-round ratio to the current profile: the
        one order of the table and the chart (medians of calls/s drift with the machine's load
        across rounds; ratios within a round do not)."""
        return sorted(self.measured, key=lambda c: -self.versus_current(c.name))

    def label(self, name: str) -> str:
        """How a candidate is named in the table and the chart: marks for current and winner."""
        marks = [
            mark for mark, on in (("current", name == self.current), ("winner", name == self.winner)) if on
        ]
        if self.candidate(name).control:
            return name  # its name says what it is
        return name + (f" ({', '.join(marks)})" if marks else "")

    @property
    def compared(self) -> list[CandidateResult]:
        """The measured candidates other than the current profile and its A/A control (each a
        different effect)."""
        return [c for c in self.measured if c.name != self.current and not c.control]

    @property
    def control(self) -> CandidateResult | None:
        """The A/A control, if it was measured."""
        return next((c for c in self.measured if c.control), None)

    def noise_band(self) -> float | None:
        """The largest per-round ratio between the current profile and its A/A control, either way
        (1.00 for none): how far two processes of one configuration drifted apart in a round of
        this session. None without a control."""
        control = self.control
        if control is None:
            return None
        logs = [abs(math.log(r)) for r in self.round_ratios(control.name, self.current) if r > 0]
        return math.exp(max(logs)) if logs else None

    def offset(self) -> float | None:
        """The median per-round ratio between the current profile and its A/A control, either way
        (1.00 for none): a steady difference between two processes of one configuration (a core,
        a memory layout), which no per-round test can see and a winner must exceed. None without
        a control."""
        control = self.control
        ratios = self.round_ratios(control.name, self.current) if control is not None else []
        if not ratios:
            return None
        median = statistics.median(ratios)
        return max(median, 1 / median)

    def too_noisy(self) -> bool:
        """Whether the A/A control itself passes rules 1 and 2 (t-test and gain), either way: then
        only a gain beyond the offset between the two processes of the current profile can win."""
        control = self.control
        if control is None or self.rounds < MIN_ROUNDS_FOR_A_WINNER:
            return False
        ratios = self.round_ratios(control.name, self.current)
        if len(ratios) < MIN_ROUNDS_FOR_A_WINNER:
            return False
        median = statistics.median(ratios)
        faster = paired_log_test(ratios) <= self.threshold and median >= 1.0 + MIN_GAIN
        slower = paired_log_test([1 / r for r in ratios]) <= self.threshold and median <= 1 / (1.0 + MIN_GAIN)
        return faster or slower

    @property
    def threshold(self) -> float:
        """The p-value a winner needs: ALPHA shared by every candidate compared (Bonferroni)."""
        return ALPHA / max(1, len(self.compared))

    @property
    def equal_groups(self) -> dict[str, list[str]]:
        """Measured candidate -> the candidates that run exactly the same here (not measured again)."""
        groups: dict[str, list[str]] = {}
        for result in self.candidates:
            if result.same_as is not None:
                groups.setdefault(result.same_as, []).append(result.name)
        return groups

    @property
    def winner(self) -> str | None:
        """The candidate that beat the current profile beyond the noise, or None (a tie): the
        leader of the rounds, confirmed in fresh rounds in new processes when ``confirm`` is set
        (a process can be lucky for a whole run: a faster core, a memory layout).
        """
        leader = self.leader
        if leader is None or not self.confirm:
            return leader
        confirmation = self.confirmation
        return leader if confirmation is not None and confirmation.leader == leader else None

    @property
    def leader(self) -> str | None:
        """The candidate that beat the current profile beyond the noise in these rounds, or None.

        Candidates that decide the same here are measured once, so a winner is never picked
        among equals by noise; and with fewer than MIN_ROUNDS_FOR_A_WINNER rounds there is none.
        """
        if self.current not in self._names_measured() or self.rounds < MIN_ROUNDS_FOR_A_WINNER:
            return None
        control = self.control
        offset = self.offset() or 1.0
        best: tuple[float, str] | None = None
        for result in self.compared:
            ratio = self.ratio(result.name, self.current)
            if ratio is None or self.p_value(result.name) > self.threshold or ratio[0] < 1.0 + MIN_GAIN:
                continue
            if ratio[0] < offset * (1.0 + MIN_GAIN):  # not beyond what two processes of one profile differ
                continue
            if control is not None and self.p_value(result.name, control.name) > self.threshold:
                continue  # it must beat the current profile in its second process too
            if best is None or ratio[0] > best[0]:
                best = (ratio[0], result.name)
        return best[1] if best else None

    def noise(self) -> float | None:
        """The spread of the log ratios between rounds (their standard deviation, pooled over the
        candidates compared and the control): what a gain has to stand out from. None before two
        rounds."""
        deviations = []
        for result in [*self.compared, *([self.control] if self.control else [])]:
            logs = [math.log(r) for r in self.round_ratios(result.name, self.current) if r > 0]
            if len(logs) >= 2:
                deviations.append(statistics.variance(logs))
        return math.sqrt(statistics.fmean(deviations)) if deviations else None

    @property
    def verdict(self) -> str:
        """One sentence: the winner (with its evidence), a tie (and why), or too noisy to decide."""
        from .verdict import verdict_of

        return verdict_of(self)

    def recorded(self, name: str) -> tuple[dict[str, Any], dict[str, str]]:
        """What ``--write`` records for candidate *name*: its settings, except the ones that came
        from the environment or a .env file (they outrank profiles, so they were in effect while
        measuring but belong to the environment, not the profile): setting -> the variable."""
        result = self.candidate(name)
        kept, left = {}, {}
        for key, value in result.settings.items():
            source = result.sources.get(key, "")
            if source.startswith(("env ", ".env")):
                left[key] = source
            else:
                kept[key] = value
        return kept, left

    def profile_toml(self, name: str = "calibrated") -> str:
        """The profile file ``--write`` writes for the winner ('' when the candidates tie)."""
        winner = self.winner
        if winner is None:
            return ""
        import tomlkit

        result = self.candidate(winner)
        median, low, high = self.ratio(winner, self.current) or (0.0, 0.0, 0.0)
        document = tomlkit.document()
        document.add(
            tomlkit.comment(f"Written by flujo-tuning calibrate {self.target} (candidate {winner}).")
        )
        if result.gives_up:
            document.add(tomlkit.comment(f"This profile {result.trade_off}."))
        settings, left = self.recorded(winner)
        for key, source in left.items():
            document.add(tomlkit.comment(f"{key} is not recorded: it came from {source} while measuring."))
        document["description"] = (
            f"Calibrated {self.date} on {self.target}: {winner}, {median:.2f}x {self.current!r} "
            f"({low:.2f}-{high:.2f}x over {self.rounds} rounds); {self.environment['python']}, "
            f"{self.environment['platform']}, {self.environment['cpu']}"
        )
        for key, value in settings.items():
            document[key] = value
        return tomlkit.dumps(document)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready document (``--json``)."""
        candidates = []
        for result in self.candidates:
            entry: dict[str, Any] = {
                "name": result.name,
                "profile": result.profile,
                "overrides": result.overrides,
                "choices": result.choices,
                "failed": result.failed,
                "same_as": result.same_as,
                "gives_up": result.gives_up,
                "control": result.control,
            }
            if result.failed:
                entry.update(stage=result.stage, error=result.error, detail=result.detail)
            elif result.same_as is not None:
                entry.update(same_because=result.same_because)
            else:
                entry.update(
                    calls_per_second=result.median,
                    spread=result.spread,
                    rates=result.rates,
                    problems=result.problems,
                )
                if result.name != self.current and self.current in self._names_measured():
                    entry.update(wins=self.wins(result.name), p_value=self.p_value(result.name))
                for label, other in (("vs_stdlib", "stdlib"), ("vs_current", self.current)):
                    ratio = self.ratio(result.name, other) if other in self._names_measured() else None
                    entry[label] = (
                        None if ratio is None else dict(zip(("median", "low", "high"), ratio, strict=True))
                    )
            candidates.append(entry)
        return {
            "target": self.target,
            "current": self.current,
            "winner": self.winner,
            "verdict": self.verdict,
            "rounds": self.rounds,
            "p_value_needed": self.threshold,
            "calls_per_sample": self.calls_per_sample,
            "seconds_per_call": self.per_call,
            "sample_seconds": self.sample_seconds,
            "budget_seconds": self.budget,
            "elapsed_seconds": self.elapsed,
            "interrupted": self.interrupted,
            "date": self.date,
            "environment": self.environment,
            "notes": self.notes,
            "unused_settings": self.unused,
            "noise_band": self.noise_band(),
            "offset": self.offset(),
            "too_noisy": self.too_noisy(),
            "nothing_to_compare": self.nothing_to_compare,
            "leader": self.leader,
            "confirmation": None
            if self.confirmation is None
            else {
                "rounds": self.confirmation.rounds,
                "leader": self.confirmation.leader,
                "candidates": {c.name: c.rates for c in self.confirmation.measured},
            },
            "candidates": candidates,
        }

    def _names_measured(self) -> set[str]:
        return {c.name for c in self.measured}
