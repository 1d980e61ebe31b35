"""perf_debug: whether ``measure_time`` decorators time and log each call."""

from __future__ import annotations

from .decision import Decision

__all__ = ["decide"]


def decide(enabled: bool, source: str) -> Decision:
    state = "on" if enabled else "off"
    if enabled:
        reason = "measure_time and measure_time_async log one flujo_tuning.timing event per call"
    else:
        reason = (
            "measure_time and measure_time_async return functions decorated from now on unwrapped: "
            "no per-call cost"
        )
    return Decision("perf_debug", state, state, source, reason)
