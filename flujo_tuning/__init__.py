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
    from ._apply import Tuning, apply, cache_key, current, reset, run
    from .decisions import Decision
    from .keys import canonical_bytes, register_encoder
    from .settings import ResolvedSettings, resolve

__all__ = [
    "ConfigError",
    "ConfigWarning",
    "Decision",
    "ResolvedSettings",
    "Tuning",
    "apply",
    "cache_key",
    "canonical_bytes",
    "current",
    "perf",
    "register_encoder",
    "reset",
    "resolve",
    "run",
]

__version__ = "0.1.0"

# Public name -> module that defines it, imported on first attribute access.
_LAZY = {
    "Decision": "flujo_tuning.decisions",
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
