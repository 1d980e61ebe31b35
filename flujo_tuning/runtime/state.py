"""The process-wide state of flujo_tuning, in one object: what is in force, and the installer's record."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .tuning import Tuning

__all__ = ["STATE", "EnvChange", "PolicyChange", "Record", "register_fork_hook"]


@dataclass
class PolicyChange:
    """The event-loop policy apply() installed, and the one it found (and wraps)."""

    found: Any
    installed: Any


@dataclass
class EnvChange:
    """An environment variable apply() set: the value set, and the one it replaced (None: unset)."""

    value: str
    previous: str | None


@dataclass
class Record:
    """Every change the installer made to the process, with what it found (undo() puts that back)."""

    policy: PolicyChange | None = None
    #: Flujo's variables (the flujo decision).
    env: dict[str, EnvChange] = field(default_factory=dict)
    #: Our own FLUJO_* settings handed to worker_init() by a parent.
    settings_env: dict[str, EnvChange] = field(default_factory=dict)
    #: Whether Flujo's SQLite state is closed before Python waits for threads at exit.
    close_flujo_at_exit: bool = False


@dataclass
class _State:
    lock: threading.RLock = field(default_factory=threading.RLock)
    #: The Tuning in force, or None before apply() / after reset().
    current: Tuning | None = None
    #: Where apply() has not run: the Tuning the read-only helpers resolved and use (installed nowhere).
    resolved: Tuning | None = None
    record: Record = field(default_factory=Record)
    fork_hook_registered: bool = False
    #: Whether the exit hook is registered with Python (once per process; the record arms it).
    exit_hook_registered: bool = False


STATE = _State()


def _renew_lock_in_child() -> None:
    # A lock held by another thread at fork() time would never be released in the child.
    STATE.lock = threading.RLock()


def register_fork_hook() -> None:
    if not STATE.fork_hook_registered and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_renew_lock_in_child)
        STATE.fork_hook_registered = True
