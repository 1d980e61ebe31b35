"""flujo_tuning: the fast defaults for async AI pipelines, chosen by configuration.

Importing this package is cheap and has no side effects: it imports nothing but its own error
classes (not even ``typing``); the public names below are loaded on first use, and only
:func:`apply` changes anything.
"""

from ._errors import ConfigError, ConfigWarning

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from . import perf
    from ._apply import Tuning, apply, cache_key, current, preview, reset, run, verify, worker_init
    from .calibration import CalibrationError, CalibrationReport, calibrate
    from .components.buffers import ScratchBuffers
    from .components.codec import Codec
    from .components.hasher import Hasher
    from .decisions import Decision
    from .keys import canonical_bytes, register_encoder, unregister_encoder
    from .settings import ResolvedSettings, resolve

__all__ = [
    "CalibrationError",
    "CalibrationReport",
    "Codec",
    "ConfigError",
    "ConfigWarning",
    "Decision",
    "Hasher",
    "ResolvedSettings",
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
    "CalibrationError": "flujo_tuning.calibration",
    "CalibrationReport": "flujo_tuning.calibration",
    "calibrate": "flujo_tuning.calibration",
    "Codec": "flujo_tuning.components.codec",
    "Decision": "flujo_tuning.decisions",
    "Hasher": "flujo_tuning.components.hasher",
    "ScratchBuffers": "flujo_tuning.components.buffers",
    "preview": "flujo_tuning._apply",
    "unregister_encoder": "flujo_tuning.keys",
    "verify": "flujo_tuning._apply",
    "worker_init": "flujo_tuning._apply",
    "ResolvedSettings": "flujo_tuning.settings",
    "Tuning": "flujo_tuning._apply",
    "apply": "flujo_tuning._apply",
    "cache_key": "flujo_tuning._apply",
    "canonical_bytes": "flujo_tuning.keys",
    "current": "flujo_tuning._apply",
    "perf": "flujo_tuning",
    "register_encoder": "flujo_tuning.keys",
    "reset": "flujo_tuning._apply",
    "resolve": "flujo_tuning.settings",
    "run": "flujo_tuning._apply",
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
