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

from __future__ import annotations

import datetime
import json
import math
import os
import re
import selectors
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast, get_args

if TYPE_CHECKING:
    from .decisions import Component

__all__ = [
    "ALPHA",
    "MIN_GAIN",
    "MIN_ROUNDS_FOR_A_WINNER",
    "CalibrationError",
    "CalibrationReport",
    "CandidateResult",
    "calibrate",
    "parse_budget",
]

#: A winner must be at least this much faster than the current profile at the median...
MIN_GAIN = 0.03
#: ... and faster in enough rounds: sign-test p-value at most ALPHA / candidates compared.
ALPHA = 0.05
#: The fewest rounds in which a winner is possible at all (5 of 5: p = 0.031 < ALPHA).
MIN_ROUNDS_FOR_A_WINNER = 5
#: The components ``search`` varies, one at a time.
SEARCHED = ("event_loop", "task_factory", "codec", "hasher", "buffer_size")
#: Buffer sizes ``search`` tries.
SEARCHED_BUFFER_SIZES = ("1KiB", "64KiB", "1MiB")
#: Profiles measured only when named: ``debug`` runs asyncio's debug mode (measured 30x slower),
#: it is for finding problems, and one slow candidate makes every round long.
NOT_BY_DEFAULT = frozenset({"debug"})
#: Never chosen by a search: not collision-resistant (see docs/decisions.md, hasher).
NOT_SEARCHED = frozenset({"xxh3_128"})

_TARGET = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
_BUDGET = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?)?\s*$", re.IGNORECASE)
_MIN_SAMPLE_SECONDS = 0.02
_SAMPLE_SECONDS = 0.1
_MAX_ROUNDS = 15
#: Kept free at the end of the budget for stopping the worker processes.
_CLOSING_SECONDS = 1.0


class CalibrationError(Exception):
    """TARGET or the options cannot be calibrated (bad target, every candidate failed, ...)."""


def parse_budget(text: str) -> float:
    """``"60s"``, ``"2m"``, ``"90"`` (seconds) -> seconds."""
    match = _BUDGET.match(text)
    if match is None or float(match.group(1)) <= 0:
        raise CalibrationError(f"--budget {text!r}: expected a positive duration like 60s, 90, 2m or 1.5min")
    value = float(match.group(1))
    unit = (match.group(2) or "s").lower()
    return value * 60 if unit.startswith("m") else value


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

    @property
    def failed(self) -> bool:
        return self.error is not None

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

    def p_value(self, name: str) -> float:
        """One-sided sign test: the chance of at least this many faster rounds if *name* were
        no faster than the current profile (each round a coin toss)."""
        rounds = len(self.round_ratios(name, self.current))
        wins = self.wins(name)
        return sum(math.comb(rounds, k) for k in range(wins, rounds + 1)) / 2**rounds if rounds else 1.0

    @property
    def threshold(self) -> float:
        """The p-value a winner needs: ALPHA shared by every candidate compared (Bonferroni)."""
        compared = sum(1 for c in self.measured if c.name != self.current)
        return ALPHA / max(1, compared)

    @property
    def winner(self) -> str | None:
        """The candidate that beat the current profile beyond the noise, or None (a tie)."""
        if self.current not in self._names_measured():
            return None
        best: tuple[float, str] | None = None
        for result in self.measured:
            if result.name == self.current:
                continue
            ratio = self.ratio(result.name, self.current)
            if ratio is None or self.p_value(result.name) > self.threshold or ratio[0] < 1.0 + MIN_GAIN:
                continue
            if best is None or ratio[0] > best[0]:
                best = (ratio[0], result.name)
        return best[1] if best else None

    @property
    def verdict(self) -> str:
        winner = self.winner
        if winner is not None:
            median, low, high = self.ratio(winner, self.current) or (0.0, 0.0, 0.0)
            return (
                f"winner: {winner}, {median:.2f}x the current profile {self.current!r} (faster in "
                f"{self.wins(winner)} of {self.rounds} rounds, sign test p={self.p_value(winner):.2g} "
                f"<= {self.threshold:.2g}; per-round {low:.2f}-{high:.2f}x)"
            )
        if self.rounds < MIN_ROUNDS_FOR_A_WINNER:
            why = (
                f"only {self.rounds} rounds fitted (a winner needs {MIN_ROUNDS_FOR_A_WINNER}: raise --budget)"
            )
        else:
            why = (
                f"no candidate was faster than {self.current!r} in enough rounds (sign test p <= "
                f"{self.threshold:.2g}) and by {MIN_GAIN:.0%} or more at the median"
            )
        best = max(
            (c for c in self.measured if c.name != self.current),
            key=lambda c: (self.ratio(c.name, self.current) or (0.0,))[0],
            default=None,
        )
        if best is not None and self.rounds:
            median = (self.ratio(best.name, self.current) or (0.0,))[0]
            why += (
                f"; closest: {best.name}, {median:.2f}x, faster in {self.wins(best.name)} of "
                f"{self.rounds} rounds (p={self.p_value(best.name):.2g})"
            )
        return f"tie: {why}; keep {self.current!r}"

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
        document["description"] = (
            f"Calibrated {self.date} on {self.target}: {winner}, {median:.2f}x {self.current!r} "
            f"({low:.2f}-{high:.2f}x over {self.rounds} rounds); {self.environment['python']}, "
            f"{self.environment['platform']}, {self.environment['cpu']}"
        )
        for key, value in result.settings.items():
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
            }
            if result.failed:
                entry.update(stage=result.stage, error=result.error, detail=result.detail)
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
            "candidates": candidates,
        }

    def _names_measured(self) -> set[str]:
        return {c.name for c in self.measured}


