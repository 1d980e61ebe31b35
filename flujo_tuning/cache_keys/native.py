"""The native encoder (``_fk1native.c``): found, checked and loaded here, or the reason it is not."""

from __future__ import annotations

import functools
import importlib
import sys
import sysconfig
from types import ModuleType

__all__ = ["NATIVE_API", "NATIVE_MODULE", "default_native", "load_native", "native_status"]

#: The interface version this module expects of ``_fk1native`` (its ``API_VERSION``).
NATIVE_API = 2
NATIVE_MODULE = "flujo_tuning.cache_keys._fk1native"


def _gil_reason() -> str | None:
    """Why the native encoder must not be imported in this process, or None.

    Its walk relies on the GIL (it declares ``Py_MOD_GIL_USED``): on a free-threaded Python,
    importing it would turn the GIL back on for the whole host process.
    """
    if not sysconfig.get_config_var("Py_GIL_DISABLED"):  # None before 3.13 and on GIL builds
        return None
    is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
    if is_gil_enabled is not None and is_gil_enabled():
        return None  # the GIL is on already (PYTHON_GIL=1, or another module): nothing changes
    return (
        "this Python is free-threaded and the native encoder needs the GIL "
        "(importing it would turn the GIL back on for the whole process)"
    )


def native_status() -> tuple[ModuleType | None, str]:
    """The native encoder and, where it cannot be used, why. Any failure to load it (not built, a
    broken build, a warning raised as an error) is a reason, never an exception."""
    gil = _gil_reason()
    if gil is not None:
        return None, gil
    try:
        module = importlib.import_module(NATIVE_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name == NATIVE_MODULE:
            return None, "the native encoder was not built at install (no C compiler?)"
        return None, f"the native encoder failed to import (ModuleNotFoundError: {exc})"
    except Exception as exc:
        return None, f"the native encoder failed to import ({type(exc).__name__}: {exc})"
    if getattr(module, "API_VERSION", None) != NATIVE_API:
        # An old build left beside newer sources (an editable install not rebuilt).
        return None, f"the native encoder at {module.__file__} is out of date (reinstall to rebuild it)"
    return module, ""


def load_native() -> ModuleType | None:
    """The native encoder, or None where it was not built (no compiler at install time) or is
    out of date."""
    return native_status()[0]


@functools.cache
def default_native() -> ModuleType | None:
    """The native encoder for module-level calls, looked up once (not an import per call)."""
    return load_native()
