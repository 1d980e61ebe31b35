"""Scratch buffers: one per thread, never lent twice, huge ones not kept."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from flujo_tuning import apply
from flujo_tuning.components.buffers import ScratchBuffers


def test_buffer_pool_reuses_one_buffer_per_thread() -> None:
    pool = apply(buffer_size="8KiB").buffers
    first = pool.acquire()
    assert len(first) == 8192
    pool.release(first)
    assert pool.acquire() is first


def test_a_lent_buffer_is_never_handed_out_twice() -> None:
    pool = ScratchBuffers(256)
    first = pool.acquire()
    second = pool.acquire()
    assert first is not second


def test_threads_get_their_own_buffers() -> None:
    import threading

    pool = ScratchBuffers(256)
    mine = pool.acquire()
    pool.release(mine)
    seen: list[bytearray] = []
    thread = threading.Thread(target=lambda: seen.append(pool.acquire()))
    thread.start()
    thread.join()
    assert seen[0] is not mine


def test_tasks_holding_buffers_across_awaits_never_share() -> None:
    pool = ScratchBuffers(256)

    async def user(tag: int) -> bool:
        buffer = pool.acquire()
        buffer[:1] = bytes([tag])
        await asyncio.sleep(0)
        intact = buffer[0] == tag
        pool.release(buffer)
        return intact

    async def main() -> list[bool]:
        return await asyncio.gather(*(user(i) for i in range(10)))

    assert asyncio.run(main()) == [True] * 10


def test_huge_buffers_are_not_retained() -> None:
    pool = ScratchBuffers(256)
    big = bytearray(2 * 1024 * 1024)
    pool.release(big)
    assert pool.acquire() is not big


def test_a_buffer_smaller_than_the_size_is_not_handed_out() -> None:
    pool = ScratchBuffers(256)
    pool.release(bytearray(16))
    assert len(pool.acquire()) == 256
    shrunk = pool.acquire()
    del shrunk[100:]  # a user shrank the one it was lent
    pool.release(shrunk)
    assert len(pool.acquire()) == 256


@given(
    size=st.integers(min_value=1, max_value=4096),
    released=st.lists(st.integers(min_value=0, max_value=3 * 1024 * 1024), max_size=8),
)
@settings(max_examples=60, deadline=None)
def test_acquire_always_keeps_its_promise(size: int, released: list[int]) -> None:
    pool = ScratchBuffers(size)
    for length in released:
        pool.release(bytearray(length))
        buffer = pool.acquire()
        assert size <= len(buffer) <= max(size, 1024 * 1024)


def test_buffer_size_decision_names_the_size() -> None:
    decision = apply(buffer_size="64KiB").decision("buffer_size")
    assert (decision.requested, decision.choice) == ("65536", "65536")
