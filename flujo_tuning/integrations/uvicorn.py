"""uvicorn makes its own event loop: hand it ours.

``uvicorn app:app --loop flujo_tuning.integrations.uvicorn:loop_factory`` (or
``uvicorn.run(app, loop="flujo_tuning.integrations.uvicorn:loop_factory")``). uvicorn 0.36+ calls a
``module:callable`` loop setting with no arguments for each new loop, in every worker process; we
apply the tuning there (settings from the environment and the project, as ``apply()`` resolves
them) and return a loop made by ``tuning.loop_factory``: the decided loop class, task factory and
debug mode. This module does not import uvicorn.
"""

from __future__ import annotations

import asyncio

__all__ = ["LOOP", "loop_factory"]

#: The value of uvicorn's ``--loop`` option / ``loop=`` argument.
LOOP = "flujo_tuning.integrations.uvicorn:loop_factory"


def loop_factory() -> asyncio.AbstractEventLoop:
    """A new event loop of the tuning applied in this process (applying it first if needed)."""
    from ..runtime.apply import apply

    return apply().loop_factory()
