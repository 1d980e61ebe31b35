"""Libraries we do not own work in the loops we make, under every shipped profile: a real httpx call
to a local server and an anyio task group, inside ``flujo_tuning.run()`` and plain ``asyncio.run()``.

anyio recognises only asyncio's own eager task factory; under any other, its cancel scopes break and
every httpx call fails (``throughput`` once did that on Python 3.13). One server for the module.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import anyio
import httpx
import pytest

import flujo_tuning
from flujo_tuning.tools.http_stub import serving

SHIPPED = ["debug", "default", "ephemeral", "low-memory", "pinned-state", "stdlib", "throughput"]


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serving(delay_ms=1.0) as base:
        yield base


async def _calls(url: str) -> tuple[int, list[int], str | None]:
    async with httpx.AsyncClient() as client:
        first = await client.get(url, params={"n": 0})
        statuses: list[int] = []

        async def one(number: int) -> None:
            statuses.append((await client.get(url, params={"n": number})).status_code)

        async with anyio.create_task_group() as group:
            for number in range(1, 4):
                group.start_soon(one, number)
    factory = asyncio.get_running_loop().get_task_factory()
    return first.status_code, sorted(statuses), getattr(factory, "__qualname__", None)


@pytest.mark.parametrize("profile", SHIPPED)
def test_httpx_and_anyio_work_in_our_loops_under_every_profile(url: str, profile: str) -> None:
    tuning = flujo_tuning.apply(profile)
    status, statuses, factory = flujo_tuning.run(_calls(url))
    assert (status, statuses) == (200, [200, 200, 200])
    if tuning.choices["task_factory"] == "eager":
        assert factory == "create_eager_task_factory.<locals>.factory"  # asyncio's own, as anyio needs
    assert asyncio.run(_calls(url))[:2] == (200, [200, 200, 200])  # plain asyncio.run, policy route
