"""Task factories: asyncio's default, or eager tasks (Python 3.12+) checked by a probe.

Some loop/Python pairs reject ``asyncio.eager_task_factory`` (uvloop 0.23 on Python 3.13 passes
``eager_start`` to the factory, which the stdlib factory does not accept). A probe on a real loop
finds that out at decision time, and an adapter that accepts the keyword is tried next.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from .backends import Candidate, Platform, Unavailable, choose
from .decision import Decision
from .event_loop import LoopBackend

__all__ = ["TaskFactory", "decide", "eager_task_factory_adapter"]

TaskFactory = Callable[..., "asyncio.Future[Any]"]


def eager_task_factory_adapter(  # pragma: no-cover-before-312
    loop: asyncio.AbstractEventLoop,
    coro: Coroutine[Any, Any, Any],
    *,
    name: str | None = None,
    context: Any = None,
    eager_start: bool | None = None,
) -> asyncio.Task[Any]:
    """An eager task factory that also accepts the ``eager_start`` keyword some loops pass."""
    start = True if eager_start is None else eager_start
    return asyncio.Task(coro, loop=loop, name=name, context=context, eager_start=start)  # type: ignore[call-arg,unused-ignore]


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
    """asyncio's eager factory if it passes the probe on *loop*, else our adapter if that does."""
    stdlib: TaskFactory = asyncio.eager_task_factory  # type: ignore[attr-defined,unused-ignore]
    problem = probe(loop.new_loop, stdlib)
    if problem is None:
        return Candidate("eager", stdlib, f"asyncio.eager_task_factory on {loop.name}")
    adapted = probe(loop.new_loop, eager_task_factory_adapter)
    if adapted is None:
        why = f"asyncio.eager_task_factory failed the probe: {problem}"
        return Candidate(
            "eager", eager_task_factory_adapter, f"flujo_tuning's eager adapter on {loop.name} ({why})"
        )
    raise Unavailable(f"eager tasks fail on {loop.name} with Python {platform.python_text} ({problem})")


def _load_default() -> Candidate[TaskFactory | None]:
    return Candidate("default", None, "asyncio's default task factory")


def decide(
    requested: str, source: str, strict: bool, platform: Platform, loop: LoopBackend
) -> tuple[Decision, TaskFactory | None]:
    loaders = {"eager": lambda: _load_eager(loop, platform), "default": _load_default}
    return choose("task_factory", requested, source, ("default",), loaders, strict=strict)
