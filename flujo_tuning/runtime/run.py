"""run(): a coroutine on a new loop of the current Tuning, the same on every Python."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

from .._errors import FlujoTuningError
from .apply import in_use
from .observe import qualified_name, running_loop
from .tuning import LoopFactory

__all__ = ["RunError", "run"]

T = TypeVar("T")


class RunError(FlujoTuningError, RuntimeError):
    """``run()`` cannot start a loop here (one is already running in this thread)."""


def run(main: Coroutine[Any, Any, T], *, debug: bool | None = None) -> T:
    """Run *main* on a new loop from the current Tuning (before apply(), from the settings resolved
    here: nothing is installed, and this loop is the only one that gets them).

    The equivalent of ``asyncio.run(main, loop_factory=tuning.loop_factory)`` on every Python.
    Inside a running loop (a notebook cell, a server, nest_asyncio) it raises :class:`RunError`
    saying what to do instead, and closes *main* (never "coroutine was never awaited").
    """
    running = running_loop()
    if running is not None:
        main.close()
        raise RunError(
            f"flujo_tuning.run() starts a new event loop, and one is already running in this thread "
            f"({qualified_name(type(running))}): await the coroutine there instead (in a notebook cell: "
            "`await main()`); for a loop a host made, see docs/deploying.md"
        )
    tuning = in_use()
    if sys.version_info >= (3, 11):
        # asyncio.Runner rather than asyncio.run: the same code, and not the asyncio.run that
        # nest_asyncio replaces with one that takes no loop_factory.
        with asyncio.Runner(debug=debug, loop_factory=tuning.loop_factory) as runner:
            return runner.run(main)
    return _run_py310(main, tuning.loop_factory, debug)  # pragma: no cover - Python 3.10 only


def _run_py310(
    main: Coroutine[Any, Any, T], loop_factory: LoopFactory, debug: bool | None
) -> T:  # pragma: no-cover-from-311
    """asyncio.run() of Python 3.10, with the loop made by *loop_factory*."""
    from asyncio.runners import _cancel_all_tasks  # type: ignore[attr-defined]

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
