"""apply() and reset(), the only functions that change the process (through install.py), and the
read-only helpers beside them: decide (decide.py), observe (observe.py), install (install.py)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from ..cache_keys.maker import canonical_bytes as default_canonical_bytes
from ..components.backends import Platform
from ..components.decision import Decision
from ..config.settings import ResolvedSettings, resolve
from . import install, loop_policy, observe
from .decide import decide
from .events import APPLIED_EVENT, CONVERGED_EVENT, RESET_EVENT, RESOLVED_EVENT, emit, log_decisions
from .state import STATE, register_fork_hook
from .tuning import Tuning

__all__ = [
    "apply",
    "cache_key",
    "canonical_bytes",
    "current",
    "in_use",
    "preview",
    "preview_settings",
    "reset",
    "verify",
    "worker_init",
    "worker_loops_are_ours",
]


def apply(
    profile: str | Sequence[str] | None = None,
    *,
    pyproject: str | os.PathLike[str] | None = None,
    **overrides: Any,
) -> Tuning:
    """Resolve settings, decide each component, install what the decisions need, log each decision.

    Calling it again with the same settings returns the same Tuning and logs nothing, after
    re-establishing anything of its installation that was undone since (an event says what). If
    it raises (ConfigError, or a missing backend in strict mode), what was applied before stays.
    """
    settings = resolve(profile, pyproject=pyproject, **overrides)
    platform = Platform.current()
    register_fork_hook()
    with STATE.lock:
        previous = STATE.current
        if previous is not None and previous.settings == settings:
            _converge(previous)
            return previous
        tuning = decide(settings, platform, _flujo_ours())
        tuning = tuning._revised(observe.against_this_thread(tuning))
        notes = install.install(tuning)
        tuning = tuning._revised(_with_notes(tuning.decisions, notes))
        STATE.current = tuning
        STATE.resolved = None
        old = set(previous.decisions) if previous is not None else set()
        log_decisions(d for d in tuning.decisions if d not in old)
        emit(
            APPLIED_EVENT,
            profile=settings.profile,
            profile_chain=list(settings.profile_chain),
            fingerprint=tuning.fingerprint,
        )
    return tuning


def _flujo_ours() -> dict[str, str]:
    return {name: change.value for name, change in STATE.record.env.items()}


def _with_notes(decisions: tuple[Decision, ...], notes: Mapping[str, list[str]]) -> tuple[Decision, ...]:
    def noted(decision: Decision) -> Decision:
        found = notes.get(decision.component)
        if not found:
            return decision
        return Decision(**{**decision.as_event(), "reason": "; ".join([decision.reason, *found])})

    return tuple(noted(d) for d in decisions)


def _converge(tuning: Tuning) -> None:
    """The same settings again: re-establish what was undone since, or say what cannot be."""
    done: list[str] = []
    if install.policy_drifted(tuning):
        # The factory installed last (worker_loops_are_ours may have put the full one in place).
        installed = STATE.record.policy
        factory = loop_policy.factory_of(installed.installed) if installed is not None else None
        done = install.install_policy(factory or tuning.plain_loop_factory) or [
            "event-loop policy re-installed"
        ]
    kept = observe.flujo_differences(tuning)  # someone else's since: left as it is
    if done or kept:
        emit(CONVERGED_EVENT, "warning", re_established=done, left_alone=kept, fingerprint=tuning.fingerprint)


def in_use() -> Tuning:
    """The Tuning in force, else the one resolved here without apply() (made once, installed nowhere).

    The read-only helpers use it: they never install anything, and verify() says apply() has not run.
    """
    tuning = STATE.current or STATE.resolved
    if tuning is not None:
        return tuning
    with STATE.lock:
        if STATE.current is not None:
            return STATE.current
        if STATE.resolved is None:
            resolved = preview()
            STATE.resolved = resolved
            emit(
                RESOLVED_EVENT,
                profile=resolved.profile,
                fingerprint=resolved.fingerprint,
                choices=resolved.choices,
                note="apply() has not run in this process: settings resolved for cache keys and run(), "
                "nothing installed",
            )
        return STATE.resolved


def cache_key(obj: Any) -> str:
    """The cache key of *obj* under the current Tuning (or, before apply(), under the settings
    resolved here; nothing is installed)."""
    return (STATE.current or STATE.resolved or in_use()).cache_key(obj)


def canonical_bytes(obj: Any) -> bytes:
    """The canonical fk1 encoding of *obj*: identical on every machine, Python and install.

    Encoded the way the current Tuning encodes keys (so the stdlib profile uses no compiled
    encoder here either); without one, by the fastest encoder that takes the value.
    """
    tuning = STATE.current
    if tuning is not None:
        return tuning.canonical_bytes(obj)
    return default_canonical_bytes(obj)


def preview(
    profile: str | Sequence[str] | None = None,
    *,
    pyproject: str | os.PathLike[str] | None = None,
    **overrides: Any,
) -> Tuning:
    """The Tuning apply() would make here, with nothing installed, logged or kept (a dry run).

    Its ``loop_factory`` makes tuned loops without touching the process's policy, so it also
    serves to measure a profile without applying it.
    """
    return preview_settings(resolve(profile, pyproject=pyproject, **overrides))


def preview_settings(settings: ResolvedSettings) -> Tuning:
    """:func:`preview` for settings already resolved."""
    return decide(settings, Platform.current(), _flujo_ours())


def verify() -> list[str]:
    """What differs, right now in this thread, between the current Tuning and what runs.

    Compares the running loop's class, task factory and debug mode with the decisions (or, with
    no loop running here, whether plain asyncio.run() would still make the decided loop), and
    Flujo's variables apply() set with what os.environ holds now. Empty when they match; cheap
    enough for a health check. Where apply() has not run it says so, and
    names the settings the read-only helpers resolved, if any did.
    """
    return observe.verify(STATE.current, STATE.resolved)


def worker_init(environ: Mapping[str, str] | None = None) -> None:
    """Apply the parent's tuning in a worker process: an initializer for process pools.

    ``ProcessPoolExecutor(initializer=flujo_tuning.worker_init, initargs=(tuning.environ(),))``;
    with no *environ*, the worker resolves from its own environment and project. *environ* is set
    in the worker's ``os.environ`` (so its own children resolve the same) and recorded: reset()
    takes it back.
    """
    with STATE.lock:
        if environ:
            install.install_settings_environ(environ)
        apply()


def worker_loops_are_ours() -> None:
    """Make every new loop of this process with ``loop_factory``, task factory included (Python
    3.10 to 3.13): for a host process we were asked to tune whole, whose loops are made with plain
    ``asyncio.new_event_loop()`` (Ray's workers, through our Ray integration)."""
    tuning = STATE.current
    if tuning is None or tuning.settings.task_factory_scope == "process":
        return
    if tuning.installs_policy or tuning.loop_factory is not tuning.plain_loop_factory:
        with STATE.lock:
            install.install_policy(tuning.loop_factory)


def current() -> Tuning | None:
    """The Tuning installed by the last apply(), or None."""
    return STATE.current


def reset() -> list[str]:
    """Undo apply(): put back exactly what it found (the event-loop policy, environment variables, the
    exit hook) and forget the current Tuning. What someone else changed since is left alone: the
    list says what (and a warning event), empty when everything was put back."""
    with STATE.lock:
        notes = install.undo()
        STATE.current = None
        STATE.resolved = None
    if notes:
        emit(RESET_EVENT, "warning", left_alone=notes)
    return notes
