"""Task factories: asyncio's default, or eager tasks (Python 3.12+) checked by a probe.

Eager tasks are only ever asyncio's own ``asyncio.eager_task_factory``: libraries we do not own
recognise that one and no other (anyio, under httpx and pydantic-ai, starts its own tasks lazily
only when it sees asyncio's factory; under any other eager factory its cancel scopes break and every
call fails). Some loop/Python pairs reject asyncio's factory (uvloop 0.23 on Python 3.13 passes
``eager_start`` to it, which it does not accept): a probe on a real loop finds that out at decision
time, and eager tasks are then not offered on that loop (the decision says why).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from .backends import Candidate, Platform, Unavailable, choose
from .decision import Decision
from .event_loop import LoopBackend

__all__ = ["TaskFactory", "decide", "probe"]

TaskFactory = Callable[..., "asyncio.Future[Any]"]


def _run_probe(  # pragma: no-cover-before-312
    new_loop: Callable[[], asyncio.AbstractEventLoop], factory: TaskFactory
) -> str | None:
    """Return None if *factory* runs eager tasks on loops from *new_loop*, else why not."""
    started: list[bool] = []

    async def child() -> None:
        started.append(True)

    async def main() -> bool:
        task = asyncio.get_running_loop().create_task(child())
        eager = bool(started)
        await task
        return eager

    loop = new_loop()
    coro = main()
    try:
        loop.set_task_factory(factory)
        eager = loop.run_until_complete(coro)
    except Exception as exc:
        coro.close()
        return f"{type(exc).__name__}: {exc}"
    finally:
        loop.close()
    return None if eager else "tasks did not start eagerly"


def probe(  # pragma: no-cover-before-312
    new_loop: Callable[[], asyncio.AbstractEventLoop], factory: TaskFactory
) -> str | None:
    """Run the probe, on a helper thread when this thread already runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run_probe(new_loop, factory)
    result: list[str | None] = []
    helper = threading.Thread(target=lambda: result.append(_run_probe(new_loop, factory)), name="flujo-probe")
    helper.start()
    helper.join()
    return result[0]


def _load_eager(loop: LoopBackend, platform: Platform) -> Candidate[TaskFactory | None]:
    if platform.python < (3, 12):
        raise Unavailable(
            f"eager task factory needs Python 3.12 (running {platform.python_text})",
            instead=(
                f"on Python {platform.python_text} use a profile without eager tasks (such as 'default'), "
                "or run this check with the Python your servers run"
            ),
        )
    return _probed_eager(loop, platform)  # pragma: no-cover-before-312


def _probed_eager(  # pragma: no-cover-before-312
    loop: LoopBackend, platform: Platform
) -> Candidate[TaskFactory | None]:
    """asyncio's eager factory if it passes the probe on *loop*; no other (see the module's docstring)."""
    stdlib: TaskFactory = asyncio.eager_task_factory  # type: ignore[attr-defined,unused-ignore]
    problem = probe(loop.new_loop, stdlib)
    if problem is None:
        return Candidate("eager", stdlib, f"asyncio.eager_task_factory on {loop.name}")
    raise Unavailable(
        f"eager tasks fail on {loop.name} with Python {platform.python_text}: asyncio.eager_task_factory "
        f"failed the probe ({problem}), and no other eager factory is offered, since anyio (httpx, "
        "pydantic-ai) recognises only asyncio's and breaks under any other",
        instead="event_loop = 'asyncio' keeps eager tasks there, or keep this loop without them",
    )


def _load_default() -> Candidate[TaskFactory | None]:
    return Candidate("default", None, "asyncio's default task factory")


def decide(
    requested: str, source: str, strict: bool, platform: Platform, loop: LoopBackend
) -> tuple[Decision, TaskFactory | None]:
    loaders = {"eager": lambda: _load_eager(loop, platform), "default": _load_default}
    return choose("task_factory", requested, source, ("default",), loaders, strict=strict)
