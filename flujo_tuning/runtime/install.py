"""The one owner of every change flujo_tuning makes to the process.

Three kinds of change, each recorded with what was there before (pytest's MonkeyPatch is the
model): the event-loop policy (ours wraps the one we found), Flujo's environment variables (only
for profiles that ask; children inherit them), and the exit hook that closes Flujo's SQLite state.
:func:`undo` puts back exactly what was found, in reverse, and leaves alone whatever someone else
changed since, saying so. Nothing else in the package changes the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from . import loop_policy
from .events import EXIT_HOOK_FAILED_EVENT, emit
from .observe import qualified_name
from .state import STATE, EnvChange, PolicyChange

if TYPE_CHECKING:
    from .tuning import LoopFactory, Tuning

__all__ = [
    "close_flujo_state",
    "install",
    "install_policy",
    "install_settings_environ",
    "policy_drifted",
    "undo",
]


def install(tuning: Tuning) -> dict[str, list[str]]:
    """Make the process match *tuning*; component -> notes on what was found (for its decision).

    All or nothing: if a change fails, what the record held before stays in force.
    """
    with _rollback(tuning.flujo_environ):
        notes = {
            "event_loop": install_policy(tuning.plain_loop_factory if tuning.installs_policy else None),
            "flujo": _environment(STATE.record.env, tuning.flujo_environ),
        }
        _exit_hook(tuning.closes_flujo_state)
    return notes


def install_policy(loop_factory: LoopFactory | None) -> list[str]:
    """Our policy making new loops with *loop_factory*, wrapping the one in force (None: ours out)."""
    record = STATE.record
    if loop_factory is None or not loop_policy.POLICIES:
        return _undo_policy() if record.policy is not None else []
    current = loop_policy.current_policy()
    change = record.policy
    notes = []
    if change is not None and current is change.installed:
        found = change.found  # ours is still in force: what we found first is what we restore
    else:
        found = loop_policy.unwrap(current)
        if change is not None:
            notes.append(
                f"the policy installed before had been replaced by {qualified_name(type(current))}: "
                "re-installed, wrapping it"
            )
    if type(found) is not asyncio.DefaultEventLoopPolicy:
        notes.append(
            f"wraps the policy found in force ({qualified_name(type(found))}): everything but new "
            "loops still comes from it"
        )
    installed = loop_policy.wrap(found, loop_factory)
    loop_policy.set_policy(installed)
    record.policy = PolicyChange(found, installed)
    return notes


def install_settings_environ(environ: Mapping[str, str]) -> None:
    """Set a parent's settings (``tuning.environ()``) in this worker's environment, recorded."""
    record = STATE.record
    _environment(record.settings_env, {**{n: c.value for n, c in record.settings_env.items()}, **environ})


def policy_drifted(tuning: Tuning) -> bool:
    """Whether *tuning* wants our policy and it is no longer in force (replaced or removed since)."""
    if not tuning.installs_policy or not loop_policy.POLICIES:
        return False
    change = STATE.record.policy
    return change is None or loop_policy.current_policy() is not change.installed


def undo() -> list[str]:
    """Undo every recorded change, in reverse; what someone else changed since is left alone and named."""
    record = STATE.record
    record.close_flujo_at_exit = False
    notes = []
    for slot in (record.env, record.settings_env):
        for name in reversed(list(slot)):
            notes += _undo_env(slot, name)
    if record.policy is not None:
        notes += _undo_policy()
    return notes


def _undo_policy() -> list[str]:
    change = STATE.record.policy
    STATE.record.policy = None
    if change is None or not loop_policy.POLICIES:
        return []
    current = loop_policy.current_policy()
    if current is not change.installed:
        return [
            f"event-loop policy: {qualified_name(type(current))} left in place (set after apply(), "
            "replacing ours)"
        ]
    loop_policy.set_policy(change.found)
    return []


def _environment(slot: dict[str, EnvChange], wanted: Mapping[str, str]) -> list[str]:
    """Make *slot*'s variables *wanted*: ours not wanted any more are undone, the rest set."""
    notes = []
    for name in [name for name in slot if name not in wanted]:
        notes += _undo_env(slot, name)
    for name, value in wanted.items():
        change = slot.get(name)
        now = os.environ.get(name)
        previous = change.previous if change is not None and now == change.value else now
        os.environ[name] = value
        slot[name] = EnvChange(value, previous)
    return notes


def _undo_env(slot: dict[str, EnvChange], name: str) -> list[str]:
    change = slot.pop(name)
    now = os.environ.get(name)
    if now != change.value:
        return [f"{name}: left as {now!r} (changed after apply(), which had set {change.value!r})"]
    if change.previous is None:
        del os.environ[name]
    else:
        os.environ[name] = change.previous
    return []


def _exit_hook(wanted: bool) -> None:
    STATE.record.close_flujo_at_exit = wanted
    if wanted and not STATE.exit_hook_registered:
        # Runs before Python joins non-daemon threads at exit (the hook concurrent.futures uses);
        # atexit would be too late. Checked for by flujo_facts (can_close_at_exit).
        threading._register_atexit(close_flujo_state)  # type: ignore[attr-defined]
        STATE.exit_hook_registered = True


def close_flujo_state() -> None:
    """Shut down every live Flujo SQLite backend with Flujo's own ``shutdown_all`` (what Flujo's
    atexit handler would do, run where it still can), when the record asks for it.

    With an explicit SQLite URI Flujo's runners share a backend they do not own and never shut down;
    its aiosqlite threads are not daemons, Python joins them before atexit runs (where Flujo's own
    cleanup waits), and the process never ends. Nothing here may stop Python's shutdown: a failure
    is logged and the exit goes on. A thread still using Flujo when the main thread ends loses its
    pooled connection; Flujo then opens a new one per operation (its own fallback).
    """
    if not STATE.record.close_flujo_at_exit:
        return
    try:
        module = sys.modules.get("flujo.state.backends.sqlite")
        shutdown_all = getattr(getattr(module, "SQLiteBackend", None), "shutdown_all", None)
        if callable(shutdown_all):
            shutdown_all()
    except Exception as error:
        emit(EXIT_HOOK_FAILED_EVENT, "warning", error=repr(error))


@contextlib.contextmanager
def _rollback(names: Iterable[str]) -> Iterator[None]:
    """If installing fails, put the policy, the variables (*names* and ours) and the record back."""
    record = STATE.record
    saved = (record.policy, dict(record.env), record.close_flujo_at_exit)
    policy = loop_policy.current_policy() if loop_policy.POLICIES else None
    environ = {name: os.environ.get(name) for name in {*record.env, *names}}
    try:
        yield
    except BaseException:
        record.policy, record.env, record.close_flujo_at_exit = saved
        for name, value in environ.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if policy is not None:
            loop_policy.set_policy(policy)
        raise
