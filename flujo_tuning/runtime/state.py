"""The process-wide state that apply() changes, in one object, with a way back (reset)."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio

    from .tuning import Tuning

__all__ = ["STATE", "register_fork_hook"]


@dataclass
class _State:
    lock: threading.RLock = field(default_factory=threading.RLock)
    #: The Tuning in force, or None before apply() / after reset().
    current: Tuning | None = None
    #: The event-loop policy in place before ours was installed; None when ours is not installed.
    saved_policy: asyncio.AbstractEventLoopPolicy | None = None
    fork_hook_registered: bool = False
    #: Whether close_flujo_state runs before Python joins threads at exit (registered once).
    flujo_exit_hook: bool = False
    #: Flujo's variables apply() set: name -> (value set, value it replaced or None).
    flujo_env: dict[str, tuple[str, str | None]] = field(default_factory=dict)


STATE = _State()


def _renew_lock_in_child() -> None:
    # A lock held by another thread at fork() time would never be released in the child.
    STATE.lock = threading.RLock()


def register_fork_hook() -> None:
    if not STATE.fork_hook_registered and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_renew_lock_in_child)
        STATE.fork_hook_registered = True
