"""What actually runs: compare the running loop with a Tuning's decisions.

A decision that is not in effect is worse than none. Servers and clusters make their own loops, so
apply() inside a running loop, and verify() at any time, check the loop that really runs.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .tuning import Tuning

__all__ = ["differences", "host_fix", "qualified_name", "running_loop"]


def qualified_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


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
) -> dict[str, str]:
    """Component -> how *loop* differs from what was decided (empty when it matches)."""
    found = {}
    if not isinstance(loop, loop_class):
        found["event_loop"] = (
            f"decided {loop_choice} ({qualified_name(loop_class)}) but the running loop is "
            f"{qualified_name(type(loop))}"
        )
    actual_factory = loop.get_task_factory()
    if actual_factory is not task_factory:
        found["task_factory"] = (
            f"decided {factory_choice} ({_factory_name(task_factory)}) but the running loop's task "
            f"factory is {_factory_name(actual_factory)}"
        )
    if loop.get_debug() != debug:
        state = "on" if loop.get_debug() else "off"
        found["asyncio_debug"] = (
            f"decided {'on' if debug else 'off'} but the running loop's debug mode is {state}"
        )
    return found


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


def host_fix() -> str:
    """The exact fix for the host that made the running loop, when we recognise it."""
    hosts = _hosts_on_stack()
    if hosts & {"uvicorn", "uvicorn_worker", "gunicorn"}:
        return (
            "uvicorn made this loop: start it with --loop flujo_tuning.integrations.uvicorn:loop_factory "
            "(uvicorn.run(..., loop='flujo_tuning.integrations.uvicorn:loop_factory'); under gunicorn, "
            "-k flujo_tuning.integrations.gunicorn.UvicornWorker)"
        )
    if "ray" in hosts:
        return (
            "Ray made this loop: start Ray with "
            "ray.init(runtime_env=flujo_tuning.integrations.ray.runtime_env())"
        )
    return "call apply() before the loop starts, or run it with flujo_tuning.run(main())"


def verify(tuning: Tuning | None) -> list[str]:
    """See :func:`flujo_tuning.verify`."""
    if tuning is None:
        return ["no Tuning is in force in this process: apply() has not run"]
    loop = running_loop()
    if loop is None:
        return _policy_differences(tuning)
    found = differences(
        loop,
        loop_class=tuning.loop_class,
        loop_choice=tuning.decision("event_loop").choice,
        task_factory=tuning.task_factory,
        factory_choice=tuning.decision("task_factory").choice,
        debug=tuning.settings.asyncio_debug,
    )
    return [f"{component}: {text}" for component, text in found.items()]


def _policy_differences(tuning: Tuning) -> list[str]:
    """No loop runs in this thread: check that plain asyncio.run() would still make the decided loop."""
    from . import loop_install

    if not tuning.installs_policy or not loop_install.POLICIES:
        return []
    from .loop_install import TunedEventLoopPolicy

    policy = asyncio.get_event_loop_policy()
    if isinstance(policy, TunedEventLoopPolicy) and policy.loop_factory is tuning.loop_factory:
        return []
    return [
        f"event_loop: the loop policy apply() installed was replaced by {qualified_name(type(policy))}: "
        "plain asyncio.run() will not make the decided loop"
    ]
