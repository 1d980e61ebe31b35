"""Timing helpers: nanosecond clocks, and decorators that cost nothing when perf_debug is off.

perf_debug is decided by apply(), like every other setting; decorating a function never reads
configuration. A function decorated while a Tuning is in force with perf_debug off is returned
as it is (no per-call cost). A function decorated before any apply() (say, at import of your
module) gets a thin wrapper that asks the Tuning in force at each call whether to time it (0.15 to
0.4 us per call when off on our machine; docs/decisions.md), and it follows every later apply().
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from .runtime.events import emit
from .runtime.state import STATE

__all__ = ["TIMING_EVENT", "measure_time", "measure_time_async", "time_perf_ns", "time_perf_ns_to_seconds"]

P = ParamSpec("P")
R = TypeVar("R")

TIMING_EVENT = "flujo_tuning.timing"

#: Nanoseconds from a monotonic, high-resolution clock (``time.perf_counter_ns`` itself).
time_perf_ns = time.perf_counter_ns


def time_perf_ns_to_seconds(ns: int) -> float:
    """Convert a nanosecond duration to seconds."""
    return ns / 1_000_000_000


def _decided_off() -> bool:
    """True when a Tuning is in force and says perf_debug is off: the function can stay bare."""
    tuning = STATE.current
    return tuning is not None and not tuning.settings.perf_debug


def _log_timing(function: str, duration_ns: int) -> None:
    emit(TIMING_EVENT, "debug", function=function, duration_ns=duration_ns)


def measure_time(fn: Callable[P, R]) -> Callable[P, R]:
    """Log a ``flujo_tuning.timing`` event per call when perf_debug is on (see the module docstring)."""
    if _decided_off():
        return fn
    name = fn.__qualname__

    @functools.wraps(fn)
    def timed(*args: P.args, **kwargs: P.kwargs) -> R:
        tuning = STATE.current  # inlined: this check is the whole cost when timing is off
        if tuning is None or not tuning.settings.perf_debug:
            return fn(*args, **kwargs)
        start = time.perf_counter_ns()
        try:
            return fn(*args, **kwargs)
        finally:
            _log_timing(name, time.perf_counter_ns() - start)

    return timed


def measure_time_async(fn: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]:
    """The coroutine-function version of :func:`measure_time`."""
    if _decided_off():
        return fn
    name = fn.__qualname__

    @functools.wraps(fn)
    async def timed(*args: P.args, **kwargs: P.kwargs) -> R:
        tuning = STATE.current
        if tuning is None or not tuning.settings.perf_debug:
            return await fn(*args, **kwargs)
        start = time.perf_counter_ns()
        try:
            return await fn(*args, **kwargs)
        finally:
            _log_timing(name, time.perf_counter_ns() - start)

    return timed
