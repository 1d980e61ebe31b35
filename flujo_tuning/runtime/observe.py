"""Observing what actually runs: compare the running loop with a Tuning's decisions (read-only).

A decision that is not in effect is worse than none. Servers and clusters make their own loops, so
apply() inside a running loop, and verify() at any time, check the loop that really runs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from typing import TYPE_CHECKING, Any

from ..components.decision import Decision

if TYPE_CHECKING:
    from .tuning import Tuning

__all__ = [
    "HOST_FIXES",
    "against_this_thread",
    "describe",
    "differences",
    "flujo_differences",
    "foreign_async_library",
    "host_fix",
    "qualified_name",
    "running_loop",
    "thread_loop",
]


def qualified_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def thread_loop() -> asyncio.AbstractEventLoop | None:
    """The loop set for this thread but not running (what ``loop.run_until_complete`` will run, as
    granian does), without making one or warning: None when there is none, or it is closed."""
    from . import loop_policy

    if loop_policy.POLICIES:  # 3.10-3.13: get_event_loop() would make one (and warn on 3.12+), so read it
        loop = loop_policy.thread_local_loop()
    else:  # 3.14+: get_event_loop() raises instead of making one
        try:
            loop = asyncio.get_event_loop()
        except RuntimeError:
            loop = None
    if not isinstance(loop, asyncio.AbstractEventLoop) or loop.is_closed() or loop.is_running():
        return None
    return loop


def foreign_async_library() -> str | None:
    """The async library other than asyncio running this thread (trio, under anyio or alone)."""
    trio = sys.modules.get("trio")
    if trio is None:
        return None
    try:
        trio.lowlevel.current_task()
    except RuntimeError:
        return None
    return "trio"


def _factory_name(factory: Any) -> str:
    if factory is None:
        return "asyncio's default (None)"
    return getattr(factory, "__qualname__", None) or repr(factory)


def differences(
    loop: asyncio.AbstractEventLoop,
    *,
    loop_class: type,
    loop_choice: str,
    task_factory: Any,
    factory_choice: str,
    debug: bool,
    which: str = "the running loop",
) -> dict[str, str]:
    """Component -> how *loop* differs from what was decided (empty when it matches)."""
    found = {}
    if not isinstance(loop, loop_class):
        found["event_loop"] = (
            f"decided {loop_choice} ({qualified_name(loop_class)}) but {which} is "
            f"{qualified_name(type(loop))}"
        )
    actual_factory = loop.get_task_factory()
    if actual_factory is not task_factory:
        found["task_factory"] = (
            f"decided {factory_choice} ({_factory_name(task_factory)}) but {which}'s task "
            f"factory is {_factory_name(actual_factory)}"
        )
        if task_factory is not None and actual_factory is None:  # pragma: no-cover-before-312
            found["task_factory"] += (
                ": eager tasks go only into loops flujo_tuning makes unless task_factory_scope is "
                "'process'; give this loop them with tuning.configure_loop(loop)"
            )
    if loop.get_debug() != debug:
        state = "on" if loop.get_debug() else "off"
        found["asyncio_debug"] = f"decided {'on' if debug else 'off'} but {which}'s debug mode is {state}"
    return found


def describe(loop: asyncio.AbstractEventLoop, tuning: Tuning, which: str) -> list[str]:
    """How *loop* differs from *tuning*'s decisions, one ``component: text`` line each."""
    found = differences(
        loop,
        loop_class=tuning.loop_class,
        loop_choice=tuning.decision("event_loop").choice,
        task_factory=tuning.task_factory,
        factory_choice=tuning.decision("task_factory").choice,
        debug=tuning.settings.asyncio_debug,
        which=which,
    )
    return [f"{component}: {text}" for component, text in found.items()]


def _hosts_on_stack() -> set[str]:
    """Top-level packages of the code that called us: the host driving this loop is among them
    (uvicorn runs its loop inside its Server.run; Ray calls async-actor methods through its own
    helpers). Importing a host is not evidence: an application may import uvicorn and run its own loop."""
    found = set()
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_globals.get("__name__")
        if isinstance(name, str):
            found.add(name.partition(".")[0])
        frame = frame.f_back  # type: ignore[assignment]
    return found