# ---------------------------------------------------------------- candidates


#: What a written profile records: the settings that tune (not strict or disable_uvloop, which are
#: operational switches of a deployment, not measured choices).
RECORDED = ("event_loop", "task_factory", "codec", "hasher", "buffer_size", "perf_debug", "asyncio_debug")
RECORDED_FLUJO = ("state_backend", "tracing")


def _settings_values(settings: Any) -> dict[str, Any]:
    values = settings.values()
    return {k: (int(values[k]) if k == "buffer_size" else values[k]) for k in RECORDED + RECORDED_FLUJO}


def _candidate(name: str, profile: str, overrides: dict[str, str]) -> tuple[CandidateResult, dict[str, str]]:
    from ._errors import ConfigError
    from .settings import resolve

    result = CandidateResult(name, profile, dict(overrides))
    try:
        settings = resolve(profile, **overrides)
    except ConfigError as exc:
        result.stage, result.error = "settings", str(exc)
        return result, {}
    result.settings = _settings_values(settings)
    return result, settings.environ()


def _search_variations(current: str) -> list[tuple[str, dict[str, str]]]:
    """The current profile with one component changed, where that changes what runs here."""
    from ._apply import preview
    from .settings import ResolvedSettings

    base = preview(current)
    variations: list[tuple[str, dict[str, str]]] = []
    for component in SEARCHED:
        if component == "buffer_size":
            options: Sequence[str] = SEARCHED_BUFFER_SIZES
        else:
            options = [
                v for v in get_args(ResolvedSettings.model_fields[component].annotation) if v != "auto"
            ]
        for value in options:
            if value in NOT_SEARCHED:
                continue
            try:
                varied = preview(current, **{component: value})
            except Exception:  # a value this machine cannot take is no candidate
                continue
            decision = varied.decision(cast("Component", component))
            if decision.fallback or decision.choice == base.decision(cast("Component", component)).choice:
                continue
            variations.append((f"{current}+{component}={value}", {component: value}))
    return variations


