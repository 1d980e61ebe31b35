"""Stand-ins for pipeline work, shared by the benchmarks and ``flujo-tuning bench``.

A step is what a Flujo-like engine does per step: build the step input, key it with
``cache_key``, on a miss await an agent (a stub that completes through the event loop as a fast
REST call would) and serialise its output with the codec, on a hit decode the cached output, and
time itself with ``perf``. No network, no LLM: only the overhead the tuning can change.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from .._errors import FlujoTuningError
from ..perf import time_perf_ns

__all__ = ["SCENARIOS", "Scenario", "WorkloadError", "measured", "run_scenario", "step_input", "timed"]

_PROMPT = "Summarise the customer's last three messages and propose a reply in their language."


def step_input(i: int) -> dict[str, Any]:
    """A small step input (about 300 bytes as JSON): a dict of six fields."""
    return {
        "step": "summarise",
        "model": "gpt-x-mini",
        "temperature": 0.2,
        "max_tokens": 256,
        "prompt": _PROMPT,
        "context": {"conversation": f"conv-{i}", "turn": i % 17, "locale": "en-GB"},
    }


def _agent_output(i: int) -> dict[str, Any]:
    return {"text": f"Reply {i}: thanks for your patience.", "usage": {"prompt": 112, "completion": 24}}


async def _agent_stub(i: int) -> dict[str, Any]:
    """Completes through the loop's callback machinery, like an I/O completion would."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    loop.call_soon(future.set_result, _agent_output(i))
    output: dict[str, Any] = await future
    return output


class _Pipeline:
    """The per-step work: key, look up, call or decode, serialise, time."""

    def __init__(self, tuning: Any) -> None:
        self.key = tuning.cache_key
        self.dumps = tuning.codec.dumps
        self.loads = tuning.codec.loads
        self.cache: dict[str, bytes] = {}
        self.durations: list[int] = []

    async def step(self, i: int) -> dict[str, Any]:
        start = time_perf_ns()
        key = self.key(step_input(i))
        cached = self.cache.get(key)
        if cached is None:
            output = await _agent_stub(i)
            self.cache[key] = self.dumps(output)
        else:
            output = self.loads(cached)
        self.durations.append(time_perf_ns() - start)
        return output

    def warm(self, indices: range) -> None:
        for i in indices:
            self.cache[self.key(step_input(i))] = self.dumps(_agent_output(i))


async def _sequential(pipeline: _Pipeline, steps: int, offset: int) -> None:
    loop = asyncio.get_running_loop()
    for i in range(offset, offset + steps):
        await loop.create_task(pipeline.step(i))  # engines run each step as a task


async def _concurrent(pipeline: _Pipeline, steps: int, batch: int) -> None:
    for start in range(0, steps, batch):
        await asyncio.gather(*(pipeline.step(i) for i in range(start, min(start + batch, steps))))


def _trivial_steps(tuning: Any, steps: int) -> float:
    pipeline = _Pipeline(tuning)
    return timed(tuning, _sequential(pipeline, steps, 0))


def _cached_steps(tuning: Any, steps: int) -> float:
    pipeline = _Pipeline(tuning)
    pipeline.warm(range(steps))
    return timed(tuning, _sequential(pipeline, steps, 0))


def _mixed_steps_one_process(tuning: Any, steps: int) -> float:
    pipeline = _Pipeline(tuning)
    pipeline.warm(range(0, steps, 2))  # every other input is a hit
    return timed(tuning, _concurrent(pipeline, steps, batch=50))


class WorkloadError(FlujoTuningError):
    """A measured unit of work failed: it is reported as an error, never as a rate."""


def measured(tuning: Any, work: Callable[[], Awaitable[float]]) -> float:
    """The seconds *work* reports (it starts its own clock, after any set-up of its own), run on a
    new loop of *tuning*."""
    loop = tuning.loop_factory()
    try:
        elapsed: float = loop.run_until_complete(work())
        return elapsed
    finally:
        loop.close()


def timed(tuning: Any, main: Coroutine[Any, Any, None]) -> float:
    """Seconds *main* takes on a new loop of *tuning* (the loop made and closed outside the clock)."""
    loop = tuning.loop_factory()
    try:
        start = time.perf_counter()
        loop.run_until_complete(main)
        return time.perf_counter() - start
    finally:
        loop.close()


def _worker(environ: dict[str, str], steps: int, barrier: Any, results: Any) -> None:
    import flujo_tuning

    # A dry run, like the parent's, of the parent's settings in full (a column may be a profile
    # with an override): nothing is installed or logged (a fallback warning per worker process
    # said nothing new).
    os.environ.update(environ)
    tuning = flujo_tuning.preview()
    _mixed_steps_one_process(tuning, 50)  # warm-up, outside the timing
    barrier.wait()
    results.put(_mixed_steps_one_process(tuning, steps))


def _mixed_steps_all_cores(tuning: Any, steps: int) -> float:
    """One worker process per core, all started before the clock, timed until the last ends."""
    workers = os.cpu_count() or 1
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(workers + 1)
    results = context.Queue()
    per_worker = steps // workers
    processes = [
        context.Process(target=_worker, args=(tuning.environ(), per_worker, barrier, results))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    barrier.wait()
    start = time.perf_counter()
    elapsed: list[float] = [results.get() for _ in processes]
    wall = time.perf_counter() - start
    for process in processes:
        process.join()
    # Each worker timed its own loop; the wall clock also includes queue hand-off.
    return max(*elapsed, wall)


@dataclass(frozen=True)
class Scenario:
    """A workload: ``run(tuning, steps)`` returns the seconds it took."""

    name: str
    title: str
    steps: int
    run: Callable[[Any, int], float]
    #: The fewest iterations a measurement may have (quick runs scale steps down to this).
    min_steps: int = 100


SCENARIOS = (
    Scenario("trivial", "1,000 trivial agent steps (no cache hits)", 1000, _trivial_steps),
    Scenario("cached", "1,000 cached steps (hash-only)", 1000, _cached_steps),
    Scenario("mixed", "Mixed workload, all cores busy", 20000, _mixed_steps_all_cores),
)


def run_scenario(scenario: Scenario, tuning: Any, steps: int | None = None) -> float:
    """Iterations per second of *scenario* under *tuning*."""
    count = steps or scenario.steps
    return count / scenario.run(tuning, count)
