"""One calibration: candidates started, warmed up, measured in interleaved rounds within the budget."""

from __future__ import annotations

import datetime
import math
import os
import re
import statistics
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from .candidates import _candidates
from .processes import _CLOSING_SECONDS, _Process
from .render import duration
from .report import MIN_ROUNDS_FOR_A_WINNER, CalibrationError, CalibrationReport

__all__ = ["calibrate"]

_TARGET = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
_MIN_SAMPLE_SECONDS = 0.02
_SAMPLE_SECONDS = 0.1
_MAX_ROUNDS = 15


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
    from ...config.settings import resolve
    from ..bench import environment

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
    from ...config.settings import SETTING_NAMES, env_var

    overriding = sorted(
        f"{env_var(n)}={os.environ[env_var(n)]}"
        for n in SETTING_NAMES
        if n != "profile" and env_var(n) in os.environ
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
    from ..bench import progress_bar

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
            f"one call takes about {duration(per_call)}; each sample repeats it {calls:,} times so "
            f"that a sample lasts about {duration(calls * per_call)} (one call alone is too short "
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