def _candidates(
    current: str, profiles: Sequence[str] | None, search: bool
) -> list[tuple[CandidateResult, dict[str, str]]]:
    from .settings import profile_catalog

    names = list(profiles) if profiles else [n for n in profile_catalog().names() if n not in NOT_BY_DEFAULT]
    for required in (current, "stdlib"):  # the two every ratio is taken against
        if required not in names:
            names.insert(0, required)
    chosen: list[tuple[str, str, dict[str, str]]] = [(name, name, {}) for name in dict.fromkeys(names)]
    if search:
        chosen += [(name, current, overrides) for name, overrides in _search_variations(current)]
    return [_candidate(name, profile, overrides) for name, profile, overrides in chosen]


# ---------------------------------------------------------------- worker processes


class _Process:
    """One candidate's worker process and its JSON-lines channel."""

    def __init__(self, result: CandidateResult, target: str, environ: dict[str, str], cwd: Path) -> None:
        from .settings import SETTING_NAMES

        self.result = result
        ours = {f"FLUJO_{name.upper()}" for name in SETTING_NAMES} | {"FLUJO_PYPROJECT"}
        env = {k: v for k, v in os.environ.items() if k not in ours}
        env.update(environ)
        # Its stderr, read back when it dies; closed in close().
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flujo_tuning._calibrate_worker", target],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=cwd,
            env=env,
            text=True,
            encoding="utf-8",
            start_new_session=True,  # Ctrl-C in the terminal is for the parent alone
        )

    def ask(self, command: str | None, timeout: float) -> dict[str, Any] | None:
        """Send *command* (None: just read), return the answer; None after marking a failure."""
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None
        assert stdout is not None
        if command is not None:
            try:
                stdin.write(command + "\n")
                stdin.flush()
            except OSError:
                self._lost("its process ended")
                return None
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                self._lost(f"no answer within {timeout:.0f} s (hung?)")
                return None
        line = stdout.readline()
        if not line:
            self._lost("its process ended")
            return None
        message: dict[str, Any] = json.loads(line)
        if message.get("event") == "failed":
            self.result.stage = message.get("stage", "process")
            self.result.error = message.get("error", "failed")
            self.result.detail = message.get("detail", "")
            self.close()
            return None
        return message

    def _lost(self, why: str) -> None:
        """Mark the candidate failed with the tail of its stderr (read before closing it)."""
        if self.process.poll() is None:
            self.process.kill()
        code = self.process.wait()
        if why == "its process ended":
            why += f" (exit code {code})"
        self._stderr.seek(0)
        tail = self._stderr.read()[-2000:].strip()
        self.close()
        self.result.stage, self.result.error, self.result.detail = "process", why, tail

    def close(self) -> None:
        if self.process.poll() is None:
            with suppress(OSError):
                assert self.process.stdin is not None
                self.process.stdin.close()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with suppress(OSError):
                    stream.close()
        self._stderr.close()


# ---------------------------------------------------------------- the measurement


