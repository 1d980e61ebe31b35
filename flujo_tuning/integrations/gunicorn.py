"""gunicorn with uvicorn workers: a worker class whose loop is ours.

``gunicorn app:app -k flujo_tuning.integrations.gunicorn.UvicornWorker``. Each worker process
applies the tuning and runs the app on the decided loop (the ``uvicorn-worker`` package's worker,
with uvicorn's ``loop`` setting pointed at :func:`flujo_tuning.integrations.uvicorn.loop_factory`).
Needs the ``server`` extra: ``pip install 'flujo-tuning[server]'``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from uvicorn_worker import UvicornWorker as _UvicornWorker

from .uvicorn import LOOP

__all__ = ["UvicornWorker"]


class UvicornWorker(_UvicornWorker):  # type: ignore[misc]
    """uvicorn-worker's UvicornWorker, making its loop with flujo_tuning's loop factory."""

    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {**_UvicornWorker.CONFIG_KWARGS, "loop": LOOP}
