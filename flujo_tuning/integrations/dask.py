"""Dask makes its own worker processes and event loops: give every worker our tuning.

``client.register_plugin(flujo_tuning.integrations.dask.worker_plugin())``: a worker plugin that
carries ``tuning.environ()`` and applies it in every worker, present and future, when it starts.
The worker's event loop is Dask's and stays as Dask made it: its class is whatever the worker was
started with, and eager tasks are never put into it (Dask's shutdown breaks under them). What the
plugin brings to each worker is the codec, the hasher, the cache keys and the settings, and loops
the worker's own code makes with ``flujo_tuning.run()``. This module does not import Dask until
``worker_plugin()`` is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..runtime.tuning import Tuning

__all__ = ["PLUGIN_NAME", "worker_plugin"]

#: The plugin's name in Dask: registering it again replaces it.
PLUGIN_NAME = "flujo-tuning"


def worker_plugin(tuning: Tuning | None = None) -> Any:
    """A ``distributed.WorkerPlugin`` that applies *tuning*'s settings (default: this process's,
    or the settings resolved here: nothing is applied) in every worker, whatever its working directory."""
    from distributed.diagnostics.plugin import WorkerPlugin  # type: ignore[import-not-found,unused-ignore]

    from ..runtime.apply import in_use

    environ = (tuning or in_use()).environ()

    class FlujoTuningPlugin(WorkerPlugin):  # type: ignore[misc,unused-ignore]
        """Applies the driver's settings when a worker starts (Dask pickles it by value)."""

        name = PLUGIN_NAME

        def setup(self, worker: Any) -> None:
            from ..runtime.apply import worker_init

            worker_init(environ)

    return FlujoTuningPlugin()
