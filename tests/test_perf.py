"""flujo_tuning.perf: clocks, and decorators that cost nothing when perf_debug is off."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from flujo_tuning import apply, perf


def work(x: int) -> int:
    return x + 1


async def async_work(x: int) -> int:
    await asyncio.sleep(0)
    return x + 1


def test_time_perf_ns_is_perf_counter_ns() -> None:
    assert perf.time_perf_ns is time.perf_counter_ns
    first = perf.time_perf_ns()
    assert isinstance(first, int)
    assert perf.time_perf_ns() >= first


def test_time_perf_ns_to_seconds() -> None:
    assert perf.time_perf_ns_to_seconds(1_500_000_000) == 1.5
    assert perf.time_perf_ns_to_seconds(0) == 0.0


def test_decorators_return_the_function_itself_when_off() -> None:
    apply(perf_debug=False)
    assert perf.measure_time(work) is work
    assert perf.measure_time_async(async_work) is async_work


def test_decorating_before_apply_reads_no_configuration_and_follows_later_applies(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A broken pyproject.toml: reading configuration here would raise.
    (project / "pyproject.toml").write_text("[tool.flujo_tuning\n", encoding="utf-8")
    monkeypatch.setenv("FLUJO_PERF_DEBUG", "1")
    timed = perf.measure_time(work)
    timed_async = perf.measure_time_async(async_work)
    with capture_logs() as events:
        assert timed(1) == 2  # nothing applied: nothing timed
    assert events == []
    (project / "pyproject.toml").unlink()
    apply()  # FLUJO_PERF_DEBUG=1 now takes effect, through apply()
    with capture_logs() as events:
        assert timed(1) == 2
        assert asyncio.run(timed_async(1)) == 2
    assert [e["function"] for e in events] == ["work", "async_work"]
    apply(perf_debug=False)
    with capture_logs() as events:
        assert timed(1) == 2
    assert events == []


def test_measure_time_logs_one_timing_event_per_call_when_on() -> None:
    apply(perf_debug=True)
    timed = perf.measure_time(work)
    with capture_logs() as events:
        assert timed(1) == 2
        assert timed(2) == 3
    assert [e["event"] for e in events] == [perf.TIMING_EVENT] * 2
    assert events[0]["function"] == "work"
    assert isinstance(events[0]["duration_ns"], int)
    assert events[0]["duration_ns"] >= 0
    assert timed.__name__ == "work"
    assert timed.__wrapped__ is work  # type: ignore[attr-defined]


def test_measure_time_async_logs_when_on() -> None:
    apply("debug")
    timed = perf.measure_time_async(async_work)
    with capture_logs() as events:
        assert asyncio.run(timed(1)) == 2
    assert [(e["event"], e["function"]) for e in events] == [(perf.TIMING_EVENT, "async_work")]


def test_wrapped_functions_stop_logging_when_perf_debug_is_turned_off() -> None:
    apply(perf_debug=True)
    timed = perf.measure_time(work)
    apply(perf_debug=False)
    with capture_logs() as events:
        assert timed(1) == 2
    assert events == []


def test_timing_is_logged_even_when_the_function_raises() -> None:
    apply(perf_debug=True)

    @perf.measure_time
    def fails() -> None:
        raise KeyError("x")

    with capture_logs() as events, pytest.raises(KeyError):
        fails()
    assert [e["event"] for e in events] == [perf.TIMING_EVENT]