#: (top-level packages of a host, the fix that works there), the first match on the stack wins.
HOST_FIXES: tuple[tuple[frozenset[str], str], ...] = (
    (
        frozenset({"uvicorn", "uvicorn_worker", "gunicorn"}),
        "uvicorn made this loop: start it with --loop flujo_tuning.integrations.uvicorn:loop_factory "
        "(uvicorn.run(..., loop='flujo_tuning.integrations.uvicorn:loop_factory'); under gunicorn, "
        "-k flujo_tuning.integrations.gunicorn.UvicornWorker)",
    ),
    (
        frozenset({"hypercorn"}),
        "hypercorn made this loop: call apply() at the import of the app (hypercorn imports it "
        "before it makes its loop, which then has the decided class); eager tasks stay out of "
        "hypercorn's loop, which assumes create_task does not start the coroutine",
    ),
    (
        frozenset({"granian"}),
        "granian made this loop: start it with --loop matching the decided event loop (asyncio or "
        "uvloop), and give that loop the task factory and debug mode at the import of the app with "
        "tuning.configure_loop(asyncio.get_event_loop()) (granian sets its loop before importing the app)",
    ),
    (
        frozenset({"distributed"}),
        "Dask made this loop (a worker's) and keeps it, with asyncio's task factory (eager tasks "
        "break Dask's shutdown); tuning reaches every worker through "
        "client.register_plugin(flujo_tuning.integrations.dask.worker_plugin())",
    ),
    (
        frozenset({"ipykernel", "IPython"}),
        "the Jupyter kernel made this loop and keeps it: for the decided loop class, call "
        "flujo_tuning.apply() in an IPython startup file (~/.ipython/profile_default/startup/"
        "00-flujo.py, run before the kernel makes its loop; Python 3.10 to 3.13), then restart the "
        "kernel; give it the task factory and debug mode with "
        "tuning.configure_loop(asyncio.get_running_loop()), or run tuned work on a loop of ours "
        "in a thread: await asyncio.to_thread(flujo_tuning.run, main())",
    ),
    (
        frozenset({"pytest_asyncio"}),
        "pytest-asyncio made this loop: give async tests loops of ours with its "
        "pytest_asyncio_loop_factories hook in conftest.py (return {'flujo': tuning.loop_factory}); "
        "it sets its loops' debug mode itself (pytest --asyncio-debug)",
    ),
    (
        frozenset({"ray"}),
        "Ray made this loop: start Ray with "
        "ray.init(runtime_env=flujo_tuning.integrations.ray.runtime_env())",
    ),
)


def host_fix(
    otherwise: str = "call apply() before the loop starts, or run it with flujo_tuning.run(main())",
) -> str:
    """The exact fix for the host that made the loop, when we recognise it; else *otherwise*."""
    hosts = _hosts_on_stack()
    for packages, fix in HOST_FIXES:
        if hosts & packages:
            return fix
    return otherwise


def verify(tuning: Tuning | None, resolved: Tuning | None = None) -> list[str]:
    """See :func:`flujo_tuning.verify`; *resolved*: what read-only helpers used where apply() has not run."""
    if tuning is None:
        said = "no Tuning is in force in this process: apply() has not run"
        if resolved is not None:
            said += (
                f"; cache keys and run() used settings resolved here without it "
                f"(profile {resolved.profile!r}, hasher {resolved.hasher.name}, fingerprint "
                f"{resolved.fingerprint}): compare with the parent's fingerprint"
            )
        return [said]
    return _loop_differences(tuning) + flujo_differences(tuning)