def calibrate(
    target: str,
    *,
    profiles: Sequence[str] | None = None,
    search: bool = False,
    budget: float = 60.0,
    rounds: int | None = None,
    progress: bool = False,
    cwd: str | os.PathLike[str] | None = None,
) -> CalibrationReport:
    """Measure TARGET (``module:function``, importable from *cwd*) under each candidate.

    *profiles*: the candidates (default: every shipped and project profile); the current profile
    and ``stdlib`` are always measured, as references for the ratios. *search*: also the current
    profile with one component changed at a time. *budget*: seconds for the whole run, rounds
    included; *rounds*: at most this many (default: as many as the budget allows, up to 15).
    Raises :class:`CalibrationError` for a bad TARGET (with its import error or traceback).
    Ctrl-C stops it: the report then holds the rounds completed (``interrupted``).
    """
    from .bench import environment
    from .settings import resolve

    if not _TARGET.match(target):
        raise CalibrationError(
            f"TARGET {target!r}: expected module:function (e.g. app.pipeline:run_once), a function "
            "importable from the current directory that runs one unit of your work"
        )
    if budget <= 0:
        raise CalibrationError(f"budget must be positive, got {budget!r}")
    if rounds is not None and rounds < 1:
        raise CalibrationError(f"rounds must be at least 1, got {rounds!r}")
    started = time.monotonic()
    directory = Path(cwd) if cwd is not None else Path.cwd()
    with _chdir(directory):
        current = resolve().profile
        planned = _candidates(current, profiles, search)
    results = [result for result, _ in planned]
    from .settings import SETTING_NAMES

    overriding = sorted(
        f"FLUJO_{n.upper()}={os.environ[f'FLUJO_{n.upper()}']}"
        for n in SETTING_NAMES
        if n != "profile" and f"FLUJO_{n.upper()}" in os.environ
    )
    report = CalibrationReport(
        target=target,
        current=current,
        candidates=results,
        rounds=0,
        calls_per_sample=0,
        per_call=0.0,
        sample_seconds=0.0,
        budget=budget,
        elapsed=0.0,
        interrupted=False,
        environment=environment(),
        date=datetime.date.today().isoformat(),
    )
    if overriding:
        report.notes.append(
            f"{', '.join(overriding)} in the environment outrank every candidate's profile (as in "
            "production), so those settings were not compared"
        )
    processes = [_Process(result, target, env, directory) for result, env in planned if not result.failed]
    try:
        _measure(report, processes, started, rounds, progress)
    except KeyboardInterrupt:
        report.interrupted = True
        report.notes.append("interrupted (Ctrl-C): the report holds the rounds completed before")
    finally:
        for process in processes:
            process.close()
    report.elapsed = time.monotonic() - started
    _trim_to_complete_rounds(report)
    _check_outcome(report)
    return report


