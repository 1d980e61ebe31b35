"""One calibration: candidates started, warmed up, measured in interleaved rounds within the budget."""

from __future__ import annotations

import dataclasses
import datetime
import math
import os
import random
import re
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

from .candidates import _candidates, with_control
from .processes import _CLOSING_SECONDS, _Process
from .render import duration
from .report import MIN_ROUNDS_FOR_A_WINNER, CalibrationError, CalibrationReport, CandidateResult

__all__ = ["calibrate"]

_TARGET = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
#: The stage name of a worker's start-up, in failures.
STARTUP = "start-up (applying the profile, importing TARGET)"
#: How long past the budget a hanging target may keep calibrate waiting.
GRACE_SECONDS = 5.0
_MIN_SAMPLE_SECONDS = 0.02
_SAMPLE_SECONDS = 0.1
_MAX_ROUNDS = 15
#: The share of the budget left after start-up that the first rounds may use: the rest re-measures
#: a leader in new processes (or is not used: without a leader calibrate ends early).
FIRST_ROUNDS_SHARE = 0.55
#: Fresh processes need their start-up, a warm-up and three rounds: less than this left, no confirmation.
_MIN_CONFIRM_SECONDS = 2.0
#: Shuffles each round's order (its own instance: the target's use of `random` is not disturbed).
_ORDER = random.Random()


