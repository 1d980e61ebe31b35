"""flujo_tuning: the fast defaults for async AI pipelines, chosen by configuration.

Importing this package is cheap and has no side effects: it imports nothing but its own error
classes (not even ``typing``); the public names below are loaded on first use, and only
:func:`apply` changes anything.
"""

from ._errors import ConfigError, ConfigWarning, FlujoTuningError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from . import perf
    from .cache_keys.reference import register_encoder, unregister_encoder
    from .components.buffers import ScratchBuffers
    from .components.codec import Codec
    from .components.decision import Decision
    from .components.hasher import Hasher
    from .config.settings import ResolvedSettings, resolve
    from .runtime.apply import apply, cache_key, canonical_bytes, current, preview, reset, verify, worker_init
    from .runtime.run import RunError, run
    from .runtime.tuning import Tuning
    from .tools.calibrate import CalibrationError, CalibrationReport, calibrate

__all__ = [
    "CalibrationError",
    "CalibrationReport",
    "Codec",
    "ConfigError",
    "ConfigWarning",
    "Decision",
    "FlujoTuningError",
    "Hasher",
    "ResolvedSettings",
    "RunError",
    "ScratchBuffers",
    "Tuning",
    "apply",
    "cache_key",
    "calibrate",
    "canonical_bytes",
    "current",
    "perf",
    "preview",
    "register_encoder",
    "reset",
    "resolve",
    "run",
    "unregister_encoder",
    "verify",
    "worker_init",
]

__version__ = "0.1.0"
del TYPE_CHECKING  # only for type checkers: not part of the public surface

# Public name -> module that defines it, imported on first attribute access.
_LAZY = {
    "CalibrationError": "flujo_tuning.tools.calibrate",
    "CalibrationReport": "flujo_tuning.tools.calibrate",
    "calibrate": "flujo_tuning.tools.calibrate",
    "Codec": "flujo_tuning.components.codec",
    "Decision": "flujo_tuning.components.decision",
    "Hasher": "flujo_tuning.components.hasher",
    "ScratchBuffers": "flujo_tuning.components.buffers",
    "ResolvedSettings": "flujo_tuning.config.settings",
    "resolve": "flujo_tuning.config.settings",
    "register_encoder": "flujo_tuning.cache_keys.reference",
    "unregister_encoder": "flujo_tuning.cache_keys.reference",
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
    "perf": "flujo_tuning",
}


def __getattr__(name: str) -> "Any":
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'flujo_tuning' has no attribute {name!r}")
    from importlib import import_module

    value = import_module(f"{module}.{name}") if module == __name__ else getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
