"""Benchmark workloads on real Flujo (``flujo-tuning bench --flujo``): a 5-step no-network pipeline,
with a lean runner and with Flujo's defaults (SQLite state, lockfile, tracing).

Each measurement runs in a temporary directory (Flujo's defaults write ``flujo_ops.db`` and
``flujo.lock`` into the working directory), with the profile's Flujo variables set while it runs
(what ``apply()`` would set; the ``flujo`` decision) and Flujo's INFO logging quieted. Every input
is new, so no step result comes from Flujo's cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import itertools
import logging
import os
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from .workloads import Scenario, WorkloadError, measured

__all__ = ["FLUJO_HTTP_SCENARIOS", "FLUJO_SCENARIOS", "flujo_available", "succeeded"]

_inputs = itertools.count()


def flujo_available() -> bool:
    return importlib.util.find_spec("flujo") is not None


@contextlib.contextmanager
def _flujo_conditions(tuning: Any) -> Iterator[None]:  # pragma: no-cover-without-flujo
    """The profile's Flujo variables, a scratch working directory, Flujo's and httpx's loggers silenced.

    Flujo logs every step at INFO and resets its logger's level itself; ``import flujo`` also sets
    the root logger to INFO, where httpx then logs every request. Both loggers are disabled while
    measuring (and put back as they were).
    """
    saved_env = {name: os.environ.get(name) for name in tuning.flujo_environ}
    saved_cwd = os.getcwd()
    loggers = [logging.getLogger(name) for name in ("flujo", "httpx")]
    saved_disabled = [logger.disabled for logger in loggers]
    with tempfile.TemporaryDirectory(prefix="flujo-bench-") as scratch:
        try:
            os.environ.update(tuning.flujo_environ)
            os.chdir(scratch)
            for logger in loggers:
                logger.disabled = True
            yield
        finally:
            os.chdir(saved_cwd)
            for logger, disabled in zip(loggers, saved_disabled, strict=True):
                logger.disabled = disabled
            for name, value in saved_env.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def _runner(defaults: bool) -> Any:  # pragma: no-cover-without-flujo
    from flujo import Flujo, Step

    async def step(text: str) -> str:
        return text + "."

    pipeline = Step.from_callable(step, name="s1")
    for number in range(2, 6):
        pipeline = pipeline >> Step.from_callable(step, name=f"s{number}")
    if defaults:
        return Flujo(pipeline, pipeline_name="bench", pipeline_id="bench")
    return Flujo(
        pipeline, persist_state=False, enable_tracing=False, pipeline_name="bench", pipeline_id="bench"
    )


def succeeded(result: Any) -> Any:
    """*result* (a Flujo PipelineResult) if every step succeeded: Flujo reports a failed step in the
    result instead of raising, and a failed run is never counted as work done."""
    failed = [step for step in result.step_history if not step.success]
    if failed or not result.success:
        detail = "; ".join(f"step {step.name!r}: {step.feedback}" for step in failed) or "no step failed"
        raise WorkloadError(f"a Flujo run failed ({detail})")
    return result


def _runs(tuning: Any, runs: int, *, defaults: bool) -> float:  # pragma: no-cover-without-flujo
    with _flujo_conditions(tuning):
        runner = _runner(defaults)  # made here: Flujo reads its variables when a runner is made

        async def work() -> float:
            succeeded(await runner.run_result_async(f"warm-up {next(_inputs)}"))
            start = time.perf_counter()
            for _ in range(runs):
                succeeded(await runner.run_result_async(f"input {next(_inputs)}"))
            return time.perf_counter() - start

        return _measured(tuning, runner, work)


def _measured(
    tuning: Any, runner: Any, work: Callable[[], Awaitable[float]]
) -> float:  # pragma: no-cover-without-flujo
    """:func:`measured`, then the runner's state backend shut down on the same loop (a pinned one is
    not the runner's, so Flujo would leave it open)."""

    async def then_close() -> float:
        elapsed = await work()
        if runner.state_backend is not None:
            await runner.state_backend.shutdown()
        return elapsed

    return measured(tuning, then_close)


def _lean(tuning: Any, runs: int) -> float:  # pragma: no-cover-without-flujo
    return _runs(tuning, runs, defaults=False)


def _defaults(tuning: Any, runs: int) -> float:  # pragma: no-cover-without-flujo
    return _runs(tuning, runs, defaults=True)


FLUJO_SCENARIOS = (
    Scenario("flujo-lean", "Flujo, 5 steps, lean runner (no state, no tracing): runs", 40, _lean, 5),
    Scenario(
        "flujo-defaults", "Flujo, 5 steps, Flujo's defaults (SQLite state, tracing): runs", 20, _defaults, 3
    ),
)


def _http_runs(tuning: Any, runs: int, *, shared: bool) -> float:  # pragma: no-cover-without-flujo
    """Flujo's default runner, 3 steps that each call the local server, 8 runs in flight."""
    import httpx
    from flujo import Flujo, Step

    from .http_stub import serving
    from .http_workloads import IN_FLIGHT, ok

    with serving() as url, _flujo_conditions(tuning):
        clients: list[Any] = []

        async def call(text: str) -> str:
            if shared:
                response = await clients[0].get(url, params={"in": text})
            else:
                async with httpx.AsyncClient() as client:  # a step that makes its own client
                    response = await client.get(url, params={"in": text})
            tuning.codec.loads(ok(response).content)
            return text + "."

        pipeline = Step.from_callable(call, name="h1")
        for number in (2, 3):
            pipeline = pipeline >> Step.from_callable(call, name=f"h{number}")
        runner = Flujo(pipeline, pipeline_name="bench-http", pipeline_id="bench-http")

        async def work() -> float:
            clients.append(httpx.AsyncClient())
            succeeded(await runner.run_result_async(f"warm-up {next(_inputs)}"))
            gate = asyncio.Semaphore(IN_FLIGHT)

            async def one() -> None:
                async with gate:
                    succeeded(await runner.run_result_async(f"input {next(_inputs)}"))

            start = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(runs)))
            elapsed = time.perf_counter() - start
            await clients[0].aclose()
            return elapsed

        return _measured(tuning, runner, work)


def _http_shared(tuning: Any, runs: int) -> float:  # pragma: no-cover-without-flujo
    return _http_runs(tuning, runs, shared=True)


def _http_per_call(tuning: Any, runs: int) -> float:  # pragma: no-cover-without-flujo
    return _http_runs(tuning, runs, shared=False)


FLUJO_HTTP_SCENARIOS = (
    Scenario(
        "flujo-http-shared",
        "Flujo's defaults, 3 HTTP steps, one shared client: runs",
        24,
        _http_shared,
        8,
    ),
    Scenario(
        "flujo-http-per-call",
        "Flujo's defaults, 3 HTTP steps, a client per call: runs",
        24,
        _http_per_call,
        8,
    ),
)
