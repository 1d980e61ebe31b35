"""Deciding: every component for resolved settings, as a Tuning value. Pure: it reads the
environment's facts (which backends are installed, Flujo's files) and changes nothing; the running
loop is observing's business (observe.py), the process is installing's (install.py)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping

from ..cache_keys.maker import SCHEME, KeyMaker
from ..components import buffers, codec, event_loop, flujo, hasher, key_encoder, perf_debug, task_factory
from ..components.backends import Platform
from ..config.settings import ResolvedSettings
from . import flujo_facts, loop_policy
from .tuning import LoopFactory, Tuning, fingerprint_facts

__all__ = ["OUR_LOOPS", "decide"]


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


def decide(settings: ResolvedSettings, platform: Platform, flujo_ours: Mapping[str, str]) -> Tuning:
    """Decide every component and what installing will do; no side effects (a ConfigError here
    leaves the process as it was). *flujo_ours*: Flujo's variables apply() set (not the user's)."""
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
    encoder_decision = key_encoder.decide(
        key_maker.encoder, key_maker.unavailable, chosen_codec.name, source["codec"]
    )
    debug_decision = perf_debug.decide(settings.perf_debug, source["perf_debug"])
    facts_of_flujo = flujo_facts.facts(flujo_ours)
    flujo_decision, flujo_plan = flujo.decide(
        settings.state_backend,
        settings.tracing,
        _joint_source(source, "state_backend", "tracing"),
        facts_of_flujo,
    )

    # Eager tasks change what create_task does, so loops we do not make get them only on request.
    scope = settings.task_factory_scope
    plain_factory = factory if scope == "process" else None
    stock = loop.name == "asyncio" and plain_factory is None and not settings.asyncio_debug
    installs, install_note = loop_policy.plan(stock, platform)
    notes = [install_note]
    if settings.asyncio_debug:
        notes.append("new loops run in asyncio debug mode")
    loop_decision = dataclasses.replace(loop_decision, reason="; ".join([loop_decision.reason, *notes]))
    if factory is not None:  # pragma: no-cover-before-312
        factory_decision = dataclasses.replace(
            factory_decision,
            reason=f"{factory_decision.reason}; {_scope_note(scope, source['task_factory_scope'], installs)}",
        )
    loop_factory = _loop_factory(loop.new_loop, factory, settings.asyncio_debug)
    plain_loop_factory = (
        loop_factory
        if plain_factory is factory
        else _loop_factory(loop.new_loop, None, settings.asyncio_debug)
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
        "flujo": facts_of_flujo.version or "not installed",
        "keys": SCHEME,
    }
    return Tuning(
        settings=settings,
        decisions=decisions,
        codec=chosen_codec,
        hasher=chosen_hasher,
        loop_factory=loop_factory,
        buffers=pool,
        _fingerprint_facts=fingerprint_facts(settings, decisions, facts),
        _key_maker=key_maker,
        _installs_policy=installs,
        _plain_loop_factory=plain_loop_factory,
        _loop_class=loop.loop_class,
        _task_factory=factory,
        _facts=facts,
        _flujo_env=flujo_plan.variables,
        _flujo_close_at_exit=flujo_plan.close_at_exit,
    )


#: The loops flujo_tuning makes, which always get the decided task factory.
OUR_LOOPS = (
    "flujo_tuning.run(), tuning.loop_factory, the uvicorn/gunicorn/Ray integrations and "
    "tuning.configure_loop(loop)"
)


def _scope_note(scope: str, source: str, installs: bool) -> str:  # pragma: no-cover-before-312
    """Which loops get eager tasks: the decision says it, since it is what runs."""
    if scope == "run":
        return (
            f"eager tasks go only into loops flujo_tuning makes ({OUR_LOOPS}); plain asyncio.run() and "
            f"loops that servers and libraries make keep asyncio's default (task_factory_scope = 'run' "
            f"from {source})"
        )
    if installs:
        return (
            f"eager tasks also go into every loop plain asyncio.run() makes in this process, servers' and "
            f"libraries' included (task_factory_scope = 'process' from {source})"
        )
    return (
        f"task_factory_scope = 'process' (from {source}) cannot reach plain asyncio.run() here (no loop "
        f"policy on Python 3.14+): eager tasks go only into loops flujo_tuning makes ({OUR_LOOPS})"
    )


def _joint_source(source: Mapping[str, str], *names: str) -> str:
    """One provenance for a decision made from several settings."""
    found = {source[name] for name in names}
    if len(found) == 1:
        return found.pop()
    return "; ".join(f"{name} from {source[name]}" for name in names)
