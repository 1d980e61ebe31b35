"""apply(), current(), reset() and friends: the only functions that change the process."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from ..cache_keys.maker import canonical_bytes as default_canonical_bytes
from ..components.backends import Platform
from ..config.settings import ResolvedSettings, resolve
from . import flujo_env, loop_install
from . import verify as running
from .build import build
from .events import APPLIED_EVENT, emit, log_decisions
from .state import STATE, register_fork_hook
from .tuning import Tuning

__all__ = [
    "apply",
    "cache_key",
    "canonical_bytes",
    "current",
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
    """Resolve settings, decide each component, install the event-loop set-up, log each decision.

    Calling it again with the same settings returns the same Tuning and logs nothing. If it
    raises (ConfigError, or a missing backend in strict mode), what was applied before stays.
    """
    settings = resolve(profile, pyproject=pyproject, **overrides)
    platform = Platform.current()
    register_fork_hook()
    with STATE.lock:
        previous = STATE.current
        if previous is not None and previous.settings == settings:
            return previous
        tuning = build(settings, platform)
        with loop_install.rollback_on_error():
            if tuning.installs_policy:
                loop_install.install(tuning.plain_loop_factory)
            else:
                loop_install.restore()
            flujo_env.install(tuning.flujo_environ)
        STATE.current = tuning
        old = set(previous.decisions) if previous is not None else set()
        log_decisions(d for d in tuning.decisions if d not in old)
        emit(
            APPLIED_EVENT,
            profile=settings.profile,
            profile_chain=list(settings.profile_chain),
            fingerprint=tuning.fingerprint,
        )
    return tuning


def cache_key(obj: Any) -> str:
    """The cache key of *obj* under the current Tuning (applying the selected profile if none)."""
    return (STATE.current or apply()).cache_key(obj)


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
    return build(settings, Platform.current())


def verify() -> list[str]:
    """What differs, right now in this thread, between the current Tuning and what runs.

    Compares the running loop's class, task factory and debug mode with the decisions (or, with
    no loop running here, whether plain asyncio.run() would still make the decided loop). Empty
    when they match; cheap enough for a health check.
    """
    return running.verify(STATE.current)


def worker_init(environ: dict[str, str] | None = None) -> None:
    """Apply the parent's tuning in a worker process: an initializer for process pools.

    ``ProcessPoolExecutor(initializer=flujo_tuning.worker_init, initargs=(tuning.environ(),))``;
    with no *environ*, the worker resolves from its own environment and project.
    """
    if environ:
        os.environ.update(environ)
    apply()


def worker_loops_are_ours() -> None:
    """Make every new loop of this process with ``loop_factory``, task factory included (Python
    3.10 to 3.13): for a host process we were asked to tune whole, whose loops are made with plain
    ``asyncio.new_event_loop()`` (Ray's workers, through our Ray integration)."""
    tuning = STATE.current
    if tuning is None or not loop_install.POLICIES or tuning.settings.task_factory_scope == "process":
        return
    if tuning.installs_policy or tuning.loop_factory is not tuning.plain_loop_factory:
        with STATE.lock:
            loop_install.install(tuning.loop_factory)


def current() -> Tuning | None:
    """The Tuning installed by the last apply(), or None."""
    return STATE.current


def reset() -> None:
    """Undo apply(): put back the event-loop policy found before it and forget the current Tuning."""
    with STATE.lock:
        loop_install.restore()
        flujo_env.restore()
        STATE.current = None
