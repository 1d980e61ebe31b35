"""Timing helpers: nanosecond clocks and decorators that cost nothing when perf_debug is off.

The decorators decide when they are applied: with perf_debug off (as applied, or as resolved if
apply() has not run yet) they return the function itself, unwrapped. Call apply() before importing
the modules whose functions you decorate, or set ``FLUJO_PERF_DEBUG=1``.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from ._state import STATE

__all__ = ["TIMING_EVENT", "measure_time", "measure_time_async", "time_perf_ns", "time_perf_ns_to_seconds"]

P = ParamSpec("P")
R = TypeVar("R")

TIMING_EVENT = "flujo_tuning.timing"

#: Nanoseconds from a monotonic, high-resolution clock (``time.perf_counter_ns`` itself).
time_perf_ns = time.perf_counter_ns


def time_perf_ns_to_seconds(ns: int) -> float:
    """Convert a nanosecond duration to seconds."""
    return ns / 1_000_000_000


def _perf_debug_enabled() -> bool:
    if STATE.perf_debug is None:
        from .settings import resolve

        STATE.perf_debug = resolve().perf_debug
    return STATE.perf_debug


def _log_timing(function: str, duration_ns: int) -> None:
    from ._events import emit

    emit(TIMING_EVENT, "debug", function=function, duration_ns=duration_ns)


def measure_time(fn: Callable[P, R]) -> Callable[P, R]:
    """Log a ``flujo_tuning.timing`` event per call when perf_debug is on; else return *fn* as is."""
    if not _perf_debug_enabled():
        return fn
    name = fn.__qualname__

    @functools.wraps(fn)
    def timed(*args: P.args, **kwargs: P.kwargs) -> R:
        if not STATE.perf_debug:
            return fn(*args, **kwargs)
        start = time.perf_counter_ns()
        try:
            return fn(*args, **kwargs)
        finally:
            _log_timing(name, time.perf_counter_ns() - start)

    return timed


def measure_time_async(fn: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]:
    """The coroutine-function version of :func:`measure_time`."""
    if not _perf_debug_enabled():
        return fn
    name = fn.__qualname__

    @functools.wraps(fn)
    async def timed(*args: P.args, **kwargs: P.kwargs) -> R:
        if not STATE.perf_debug:
            return await fn(*args, **kwargs)
        start = time.perf_counter_ns()
        try:
            return await fn(*args, **kwargs)
        finally:
            _log_timing(name, time.perf_counter_ns() - start)

    return timed