def _loop_differences(tuning: Tuning) -> list[str]:
    loop = running_loop()
    if loop is not None:
        return describe(loop, tuning, "the running loop")
    library = foreign_async_library()
    if library is not None:
        return [
            f"event_loop: this thread runs {library}, not asyncio: the event loop, task factory and "
            "asyncio debug decisions are not in effect here (codec, hasher and cache keys are)"
        ]
    found = _policy_differences(tuning)
    waiting = thread_loop()
    if waiting is not None:
        found += describe(waiting, tuning, "the loop set for this thread (not running yet)")
    return found


def flujo_differences(tuning: Tuning) -> list[str]:
    """Flujo reads its variables when a runner is made: one changed since apply() is what it gets."""
    import os

    return [
        f"flujo: decided {name}={value!r} but os.environ has {os.environ.get(name)!r} now "
        "(changed after apply(); runners made from now on get that)"
        for name, value in tuning.flujo_environ.items()
        if os.environ.get(name) != value
    ]


def _policy_differences(tuning: Tuning) -> list[str]:
    """No loop runs in this thread: check that plain asyncio.run() would still make the decided loop."""
    from . import loop_policy

    if not tuning.installs_policy or not loop_policy.POLICIES:
        return []
    policy = loop_policy.current_policy()
    if loop_policy.factory_of(policy) in (tuning.plain_loop_factory, tuning.loop_factory):
        return []
    return [
        f"event_loop: the loop policy apply() installed was replaced by {qualified_name(type(policy))}: "
        "plain asyncio.run() will not make the decided loop (apply() again wraps the new one)"
    ]


def _not_here(decision: Decision, note: str) -> Decision:
    return dataclasses.replace(decision, reason=f"{decision.reason}; {note}", in_effect=False)


def against_this_thread(tuning: Tuning) -> tuple[Decision, ...]:
    """*tuning*'s decisions, where the event loop and task factory say whether the loop that runs
    this thread (or is set to run it) matches them, and if not, how to fix it: apply() keeps that
    loop, and a decision in effect nowhere here must not say it is."""
    loop_decision, factory_decision = _against_loop(
        tuning.decision("event_loop"),
        tuning.decision("task_factory"),
        tuning.loop_class,
        tuning.task_factory,
        tuning.settings.asyncio_debug,
    )
    revised = {"event_loop": loop_decision, "task_factory": factory_decision}
    return tuple(revised.get(d.component, d) for d in tuning.decisions)


def _against_loop(
    loop_decision: Decision,
    factory_decision: Decision,
    loop_class: type,
    factory: Any,
    debug: bool,
) -> tuple[Decision, Decision]:
    running = running_loop()
    which: str
    fix: str | None
    if running is None:
        library = foreign_async_library()
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
        waiting = thread_loop()
        if waiting is None:
            return loop_decision, factory_decision
        kind = qualified_name(type(waiting))
        which = f"the loop set for this thread and not running yet ({kind})"
        fix = host_fix(
            "make that loop with tuning.loop_factory() instead, or give it the task factory and debug "
            "mode with tuning.configure_loop(loop)"
        )
        kept = waiting
    else:
        which = f"the running loop ({qualified_name(type(running))})"
        fix = None
        kept = running
    found = differences(
        kept,
        loop_class=loop_class,
        loop_choice=loop_decision.choice,
        task_factory=factory,
        factory_choice=factory_decision.choice,
        debug=debug,
        which="this loop",
    )
    if not found:
        note = f"{which} is kept and matches the choice"
        return dataclasses.replace(loop_decision, reason=f"{loop_decision.reason}; {note}"), factory_decision
    fix = fix or host_fix()

    def not_in_effect(decision: Decision, texts: list[str]) -> Decision:
        note = f"{which} is kept and differs ({'; '.join(texts)}): the choice applies to new loops only"
        return _not_here(decision, f"{note}; {fix}")

    loop_found = [text for component, text in found.items() if component != "task_factory"]
    if loop_found:
        loop_decision = not_in_effect(loop_decision, loop_found)
    if "task_factory" in found:
        factory_decision = not_in_effect(factory_decision, [found["task_factory"]])
    return loop_decision, factory_decision