@contextmanager
def _chdir(directory: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(before)


def _measure(
    report: CalibrationReport, processes: list[_Process], started: float, rounds: int | None, progress: bool
) -> None:
    # Start-up: every process applies its profile and imports TARGET (in parallel), then warms up
    # one at a time (a warm-up is a measurement: nothing else runs meanwhile).
    alive = []
    for process in processes:
        loaded = process.ask(None, timeout=120)
        if loaded is not None:
            process.result.problems = list(loaded.get("problems", []))
            process.result.choices = dict(loaded.get("choices", {}))
            alive.append(process)
    # Warm-ups take at most about 15% of the budget between them.
    warmup = min(0.25, max(0.05, 0.15 * report.budget / max(1, len(alive))))
    ready = []
    for process in alive:
        answer = process.ask(f"warmup {warmup}", timeout=120 + warmup * 10)
        if answer is not None:
            process.result.per_call = float(answer["per_call"])
            ready.append(process)
    _fail_early(report)
    if not ready:
        return
    per_call = statistics.median(p.result.per_call or 0.0 for p in ready) or 1e-9
    calls, planned, round_seconds = _plan(report, len(ready), per_call, started, rounds)
    timeout = max(60.0, 20 * calls * per_call)
    from .bench import progress_bar

    with progress_bar(progress, planned * len(ready), "calibrating") as advance:
        for _ in range(planned):
            # The next round must fit, judged by the last one (which shows what this machine does now).
            if (
                report.rounds
                and time.monotonic() - started + round_seconds + _CLOSING_SECONDS > report.budget
            ):
                report.notes.append(f"stopped after {report.rounds} rounds to stay within the budget")
                break
            round_started = time.monotonic()
            for process in ready:
                if process.result.failed:
                    continue
                answer = process.ask(f"sample {calls}", timeout=timeout)
                if answer is not None:
                    process.result.rates.append(calls / max(float(answer["seconds"]), 1e-12))
                advance()
            report.rounds += 1
            round_seconds = time.monotonic() - round_started


def _plan(
    report: CalibrationReport, candidates: int, per_call: float, started: float, rounds: int | None
) -> tuple[int, int, float]:
    """Calls per sample, rounds, and the expected seconds per round, within the budget left."""
    remaining = report.budget - (time.monotonic() - started) - _CLOSING_SECONDS
    sample = _SAMPLE_SECONDS
    affordable = remaining / (candidates * max(sample, per_call) * 1.15)
    if affordable < MIN_ROUNDS_FOR_A_WINNER:  # shorter samples before fewer rounds
        sample = max(_MIN_SAMPLE_SECONDS, remaining / (candidates * MIN_ROUNDS_FOR_A_WINNER * 1.15))
    calls = max(1, math.ceil(sample / per_call))
    round_seconds = candidates * calls * per_call * 1.15
    planned = max(1, min(_MAX_ROUNDS, int(remaining / round_seconds)))
    if rounds is not None:
        planned = min(planned, rounds)
    report.calls_per_sample, report.per_call, report.sample_seconds = calls, per_call, calls * per_call
    if calls > 1:
        report.notes.append(
            f"one call takes about {_duration(per_call)}; each sample repeats it {calls:,} times so "
            f"that a sample lasts about {_duration(calls * per_call)} (one call alone is too short "
            "to time reliably)"
        )
    return calls, planned, round_seconds


def _fail_early(report: CalibrationReport) -> None:
    """Problems of TARGET itself (not of one candidate) end the run with a clear error."""
    failed = [c for c in report.candidates if c.failed]
    for result in failed:
        if result.stage in ("import", "target"):
            detail = f"\n{result.detail}" if result.detail else ""
            raise CalibrationError(f"{result.error}{detail}")
    if failed and len(failed) == len(report.candidates) and all(c.stage == "warm-up" for c in failed):
        first = failed[0]
        raise CalibrationError(
            f"{report.target} raised during warm-up: {first.error}\n{first.detail}".rstrip()
        )


def _trim_to_complete_rounds(report: CalibrationReport) -> None:
    """Ratios pair samples of one round: a round cut short by Ctrl-C is dropped."""
    measured = [c for c in report.candidates if not c.failed]
    if not measured:
        return
    complete = min(len(c.rates) for c in measured)
    for result in measured:
        del result.rates[complete:]
    report.rounds = complete


def _check_outcome(report: CalibrationReport) -> None:
    current = next((c for c in report.candidates if c.name == report.current), None)
    if current is not None and current.failed and not report.interrupted:
        raise CalibrationError(
            f"the current profile {report.current!r} failed ({current.stage}): {current.error}\n"
            f"{current.detail}".rstrip()
        )


def _duration(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


# ---------------------------------------------------------------- output


def render(report: CalibrationReport, *, terminal: bool = False) -> str:
    """The report as text: a table (with bars on a terminal), the verdict, failures and notes."""
    import io

    from rich import box
    from rich.bar import Bar
    from rich.console import Console
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAVY, show_edge=False)
    for column in ("candidate", "calls/s", "spread", "vs stdlib", "vs current (range)", "faster rounds"):
        table.add_column(column, justify="left" if column == "candidate" else "right")
    if terminal:
        table.add_column("", width=30)
    top = max((c.median for c in report.measured), default=1.0)
    winner = report.winner

    def versus_current(result: CandidateResult) -> float:
        ratio = (
            report.ratio(result.name, report.current) if report.current in report._names_measured() else None
        )
        return ratio[0] if ratio else result.median

    # Fastest first by the per-round ratio to the current profile: medians of calls/s across
    # rounds drift with the machine's load; ratios within a round do not.
    for result in sorted(report.measured, key=lambda c: -versus_current(c)):
        name = result.name + (" (current)" if result.name == report.current else "")
        name += "  <- winner" if result.name == winner else ""
        stdlib = report.ratio(result.name, "stdlib") if "stdlib" in report._names_measured() else None
        versus = (
            report.ratio(result.name, report.current) if report.current in report._names_measured() else None
        )
        cells = [
            name,
            f"{result.median:,.0f}" if result.median >= 100 else f"{result.median:.1f}",
            f"±{result.spread:.0%}",
            f"{stdlib[0]:.2f}x" if stdlib else "-",
            "-"
            if not versus
            else "1.00x"
            if result.name == report.current
            else f"{versus[0]:.2f}x ({versus[1]:.2f}-{versus[2]:.2f}x)",
        ]
        row: list[Any] = list(cells)
        row.append(
            ""
            if not versus or result.name == report.current
            else f"{report.wins(result.name)}/{report.rounds}"
        )
        if terminal:
            row.append(Bar(size=top, begin=0, end=result.median, width=30))
        table.add_row(*row)
    out = io.StringIO()
    console = Console(file=out, width=160, force_terminal=terminal, no_color=not terminal, highlight=False)
    console.print(
        f"flujo-tuning calibrate {report.target}: current profile {report.current!r}, "
        f"{report.rounds} interleaved rounds, {report.calls_per_sample:,} calls per sample",
        markup=False,
    )
    console.print(table)
    lines = [line.rstrip() for line in out.getvalue().splitlines()]
    lines.append(report.verdict)
    for result in report.candidates:
        if result.failed:
            lines.append(f"failed: {result.name} ({result.stage}): {result.error}")
            lines.extend(f"    {line}" for line in result.detail.splitlines())
        for problem in result.problems:
            lines.append(f"note: {result.name}: {problem}")
    lines.extend(f"note: {note}" for note in report.notes)
    lines.append(
        "calls/s: median of the rounds; spread: half their range; ratios: median of the per-round "
        "ratios. A winner is faster than the current profile in enough rounds to rule out chance "
        f"(one-sided sign test, p <= {ALPHA} / candidates compared) and by {MIN_GAIN:.0%} or more "
        "at the median."
    )
    for key, value in report.environment.items():
        lines.append(f"- {key}: {value}")
    for result in report.measured:
        shown = ", ".join(
            f"{k}={v}" for k, v in result.choices.items() if k in SEARCHED or k == "key_encoder"
        )
        lines.append(f"- {result.name}: {shown}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- --write


@dataclass(frozen=True)
class Written:
    """What ``write`` changed (or would change)."""

    profile_path: Path
    profile_text: str
    pyproject: Path
    pyproject_text: str
    replaced: bool


def plan_write(report: CalibrationReport, *, name: str = "calibrated", cwd: Path | None = None) -> Written:
    """The winner as a profile file in the project's first ``profile_dirs`` entry (``flujo_profiles``
    when there is none, added to the table) and ``profile = NAME`` in ``[tool.flujo_tuning]``;
    comments and layout of pyproject.toml are kept (tomlkit). Nothing is written here."""
    import tomlkit
    from tomlkit.items import Table

    from .settings import find_pyproject

    if report.winner is None:
        raise CalibrationError(f"nothing to write: {report.verdict}")
    pyproject = find_pyproject(cwd)
    if pyproject is None:
        raise CalibrationError(
            f"--write needs a pyproject.toml (none in {(cwd or Path.cwd()).resolve()} or its parents)"
        )
    document = tomlkit.parse(pyproject.read_text(encoding="utf-8"))
    tool = document.get("tool")
    if tool is None:
        tool = tomlkit.table(is_super_table=True)
        document["tool"] = tool
    table = tool.get("flujo_tuning")
    if table is None:
        table = tomlkit.table()
        tool["flujo_tuning"] = table
    if not isinstance(table, Table):
        raise CalibrationError(f"{pyproject}: [tool.flujo_tuning] is not a table")
    dirs = table.get("profile_dirs")
    if dirs:
        directory = (pyproject.parent / str(dirs[0])).resolve()
    else:
        table["profile_dirs"] = ["flujo_profiles"]
        directory = pyproject.parent / "flujo_profiles"
    table["profile"] = name
    path = directory / f"{name}.toml"
    return Written(path, report.profile_toml(name), pyproject, tomlkit.dumps(document), path.exists())


def write(plan: Written) -> None:
    plan.profile_path.parent.mkdir(parents=True, exist_ok=True)
    plan.profile_path.write_text(plan.profile_text, encoding="utf-8")
    plan.pyproject.write_text(plan.pyproject_text, encoding="utf-8")


def dump_json(report: CalibrationReport, stream: IO[str]) -> None:
    json.dump(report.as_dict(), stream, indent=2)
    stream.write("\n")
