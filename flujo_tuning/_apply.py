"""apply(), current(), run() and reset(): the only functions that change the process."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import os
import sys
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from . import _flujo_env, _loop_install, _running
from ._canonical import registered as registered_encoders
from ._events import emit
from ._state import STATE, register_fork_hook
from .components import buffers, codec, event_loop, flujo, hasher, key_encoder, perf_debug, task_factory
from .components._registry import Platform
from .components.buffers import ScratchBuffers
from .components.codec import Codec
from .components.hasher import Hasher
from .decisions import APPLIED_EVENT, Component, Decision, log_decisions
from .keys import SCHEME, KeyMaker
from .settings import ResolvedSettings, resolve

__all__ = ["Tuning", "apply", "cache_key", "current", "preview", "reset", "run", "verify", "worker_init"]

T = TypeVar("T")
LoopFactory = Callable[[], asyncio.AbstractEventLoop]


@dataclass(frozen=True, eq=False)
class Tuning:
    """What apply() put in force: the settings, each decision, and the chosen backends."""

    settings: ResolvedSettings
    decisions: tuple[Decision, ...]
    codec: Codec
    hasher: Hasher
    #: Makes a new event loop of the chosen kind, with the chosen task factory and debug mode.
    loop_factory: LoopFactory
    buffers: ScratchBuffers
    #: Private: the facts the fingerprint hashes, besides the encoders registered when it is read.
    _fingerprint_facts: str = field(repr=False)
    #: Private: makes the keys (its type is an implementation detail).
    _key_maker: KeyMaker = field(repr=False)
    #: Private: whether apply() installs our loop policy for plain asyncio.run().
    _installs_policy: bool = field(default=False, repr=False)
    #: Private: the class of the decided loops and the decided task factory, for verify().
    _loop_class: type = field(default=asyncio.AbstractEventLoop, repr=False)
    _task_factory: Any = field(default=None, repr=False)
    #: Private: what the fingerprint hashes besides settings and decisions (Python, backends).
    _facts: dict[str, str] = field(default_factory=dict, repr=False)
    #: Private: Flujo's variables apply() sets in os.environ (the flujo decision).
    _flujo_env: dict[str, str] = field(default_factory=dict, repr=False)

    def cache_key(self, obj: Any) -> str:
        """``fk1:<hasher>:<hex>``: the same for the same value on every machine and install."""
        return self._key_maker.make(obj)

    @property
    def fingerprint(self) -> str:
        """A short stable hash of everything that decides behaviour and keys: the settings, the
        decisions, Python and backend versions, the key scheme and the encoders registered now
        (register_encoder() after apply() changes it). Equal fingerprints, equal keys."""
        return _fingerprint(self._fingerprint_facts)

    @property
    def profile(self) -> str:
        """The selected profile (``settings.profile``)."""
        return self.settings.profile

    @property
    def choices(self) -> dict[str, str]:
        """Component -> what is in force, e.g. ``{"event_loop": "uvloop", ...}``."""
        return {d.component: d.choice for d in self.decisions}

    def environ(self) -> dict[str, str]:
        """The ``FLUJO_*`` variables that make resolve() in another process return these settings,
        whatever its working directory or pyproject.toml: hand them to worker processes."""
        return self.settings.environ()

    def decision(self, component: Component) -> Decision:
        """The decision for *component*; KeyError naming the components for an unknown one."""
        for decision in self.decisions:
            if decision.component == component:
                return decision
        known = ", ".join(d.component for d in self.decisions)
        raise KeyError(f"no decision for {component!r}; components: {known}")

    def __repr__(self) -> str:
        # Every name shown here is an attribute of the Tuning with the value shown.
        return f"Tuning(profile={self.profile!r}, choices={self.choices!r}, fingerprint={self.fingerprint!r})"


def _loop_factory(
    new_loop: LoopFactory, factory: task_factory.TaskFactory | None, debug: bool
) -> LoopFactory:
    if factory is None and not debug:
        return new_loop

    def tuned_loop() -> asyncio.AbstractEventLoop:
        loop = new_loop()
        if factory is not None:  # pragma: no-cover-before-312
            loop.set_task_factory(factory)
        if debug:
            loop.set_debug(True)
        return loop

    return tuned_loop


def _fingerprint_facts(
    settings: ResolvedSettings, decisions: tuple[Decision, ...], facts: dict[str, str]
) -> str:
    """Structured facts only (never reason sentences): rewording a message changes no fingerprint.
    The key encoder is left out: every encoder writes the same bytes, so it changes no key."""
    payload = {
        "settings": settings.values(),
        "decisions": [
            [d.component, d.requested, d.choice, d.fallback]
            for d in decisions
            if d.component != "key_encoder"
        ],
        "facts": facts,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))


def _fingerprint(facts: str) -> str:
    digest = hashlib.blake2b(facts.encode(), digest_size=6)
    digest.update(json.dumps(registered_encoders()).encode())
    return digest.hexdigest()


def _build(settings: ResolvedSettings, platform: Platform) -> Tuning:
    """Decide every component and what installing will do; no side effects (a ConfigError here
    leaves the process as it was)."""
    source = settings.provenance
    strict = settings.strict
    disabled_by = source["disable_uvloop"] if settings.disable_uvloop else None
    loop_decision, loop = event_loop.decide(
        settings.event_loop, source["event_loop"], strict, platform, disabled_by
    )
    factory_decision, factory = task_factory.decide(
        settings.task_factory, source["task_factory"], strict, platform, loop
    )
    codec_decision, chosen_codec = codec.decide(settings.codec, source["codec"], strict)
    hasher_decision, chosen_hasher = hasher.decide(settings.hasher, source["hasher"], strict)
    buffer_decision, pool = buffers.decide(int(settings.buffer_size), source["buffer_size"])
    # codec json: nothing compiled beyond the standard library, so keys use the reference (same bytes).
    key_maker = KeyMaker(
        chosen_hasher, pool.size, encoder="reference" if chosen_codec.name == "json" else "native"
    )
    encoder_decision = key_encoder.decide(key_maker, chosen_codec.name, source["codec"])
    debug_decision = perf_debug.decide(settings.perf_debug, source["perf_debug"])
    flujo_facts = _flujo_env.facts()
    flujo_decision, flujo_env = flujo.decide(
        settings.state_backend,
        settings.tracing,
        _joint_source(source, "state_backend", "tracing"),
        flujo_facts,
    )

    stock = loop.name == "asyncio" and factory is None and not settings.asyncio_debug
    installs, install_note = _loop_install.plan(stock, platform)
    notes = [install_note]
    if settings.asyncio_debug:
        notes.append("new loops run in asyncio debug mode")
    loop_decision = dataclasses.replace(loop_decision, reason="; ".join([loop_decision.reason, *notes]))
    loop_decision, factory_decision = _against_running_loop(
        loop_decision, factory_decision, loop, factory, settings.asyncio_debug
    )

    decisions = (
        loop_decision,
        factory_decision,
        codec_decision,
        hasher_decision,
        encoder_decision,
        buffer_decision,
        debug_decision,
        flujo_decision,
    )
    facts = {
        "python": platform.python_text,
        "system": platform.system,
        "loop": f"{loop.name} {loop.version}",
        "codec": f"{chosen_codec.name} {chosen_codec.version}",
        "hasher": f"{chosen_hasher.name} {chosen_hasher.version}",
        "flujo": flujo_facts.version or "not installed",
        "keys": SCHEME,
    }
    return Tuning(
        settings=settings,
        decisions=decisions,
        codec=chosen_codec,
        hasher=chosen_hasher,
        loop_factory=_loop_factory(loop.new_loop, factory, settings.asyncio_debug),
        buffers=pool,
        _fingerprint_facts=_fingerprint_facts(settings, decisions, facts),
        _key_maker=key_maker,
        _installs_policy=installs,
        _loop_class=loop.loop_class,
        _task_factory=factory,
        _facts=facts,
        _flujo_env=flujo_env,
    )


def _joint_source(source: Mapping[str, str], *names: str) -> str:
    """One provenance for a decision made from several settings."""
    found = {source[name] for name in names}
    if len(found) == 1:
        return found.pop()
    return "; ".join(f"{name} from {source[name]}" for name in names)


def _against_running_loop(
    loop_decision: Decision,
    factory_decision: Decision,
    loop: event_loop.LoopBackend,
    factory: task_factory.TaskFactory | None,
    debug: bool,
) -> tuple[Decision, Decision]:
    """apply() inside a running loop keeps that loop: say whether it matches, and if not, how to fix it."""
    running = _running.running_loop()
    if running is None:
        return loop_decision, factory_decision
    kind = _running.qualified_name(type(running))
    found = _running.differences(
        running,
        loop_class=loop.loop_class,
        loop_choice=loop_decision.choice,
        task_factory=factory,
        factory_choice=factory_decision.choice,
        debug=debug,
    )
    if not found:
        note = f"the running loop ({kind}) is kept and matches the choice"
        return dataclasses.replace(loop_decision, reason=f"{loop_decision.reason}; {note}"), factory_decision
    fix = _running.host_fix()

    def not_in_effect(decision: Decision, texts: list[str]) -> Decision:
        note = (
            f"the running loop ({kind}) is kept and differs ({'; '.join(texts)}): "
            f"the choice applies to new loops only; {fix}"
        )
        return dataclasses.replace(decision, reason=f"{decision.reason}; {note}", in_effect=False)

    loop_found = [text for component, text in found.items() if component != "task_factory"]
    if loop_found:
        loop_decision = not_in_effect(loop_decision, loop_found)
    if "task_factory" in found:
        factory_decision = not_in_effect(factory_decision, [found["task_factory"]])
    return loop_decision, factory_decision


def apply(
    profile: str | None = None, *, pyproject: str | os.PathLike[str] | None = None, **overrides: Any
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
        tuning = _build(settings, platform)
        with _loop_install.rollback_on_error():
            if tuning._installs_policy:
                _loop_install.install(tuning.loop_factory)
            else:
                _loop_install.restore()
            _flujo_env.install(tuning._flujo_env)
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


def preview(
    profile: str | None = None, *, pyproject: str | os.PathLike[str] | None = None, **overrides: Any
) -> Tuning:
    """The Tuning apply() would make here, with nothing installed, logged or kept (a dry run).

    Its ``loop_factory`` makes tuned loops without touching the process's policy, so it also
    serves to measure a profile without applying it.
    """
    return preview_settings(resolve(profile, pyproject=pyproject, **overrides))


def preview_settings(settings: ResolvedSettings) -> Tuning:
    """:func:`preview` for settings already resolved."""
    return _build(settings, Platform.current())


def verify() -> list[str]:
    """What differs, right now in this thread, between the current Tuning and what runs.

    Compares the running loop's class, task factory and debug mode with the decisions (or, with
    no loop running here, whether plain asyncio.run() would still make the decided loop). Empty
    when they match; cheap enough for a health check.
    """
    return _running.verify(STATE.current)


def worker_init(environ: dict[str, str] | None = None) -> None:
    """Apply the parent's tuning in a worker process: an initializer for process pools.

    ``ProcessPoolExecutor(initializer=flujo_tuning.worker_init, initargs=(tuning.environ(),))``;
    with no *environ*, the worker resolves from its own environment and project.
    """
    if environ:
        os.environ.update(environ)
    apply()


def current() -> Tuning | None:
    """The Tuning installed by the last apply(), or None."""
    return STATE.current


def reset() -> None:
    """Undo apply(): put back the event-loop policy found before it and forget the current Tuning."""
    with STATE.lock:
        _loop_install.restore()
        _flujo_env.restore()
        STATE.current = None


def run(main: Coroutine[Any, Any, T], *, debug: bool | None = None) -> T:
    """Run *main* on a new loop from the current Tuning (applying the selected profile first if none).

    The equivalent of ``asyncio.run(main, loop_factory=tuning.loop_factory)`` on every Python.
    """
    tuning = STATE.current or apply()
    if sys.version_info >= (3, 12):
        return asyncio.run(main, debug=debug, loop_factory=tuning.loop_factory)
    if sys.version_info >= (3, 11):
        with asyncio.Runner(debug=debug, loop_factory=tuning.loop_factory) as runner:
            return runner.run(main)
    return _run_py310(main, tuning.loop_factory, debug)  # pragma: no cover - Python 3.10 only


def _run_py310(
    main: Coroutine[Any, Any, T], loop_factory: LoopFactory, debug: bool | None
) -> T:  # pragma: no-cover-from-311
    """asyncio.run() of Python 3.10, with the loop made by *loop_factory*."""
    from asyncio.runners import _cancel_all_tasks  # type: ignore[attr-defined]

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError("flujo_tuning.run() cannot be called from a running event loop")
    if not asyncio.iscoroutine(main):
        raise ValueError(f"a coroutine was expected, got {main!r}")
    loop = loop_factory()
    try:
        asyncio.set_event_loop(loop)
        if debug is not None:
            loop.set_debug(debug)
        return loop.run_until_complete(main)
    finally:
        try:
            _cancel_all_tasks(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            asyncio.set_event_loop(None)
            loop.close()
