"""The event-loop policy route (Python 3.10 to 3.13): the one place that knows policies exist.

Plain ``asyncio.run()`` gets its loop from the policy. We wrap the policy in force (asyncio's or a
host's) so that new loops come from our loop factory and everything else (the loop set for each
thread, child watchers, anything a host added) still comes from the policy we found. Python 3.14
deprecates policies and 3.16 removes them: there nothing is installed, and ``run()``,
``loop_factory`` and the integrations make our loops without them.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable
from typing import Any

from ..components.backends import Platform

__all__ = [
    "POLICIES",
    "current_policy",
    "factory_of",
    "is_ours",
    "plan",
    "set_policy",
    "thread_local_loop",
    "unwrap",
    "wrap",
]

LoopFactory = Callable[[], asyncio.AbstractEventLoop]

#: Whether this Python has loop policies we may touch: deprecated from 3.14 (touching them warns),
#: removed in 3.16. Every policy call in the package is behind this flag (tests turn it off, with
#: the policy API removed, to run the 3.14 paths on older Pythons).
POLICIES = sys.version_info < (3, 14)

if POLICIES:
    #: Held while asyncio's policy is lent our loop factory (TunedEventLoopPolicy.get_event_loop);
    #: re-entrant, in case a loop factory asks for the current loop itself.
    _LENDING = threading.RLock()
    _NONE = object()

    class TunedEventLoopPolicy(asyncio.AbstractEventLoopPolicy):
        """The policy we found (*base*), except that new loops come from *loop_factory*."""

        def __init__(self, base: asyncio.AbstractEventLoopPolicy, loop_factory: LoopFactory) -> None:
            self.base = base
            self.loop_factory = loop_factory

        def new_event_loop(self) -> asyncio.AbstractEventLoop:
            return self.loop_factory()

        def get_event_loop(self) -> asyncio.AbstractEventLoop:
            base = self.base
            if not isinstance(base, asyncio.events.BaseDefaultEventLoopPolicy):
                return base.get_event_loop()
            # asyncio's default policy makes the main thread's loop itself when none is set (a
            # Jupyter kernel's, through tornado): with its own new_event_loop. Lend it ours for the
            # call, so that loop is the decided one too; the rest (and its deprecation warning
            # on 3.12+) stays asyncio's.
            # One lender at a time (threads asking at once would undo each other's lending), and
            # a new_event_loop of the instance's own is put back, not deleted.
            with _LENDING:
                own = vars(base).get("new_event_loop", _NONE)
                base.new_event_loop = self.new_event_loop  # type: ignore[method-assign]
                try:
                    return base.get_event_loop()
                finally:
                    if own is _NONE:
                        del base.new_event_loop
                    else:
                        base.new_event_loop = own  # type: ignore[method-assign]

        def set_event_loop(self, loop: asyncio.AbstractEventLoop | None) -> None:
            self.base.set_event_loop(loop)

        def get_child_watcher(self) -> Any:  # deprecated by asyncio in 3.12: only delegated
            return self.base.get_child_watcher()  # type: ignore[attr-defined,unused-ignore]

        def set_child_watcher(self, watcher: Any) -> None:
            self.base.set_child_watcher(watcher)  # type: ignore[attr-defined,unused-ignore]

        def __getattr__(self, name: str) -> Any:  # whatever else the host's policy offers
            return getattr(self.base, name)

        def __repr__(self) -> str:
            return f"<flujo_tuning policy wrapping {self.base!r}>"


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


def current_policy() -> asyncio.AbstractEventLoopPolicy:
    return asyncio.get_event_loop_policy()


def unwrap(policy: Any) -> Any:
    """The policy under any of our wrappers (the host's, or asyncio's)."""
    while POLICIES and isinstance(policy, TunedEventLoopPolicy):
        policy = policy.base
    return policy


def wrap(base: asyncio.AbstractEventLoopPolicy, loop_factory: LoopFactory) -> asyncio.AbstractEventLoopPolicy:
    return TunedEventLoopPolicy(unwrap(base), loop_factory)


def set_policy(policy: asyncio.AbstractEventLoopPolicy | None) -> None:
    asyncio.set_event_loop_policy(policy)


def is_ours(policy: Any) -> bool:
    return POLICIES and isinstance(policy, TunedEventLoopPolicy)


def factory_of(policy: Any) -> LoopFactory | None:
    """The loop factory of one of our policies, else None."""
    return policy.loop_factory if is_ours(policy) else None


def thread_local_loop() -> Any:
    """The loop set for this thread in the policy, read without making one or warning."""
    policy = unwrap(asyncio.get_event_loop_policy())
    return getattr(getattr(policy, "_local", None), "_loop", None)