def calibrate(
    target: str,
    *,
    profiles: Sequence[str] | None = None,
    search: bool = False,
    experimental: bool = False,
    budget: float = 60.0,
    rounds: int | None = None,
    progress: bool = False,
    cwd: str | os.PathLike[str] | None = None,
    pyproject: str | os.PathLike[str] | None = None,
) -> CalibrationReport:
    """Measure TARGET (``module:function``, importable from *cwd*) under each candidate.

    *profiles*: the candidates (default: every shipped and project profile); the current profile
    and ``stdlib`` are always measured, as references for the ratios; an unknown name is refused
    before anything runs. Candidates that decide the same here are measured once and reported
    together. *search*: also the current profile with one component changed at a time
    (*experimental*: experimental event loops too, rloop). *budget*:
    seconds for the whole run, rounds included (a target that hangs is reported within the budget
    and a few seconds' grace); *rounds*: at most this many (default: as many as the budget allows,
    up to 15). Raises :class:`CalibrationError` for a bad TARGET (with its import error or
    traceback), a target that hangs or fails under every candidate, or nothing measured. Ctrl-C
    stops it: the report then holds the rounds completed (``interrupted``). Safe to call from a
    threaded program: the working directory of the process is never changed.
    """
    from ...config.settings import find_pyproject, resolve
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
    if experimental and not search:
        raise CalibrationError(
            "experimental (--experimental) only adds candidates to search (--search): use both"
        )
    started = time.monotonic()
    directory = Path(cwd).resolve() if cwd is not None else Path.cwd()
    # The project: *pyproject*, else FLUJO_PYPROJECT's (as for any process), else the one found from *cwd*.
    if pyproject is None and not os.environ.get("FLUJO_PYPROJECT", "").strip():
        pyproject = find_pyproject(directory)
    current = resolve(pyproject=pyproject).profile
    planned = with_control(_candidates(current, profiles, search, pyproject, experimental=experimental))
    report = CalibrationReport(
        target=target,
        current=current,
        candidates=[candidate.result for candidate in planned],
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
    _note_environment(report)
    for result in report.candidates:
        if result.same_as is not None:
            report.notes.append(f"{result.name} = {result.same_as} here: {result.same_because}")
    processes: list[_Process] = []
    try:
        for candidate in planned:
            if not candidate.result.failed and candidate.result.same_as is None:
                processes.append(_Process(candidate.result, target, candidate.environ, directory))
        _measure(report, processes, _Clock(started, budget), rounds, progress)
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


def _note_environment(report: CalibrationReport) -> None:
    from ...config.settings import SETTING_NAMES, env_var

    overriding = sorted(
        f"{env_var(n)}={os.environ[env_var(n)]}"
        for n in SETTING_NAMES
        if n != "profile" and env_var(n) in os.environ
    )
    if overriding:
        report.notes.append(
            f"{', '.join(overriding)} in the environment outrank every candidate's profile (as in "
            "production), so those settings were not compared, and --write does not record them"
        )


class _Clock:
    """The budget as a deadline: every wait for a worker ends by it (plus a short grace)."""

    def __init__(self, started: float, budget: float) -> None:
        self.started = started
        self.budget = budget
        self.deadline = started + budget + GRACE_SECONDS

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def left(self, at_most: float) -> float:
        """Seconds to wait for an answer: *at_most*, but never past the deadline."""
        return max(0.1, min(at_most, self.deadline - time.monotonic()))


def _measure(
    report: CalibrationReport, processes: list[_Process], clock: _Clock, rounds: int | None, progress: bool
) -> None:
    ready = _warmed_up(report, processes, clock)
    _fail_early(report)
    if ready and not [p for p in ready if p.result.name != report.current and not p.result.control]:
        report.nothing_to_compare = True  # every candidate runs the same: no rounds, no control
        for process in ready:
            process.close()
        report.candidates = [c for c in report.candidates if not c.control]
        return
    if not ready:
        return
    report.confirm = True
    first = _first_rounds_until(report, ready, clock)
    _rounds(report, ready, clock=clock, rounds=rounds, progress=progress, until=first)
    leader = report.leader
    if leader is not None:
        _confirm(
            report, leader, ready=ready, processes=processes, clock=clock, rounds=rounds, progress=progress
        )


def _first_rounds_until(report: CalibrationReport, ready: list[_Process], clock: _Clock) -> float:
    """When the first rounds end: a bit over half the budget left after start-up, but early enough
    that a confirmation can start its fresh processes again (as long as start-up took here, on this
    machine as loaded now) and still complete the rounds a verdict needs."""
    started = clock.elapsed()
    share = started + (report.budget - started) * FIRST_ROUNDS_SHARE
    per_calls = [p.result.per_call or 0.0 for p in ready]
    _, first_round = _round_cost(per_calls, _SAMPLE_SECONDS)
    # The leader, the current profile and its control: at most the cost of the three slowest.
    _, confirming_round = _round_cost(sorted(per_calls)[-3:], _SAMPLE_SECONDS)
    reserve = started + (MIN_ROUNDS_FOR_A_WINNER + 1) * confirming_round + _CLOSING_SECONDS
    first_rounds = MIN_ROUNDS_FOR_A_WINNER * first_round
    return max(min(share, report.budget - reserve), min(share, started + first_rounds))


def _round_cost(per_calls: Sequence[float], sample: float) -> tuple[int, float]:
    """Calls per sample (so that the median candidate's sample lasts about *sample*) and the seconds
    a round then takes: every candidate repeats the call that many times at its own speed (json can
    be 10x slower than orjson), plus 15% for the asking."""
    median = statistics.median(per_calls) or 1e-9
    calls = max(1, math.ceil(sample / median))
    return calls, calls * sum(p or median for p in per_calls) * 1.15


def _confirm(
    report: CalibrationReport,
    leader: str,
    *,
    ready: list[_Process],
    processes: list[_Process],
    clock: _Clock,
    rounds: int | None,
    progress: bool,
) -> None:
    """Measure the leader again against the current profile and its control, each in a new process,
    in fresh rounds: it is the winner only if it leads there too (report.confirmation)."""
    originals = [p for p in ready if p.result.name in (report.current, leader) or p.result.control]
    for process in ready:
        process.close()  # their rounds are done: the machine is the fresh processes' alone
    if report.budget - clock.elapsed() < _MIN_CONFIRM_SECONDS:
        report.notes.append("no time was left to confirm the leader in fresh rounds: raise --budget")
        return
    fresh = [
        process.again(
            CandidateResult(
                process.result.name,
                process.result.profile,
                dict(process.result.overrides),
                settings=dict(process.result.settings),
                control=process.result.control,
            )
        )
        for process in originals
    ]
    processes.extend(fresh)
    confirmation = dataclasses.replace(
        report,
        candidates=[p.result for p in fresh],
        rounds=0,
        notes=[],
        confirm=False,
        confirmation=None,
    )
    again = _warmed_up(confirmation, fresh, clock)
    if len(again) == len(fresh):
        _rounds(confirmation, again, clock=clock, rounds=rounds, progress=progress, until=report.budget)
    report.confirmation = confirmation


def _warmed_up(report: CalibrationReport, processes: list[_Process], clock: _Clock) -> list[_Process]:
    """Start-up: every process applies its profile and imports TARGET (in parallel), then warms up
    one at a time (a warm-up is a measurement: nothing else runs meanwhile), the current profile
    first: what it shows of the target's use of the tuning decides which candidates can differ."""
    alive = []
    for process in processes:
        loaded = process.ask(
            None, timeout=clock.left(120), stage="start-up (applying the profile, importing TARGET)"
        )
        if loaded is not None:
            process.result.problems = list(loaded.get("problems", []))
            process.result.choices = dict(loaded.get("choices", {}))
            alive.append(process)
    # Warm-ups take at most about 15% of the budget between them.
    warmup = min(0.25, max(0.05, 0.15 * report.budget / max(1, len(alive))))
    ready: list[_Process] = []
    for process in alive:
        if process.result.failed or process.result.same_as is not None:  # runs as another does
            continue
        answer = process.ask(f"warmup {warmup}", timeout=clock.left(max(10.0, warmup * 20)), stage="warm-up")
        if answer is None:
            continue
        process.result.per_call = float(answer["per_call"])
        ready.append(process)
        if process.result.name == report.current:
            _same_for_this_target(report, alive, set(answer.get("uses", [])))
    return [p for p in ready if not p.result.failed and p.result.same_as is None]


def _rounds(
    report: CalibrationReport,
    ready: list[_Process],
    *,
    clock: _Clock,
    rounds: int | None,
    progress: bool,
    until: float,
) -> None:
    """Interleaved rounds: every candidate takes one sample per round, in a new order each round,
    until *until* seconds into the budget."""
    per_call = statistics.median(p.result.per_call or 0.0 for p in ready) or 1e-9
    calls, planned, round_seconds = _plan(
        report, [p.result.per_call or per_call for p in ready], clock=clock, rounds=rounds, until=until
    )
    from ..bench import progress_bar

    with progress_bar(progress, planned * len(ready), "calibrating") as advance:
        for _ in range(planned):
            # The next round must fit, judged by the last one (which shows what this machine does now).
            if report.rounds and clock.elapsed() + round_seconds + _CLOSING_SECONDS > until:
                report.notes.append(f"stopped after {report.rounds} rounds to stay within the budget")
                break
            round_started = time.monotonic()
            # A new order each round: the machine's noise comes in bursts shorter than a round, and
            # a fixed order would hand one candidate the same slot (quiet or loud) every time.
            order = list(ready)
            _ORDER.shuffle(order)
            for process in order:
                if process.result.failed:
                    continue
                expected = calls * (process.result.per_call or per_call)
                answer = process.ask(
                    f"sample {calls}", timeout=clock.left(max(5.0, 20 * expected)), stage="sample"
                )
                if answer is not None:
                    process.result.rates.append(calls / max(float(answer["seconds"]), 1e-12))
                advance()
            report.rounds += 1
            round_seconds = time.monotonic() - round_started


#: The part of the tuning each setting acts through, as the worker's usage probe names them.
SETTING_USE = {
    "event_loop": "event_loop",
    "task_factory": "event_loop",
    "task_factory_scope": "event_loop",
    "asyncio_debug": "event_loop",
    "codec": "codec",
    "hasher": "hasher",
    "buffer_size": "buffers",
    "perf_debug": "perf",
    "state_backend": "flujo",
    "tracing": "flujo",
}
#: The part each decision acts through (a candidate's choices, as decided in its own process).
CHOICE_USE = {**SETTING_USE, "key_encoder": "keys"}


def _used(part: str, uses: set[str]) -> bool:
    return part in uses or (part == "hasher" and "keys" in uses)


def _same_for_this_target(report: CalibrationReport, alive: list[_Process], uses: set[str]) -> None:
    """Candidates whose differences lie only in parts of the tuning TARGET never used run the same
    for it: each such group is measured once (the first, the current profile first), never compared."""
    report.unused = [name for name, part in SETTING_USE.items() if not _used(part, uses)]
    if not report.unused:
        return
    first: dict[tuple[tuple[str, str], ...], _Process] = {}
    same: list[str] = []
    for process in alive:
        result = process.result
        if result.failed or result.control:
            continue
        key = tuple(
            sorted(
                [(k, v) for k, v in result.choices.items() if _used(CHOICE_USE.get(k, k), uses)]
                + [
                    (k, str(result.settings.get(k)))
                    for k in ("task_factory_scope", "asyncio_debug")
                    if _used("event_loop", uses)
                ]
            )
        )
        earlier = first.setdefault(key, process)
        if earlier is process:
            continue
        differ = [k for k in result.settings if result.settings[k] != earlier.result.settings.get(k)]
        result.same_as = earlier.result.name
        result.same_because = (
            f"differs only in {', '.join(differ) or 'what decides nothing here'}, which {report.target} "
            "did not use while it ran"
        )
        result.stage, result.error = None, None
        process.close()
        same.append(result.name)
    report.notes.append(
        f"{report.target} did not use {', '.join(report.unused)} while it ran (one probe call): "
        "candidates that differ only there run the same for it"
        + (f" ({', '.join(same)}: measured as the one they equal)" if same else "")
    )


def _plan(
    report: CalibrationReport,
    per_calls: Sequence[float],
    *,
    clock: _Clock,
    rounds: int | None,
    until: float,
) -> tuple[int, int, float]:
    """Calls per sample, rounds, and the expected seconds per round, within the time left until
    *until* seconds into the budget (*per_calls*: each candidate's time for one call)."""
    remaining = until - clock.elapsed() - _CLOSING_SECONDS
    per_call = statistics.median(per_calls) or 1e-9
    calls, round_seconds = _round_cost(per_calls, _SAMPLE_SECONDS)
    if remaining < MIN_ROUNDS_FOR_A_WINNER * round_seconds:  # shorter samples before fewer rounds
        sample = _SAMPLE_SECONDS * remaining / (MIN_ROUNDS_FOR_A_WINNER * round_seconds)
        calls, round_seconds = _round_cost(per_calls, max(_MIN_SAMPLE_SECONDS, sample))
    planned = max(1, min(_MAX_ROUNDS, int(remaining / round_seconds)))
    if rounds is not None:
        planned = min(planned, rounds)
    report.calls_per_sample, report.per_call, report.sample_seconds = calls, per_call, calls * per_call
    if planned < MIN_ROUNDS_FOR_A_WINNER:
        why = "--rounds" if rounds is not None and rounds < MIN_ROUNDS_FOR_A_WINNER else "the budget"
        report.notes.append(
            f"{why} allows {planned} rounds, fewer than the {MIN_ROUNDS_FOR_A_WINNER} a verdict needs: "
            "this run can only show numbers, not pick a winner"
        )
    if calls > 1:
        report.notes.append(
            f"one call takes about {duration(per_call)}; each sample repeats it {calls:,} times so "
            f"that a sample lasts about {duration(calls * per_call)} (one call alone is too short "
            "to time reliably)"
        )
    return calls, planned, round_seconds


def _fail_early(report: CalibrationReport) -> None:
    """Problems of TARGET itself (not of one candidate) end the run with a clear error."""
    failed = [c for c in report.candidates if c.failed and c.stage != "skipped"]
    for result in failed:
        if result.stage in ("import", "target"):
            detail = f"\n{result.detail}" if result.detail else ""
            raise CalibrationError(f"{result.error}{detail}")
    measurable = [c for c in report.candidates if c.same_as is None and c.stage != "skipped"]
    if failed and len(failed) == len(measurable):
        stages = {c.stage for c in failed}
        first = failed[0]
        if stages <= {"warm-up", STARTUP} or all("hung" in (c.error or "") for c in failed):
            raise CalibrationError(
                f"{report.target} failed under every candidate ({first.stage}): {first.error}\n"
                f"{first.detail}".rstrip()
            )


def _trim_to_complete_rounds(report: CalibrationReport) -> None:
    """Ratios pair samples of one round: a round cut short by Ctrl-C is dropped."""
    measured = [c for c in report.candidates if not c.failed and c.same_as is None]
    if not measured:
        return
    complete = min(len(c.rates) for c in measured)
    for result in measured:
        del result.rates[complete:]
    report.rounds = complete


def _check_outcome(report: CalibrationReport) -> None:
    if report.interrupted:
        return
    current = next((c for c in report.candidates if c.name == report.current), None)
    if current is not None and current.failed:
        raise CalibrationError(
            f"the current profile {report.current!r} failed ({current.stage}): {current.error}\n"
            f"{current.detail}".rstrip()
        )
    if not report.measured and not report.nothing_to_compare:
        raise CalibrationError(
            "no candidate was measured: "
            + "; ".join(f"{c.name}: {c.error}" for c in report.candidates if c.failed)
        )
