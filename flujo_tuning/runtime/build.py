"""Decide every component for resolved settings: the Tuning apply() would install, built with no
side effects (a ConfigError here leaves the process as it was)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping

from ..cache_keys.maker import SCHEME, KeyMaker
from ..components import buffers, codec, event_loop, flujo, hasher, key_encoder, perf_debug, task_factory
from ..components.backends import Platform
from ..components.decision import Decision
from ..config.settings import ResolvedSettings
from . import flujo_env, loop_install
from . import verify as running
from .tuning import LoopFactory, Tuning, fingerprint_facts

__all__ = ["build"]


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


def build(settings: ResolvedSettings, platform: Platform) -> Tuning:
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
    encoder_decision = key_encoder.decide(
        key_maker.encoder, key_maker.unavailable, chosen_codec.name, source["codec"]
    )
    debug_decision = perf_debug.decide(settings.perf_debug, source["perf_debug"])
    flujo_facts = flujo_env.facts()
    flujo_decision, flujo_variables = flujo.decide(
        settings.state_backend,
        settings.tracing,
        _joint_source(source, "state_backend", "tracing"),
        flujo_facts,
    )

    # Eager tasks change what create_task does, so loops we do not make get them only on request.
    scope = settings.task_factory_scope
    plain_factory = factory if scope == "process" else None
    stock = loop.name == "asyncio" and plain_factory is None and not settings.asyncio_debug
    installs, install_note = loop_install.plan(stock, platform)
    notes = [install_note]
    if settings.asyncio_debug:
        notes.append("new loops run in asyncio debug mode")
    loop_decision = dataclasses.replace(loop_decision, reason="; ".join([loop_decision.reason, *notes]))
    if factory is not None:  # pragma: no-cover-before-312
        factory_decision = dataclasses.replace(
            factory_decision,
            reason=f"{factory_decision.reason}; {_scope_note(scope, source['task_factory_scope'], installs)}",
        )
    loop_decision, factory_decision = _against_running_loop(
        loop_decision, factory_decision, loop, factory, settings.asyncio_debug
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
        "flujo": flujo_facts.version or "not installed",
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
        _flujo_env=flujo_variables,
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


def _not_here(decision: Decision, note: str) -> Decision:
    return dataclasses.replace(decision, reason=f"{decision.reason}; {note}", in_effect=False)


def _against_running_loop(
    loop_decision: Decision,
    factory_decision: Decision,
    loop: event_loop.LoopBackend,
    factory: task_factory.TaskFactory | None,
    debug: bool,
) -> tuple[Decision, Decision]:
    """apply() keeps the loop that runs this thread, or is set to run it: say whether it matches,
    and if not, how to fix it (a decision in effect nowhere here must not say it is)."""
    running_loop = running.running_loop()
    which: str
    fix: str | None
    if running_loop is None:
        library = running.foreign_async_library()
        if library is not None:
            note = (
                f"this thread runs {library}, not asyncio: not in effect here, only in asyncio loops "
                "made later (in other threads or after it returns)"
            )
            return (
                dataclasses.replace(loop_decision, reason=f"{loop_decision.reason}; {note}", in_effect=False),
                dataclasses.replace(
                    factory_decision, reason=f"{factory_decision.reason}; {note}", in_effect=False
                ),
            )
        waiting = running.thread_loop()
        if waiting is None:
            return loop_decision, factory_decision
        kind = running.qualified_name(type(waiting))
        which = f"the loop set for this thread and not running yet ({kind})"
        fix = running.host_fix(
            "make that loop with tuning.loop_factory() instead, or give it the task factory and debug "
            "mode with tuning.configure_loop(loop)"
        )
        kept = waiting
    else:
        which = f"the running loop ({running.qualified_name(type(running_loop))})"
        fix = None
        kept = running_loop
    found = running.differences(
        kept,
        loop_class=loop.loop_class,
        loop_choice=loop_decision.choice,
        task_factory=factory,
        factory_choice=factory_decision.choice,
        debug=debug,
        which="this loop",
    )
    if not found:
        note = f"{which} is kept and matches the choice"
        return dataclasses.replace(loop_decision, reason=f"{loop_decision.reason}; {note}"), factory_decision
    fix = fix or running.host_fix()

    def not_in_effect(decision: Decision, texts: list[str]) -> Decision:
        note = f"{which} is kept and differs ({'; '.join(texts)}): the choice applies to new loops only"
        return _not_here(decision, f"{note}; {fix}")

    loop_found = [text for component, text in found.items() if component != "task_factory"]
    if loop_found:
        loop_decision = not_in_effect(loop_decision, loop_found)
    if "task_factory" in found:
        factory_decision = not_in_effect(factory_decision, [found["task_factory"]])
    return loop_decision, factory_decision
