"""Reusable scratch buffers: one per thread, never shared by two users at once.

A task that holds a buffer across an ``await`` keeps it to itself: anyone else on that thread
gets a fresh one until it is released, so concurrent tasks never write into the same bytearray.
"""

from __future__ import annotations

import threading

from .decision import Decision

__all__ = ["ScratchBuffers", "decide"]

#: Buffers that grew beyond this (and beyond the configured size) are not kept for reuse.
RETAIN_LIMIT = 1024 * 1024


class ScratchBuffers:
    """``acquire()`` a bytearray of at least the configured capacity, ``release()`` it after use."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._retain = max(size, RETAIN_LIMIT)
        self._local = threading.local()

    def acquire(self) -> bytearray:
        local = self._local
        buffer: bytearray | None = getattr(local, "buffer", None)
        if buffer is None:  # first use on this thread, or the thread's buffer is lent out
            return bytearray(self.size)
        local.buffer = None
        return buffer

    def release(self, buffer: bytearray) -> None:
        """Give *buffer* back for reuse; one smaller than the configured size (shrunk, or not ours)
        or grown past the retain limit is dropped, so acquire() keeps its promise."""
        if self.size <= len(buffer) <= self._retain:
            self._local.buffer = buffer


def decide(size: int, source: str) -> tuple[Decision, ScratchBuffers]:
    reason = f"each thread reuses its own {size}-byte scratch buffer; concurrent users never share one"
    return Decision("buffer_size", str(size), str(size), source, reason), ScratchBuffers(size)
