"""Making plain ``asyncio.run()`` use the chosen loop, without deprecated APIs.

On Python 3.10-3.13 a small policy of our own makes new loops through ``Tuning.loop_factory``
(uvloop's ``install()`` and ``EventLoopPolicy`` are deprecated, so we use neither). On 3.14+,
where policies themselves are deprecated, nothing is installed.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable, Iterator

from ..components.backends import Platform
from .state import STATE

__all__ = ["POLICIES", "install", "plan", "restore", "rollback_on_error"]

LoopFactory = Callable[[], asyncio.AbstractEventLoop]

#: Whether this Python has loop policies we may touch: deprecated from 3.14 (touching them warns),
#: removed in 3.16. Every policy call in the package is behind this flag (tests turn it off, with
#: the policy API removed, to run the 3.14 paths on older Pythons).
POLICIES = sys.version_info < (3, 14)

if POLICIES:

    class TunedEventLoopPolicy(asyncio.DefaultEventLoopPolicy):
        """asyncio's default policy, except that new loops come from a loop factory."""

        def __init__(self, loop_factory: LoopFactory) -> None:
            super().__init__()
            self.loop_factory = loop_factory

        def new_event_loop(self) -> asyncio.AbstractEventLoop:
            return self.loop_factory()


def plan(stock: bool, platform: Platform) -> tuple[bool, str]:
    """Whether apply() installs our policy, and a clause saying what plain asyncio.run() then does.

    *platform* is the only source of version facts, so a simulated Python is honoured everywhere.
    """
    if platform.python >= (3, 14):
        return False, (
            "Python 3.14+ deprecates loop policies, so plain asyncio.run() keeps the stock loop: "
            "use flujo_tuning.run(main()) or asyncio.run(main(), loop_factory=tuning.loop_factory)"
        )
    if stock:
        return False, "nothing to install: new loops are stock asyncio"
    return True, "installed for new loops, so plain asyncio.run() uses it too"


def install(loop_factory: LoopFactory) -> None:
    """Install our policy, making new loops with *loop_factory* (Python 3.10-3.13 only)."""
    old = asyncio.get_event_loop_policy()
    if not isinstance(old, TunedEventLoopPolicy):
        STATE.saved_policy = old
    new = TunedEventLoopPolicy(loop_factory)
    # Keep the loop already set for this thread (get_event_loop() must not change under the caller).
    existing = getattr(getattr(old, "_local", None), "_loop", None)
    if isinstance(existing, asyncio.AbstractEventLoop) and not existing.is_closed():
        new.set_event_loop(existing)
    asyncio.set_event_loop_policy(new)


def restore() -> None:
    """Put back the policy that was in place before install(), if ours is installed."""
    if STATE.saved_policy is not None and POLICIES:
        asyncio.set_event_loop_policy(STATE.saved_policy)
        STATE.saved_policy = None


@contextlib.contextmanager
def rollback_on_error() -> Iterator[None]:
    """If the block fails, put the event-loop policy and our saved state back as they were."""
    saved = STATE.saved_policy
    before = asyncio.get_event_loop_policy() if POLICIES else None
    try:
        yield
    except BaseException:
        STATE.saved_policy = saved  # first: it must hold even if putting the policy back fails
        if before is not None:
            asyncio.set_event_loop_policy(before)
        raise
