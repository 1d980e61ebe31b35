"""Network-bound scenarios for ``flujo-tuning bench``: steps that call a local HTTP server (5 ms
per answer, started for each measurement on 127.0.0.1 and stopped after it) through httpx, with one
client shared by every call or a new client per call, 8 calls in flight.

An LLM pipeline mostly waits on HTTP, so this is where the client's life matters more than the
loop; the two rows of the table show by how much. Needs httpx (``pip install httpx``, or the
``http`` extra); without it these scenarios are left out and the report says so.
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from collections.abc import Awaitable, Callable
from typing import Any

from .http_stub import serving
from .workloads import Scenario, WorkloadError, measured, timed

__all__ = ["HTTP_SCENARIOS", "IN_FLIGHT", "httpx_available", "ok"]

#: Calls in flight at once, as concurrent pipeline runs would have.
IN_FLIGHT = 8


def httpx_available() -> bool:
    return importlib.util.find_spec("httpx") is not None


async def _in_flight(calls: int, call: Callable[[int], Awaitable[None]]) -> None:
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def one(number: int) -> None:
        async with gate:
            await call(number)

    await asyncio.gather(*(one(number) for number in range(calls)))


def ok(response: Any) -> Any:
    """*response* if the server answered 200; a failed call is never counted as work done."""
    if response.status_code != 200:
        raise WorkloadError(f"HTTP {response.status_code} from {response.url}")
    return response


def _shared_client(tuning: Any, calls: int) -> float:
    import httpx

    async def work() -> float:
        async with httpx.AsyncClient() as client:  # made once, as a program would at start-up
            await client.get(url)  # the connection exists before the clock, as it would

            async def call(number: int) -> None:
                tuning.codec.loads(ok(await client.get(url, params={"n": number})).content)

            start = time.perf_counter()
            await _in_flight(calls, call)
            return time.perf_counter() - start

    with serving() as url:
        return measured(tuning, work)


def _client_per_call(tuning: Any, calls: int) -> float:
    import httpx

    async def call(number: int) -> None:
        async with httpx.AsyncClient() as client:  # what a step that makes its own client does
            tuning.codec.loads(ok(await client.get(url, params={"n": number})).content)

    with serving() as url:
        return timed(tuning, _in_flight(calls, call))


HTTP_SCENARIOS = (
    Scenario("http-shared", "HTTP calls (5 ms answers), one shared client", 400, _shared_client, 100),
    Scenario("http-per-call", "HTTP calls (5 ms answers), a client per call", 40, _client_per_call, 16),
)
