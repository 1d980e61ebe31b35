"""flujo_tuning: the fast defaults for async AI pipelines, chosen by configuration.

Importing this package is cheap and has no side effects: it imports nothing but its own error
classes (not even ``typing``); the public names below are loaded on first use, and only
:func:`apply` changes anything.
"""

from ._errors import ConfigError, ConfigWarning, FlujoTuningError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .config.settings import resolve
    from .runtime.apply import apply, cache_key, canonical_bytes, current, preview, reset, verify, worker_init
    from .runtime.run import RunError, run
    from .runtime.tuning import Tuning

#: What an application calls. Everything else has a documented home of its own (docs/api.md):
#: ``flujo_tuning.tools.calibrate`` (calibrate, CalibrationReport, CalibrationError),
#: ``flujo_tuning.cache_keys`` (register_encoder, unregister_encoder), ``flujo_tuning.perf``,
#: ``flujo_tuning.integrations.*``, and the types in ``flujo_tuning.components`` and ``flujo_tuning.config``.
__all__ = [
    "ConfigError",
    "ConfigWarning",
    "FlujoTuningError",
    "RunError",
    "Tuning",
    "apply",
    "cache_key",
    "canonical_bytes",
    "current",
    "preview",
    "reset",
    "resolve",
    "run",
    "verify",
    "worker_init",
]

__version__ = "0.1.0"
del TYPE_CHECKING  # only for type checkers: not part of the public surface

# Public name -> module that defines it, imported on first attribute access.
_LAZY = {
    "resolve": "flujo_tuning.config.settings",
    "Tuning": "flujo_tuning.runtime.tuning",
    "apply": "flujo_tuning.runtime.apply",
    "cache_key": "flujo_tuning.runtime.apply",
    "canonical_bytes": "flujo_tuning.runtime.apply",
    "current": "flujo_tuning.runtime.apply",
    "preview": "flujo_tuning.runtime.apply",
    "reset": "flujo_tuning.runtime.apply",
    "verify": "flujo_tuning.runtime.apply",
    "worker_init": "flujo_tuning.runtime.apply",
    "run": "flujo_tuning.runtime.run",
    "RunError": "flujo_tuning.runtime.run",
}


def __getattr__(name: str) -> "Any":
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'flujo_tuning' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
