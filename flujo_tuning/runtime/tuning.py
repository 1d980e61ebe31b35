"""The Tuning: what apply() put in force, with a read-only public face."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ..cache_keys.reference import registered as registered_encoders
from ..components.decision import Component, Decision

if TYPE_CHECKING:
    from ..cache_keys.maker import KeyMaker
    from ..components.buffers import ScratchBuffers
    from ..components.codec import Codec
    from ..components.hasher import Hasher
    from ..config.settings import ResolvedSettings

__all__ = ["LoopFactory", "Tuning", "fingerprint_facts"]

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
    #: Makes the keys (its type is an implementation detail).
    _key_maker: KeyMaker = field(repr=False)
    _installs_policy: bool = field(default=False, repr=False)
    _plain_loop_factory: LoopFactory | None = field(default=None, repr=False)
    _loop_class: type = field(default=asyncio.AbstractEventLoop, repr=False)
    _task_factory: Any = field(default=None, repr=False)
    _facts: Mapping[str, str] = field(default_factory=dict, repr=False)
    _flujo_env: Mapping[str, str] = field(default_factory=dict, repr=False)
    _flujo_close_at_exit: bool = field(default=False, repr=False)

    def cache_key(self, obj: Any) -> str:
        """``fk1:<hasher>:<hex>``: the same for the same value on every machine and install."""
        return self._key_maker.make(obj)

    def canonical_bytes(self, obj: Any) -> bytes:
        """The canonical fk1 bytes of *obj*, written by this Tuning's key encoder."""
        return self._key_maker.canonical_bytes(obj)

    @property
    def facts(self) -> Mapping[str, str]:
        """What the fingerprint hashes besides settings and decisions: Python, platform, backend
        versions, the key scheme."""
        return MappingProxyType(dict(self._facts))

    @property
    def loop_class(self) -> type:
        """The class of the loops ``loop_factory`` makes (to recognise them where they run)."""
        return self._loop_class

    @property
    def task_factory(self) -> Any:
        """The task factory ``loop_factory`` gives new loops (None: asyncio's default)."""
        return self._task_factory

    @property
    def installs_policy(self) -> bool:
        """Whether apply() installs an event-loop policy so that plain asyncio.run() uses
        ``loop_factory`` (Python 3.10 to 3.13, when the loop is not stock)."""
        return self._installs_policy

    @property
    def plain_loop_factory(self) -> LoopFactory:
        """What apply()'s loop policy makes the loops of plain ``asyncio.run()`` with: the loop class
        and debug mode, and the task factory only with ``task_factory_scope = "process"``."""
        return self._plain_loop_factory or self.loop_factory

    def configure_loop(self, loop: asyncio.AbstractEventLoop) -> list[str]:
        """Give a loop a host made (a server's, a notebook's, a cluster worker's) the decided task
        factory and debug mode, running or not; call it in the loop's thread. A loop's class cannot
        change: what still differs is returned, worded as verify() words it (empty: it matches).

        Only what was decided is set: a loop keeps its own task factory when ours is asyncio's
        default, and its debug mode when ``asyncio_debug`` is off.
        """
        from .events import LOOP_CONFIGURED_EVENT, emit
        from .observe import describe, qualified_name

        if loop.is_closed():
            raise ValueError("configure_loop() needs an open loop: this one is closed")
        done = []
        if self._task_factory is not None:  # pragma: no-cover-before-312
            loop.set_task_factory(self._task_factory)
            done.append(f"task_factory={self.decision('task_factory').choice}")
        if self.settings.asyncio_debug:
            loop.set_debug(True)
            done.append("asyncio_debug=on")
        remaining = describe(loop, self, "the loop")
        # The decisions apply() logged may have said "not in effect" for this loop: say what is now.
        emit(
            LOOP_CONFIGURED_EVENT,
            "warning" if remaining else "info",
            loop=qualified_name(type(loop)),
            set=done,
            differences=remaining,
            fingerprint=self.fingerprint,
        )
        return remaining

    @property
    def flujo_environ(self) -> Mapping[str, str]:
        """Flujo's own variables apply() sets in os.environ (the flujo decision), never over yours;
        child processes inherit them. Empty under ``default``."""
        return MappingProxyType(dict(self._flujo_env))

    @property
    def closes_flujo_state(self) -> bool:
        """Whether apply() closes Flujo's SQLite state before Python waits for threads at exit (an
        explicit SQLite state URI, ours or yours, with a Flujo version this was tested with)."""
        return self._flujo_close_at_exit

    def _revised(self, decisions: tuple[Decision, ...]) -> Tuning:
        """This Tuning with decisions reworded by observing and installing (same choices)."""
        return dataclasses.replace(self, decisions=decisions)

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


def fingerprint_facts(
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
