"""Flujo's variables that apply() sets: what the user set, what we set, and how to undo ours."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping

from ..components.flujo import STATE_URI, TRACING_OFF, FlujoFacts
from .state import STATE

__all__ = ["facts", "install", "restore"]


def facts() -> FlujoFacts:
    """Whether Flujo is installed (without importing it: its import loads .env and configures
    logging), and which of its variables the user set; the ones we set do not count."""
    version = None
    if importlib.util.find_spec("flujo") is not None:
        from importlib import metadata

        try:
            version = metadata.version("flujo")
        except metadata.PackageNotFoundError:  # importable but not installed as a distribution
            version = "unknown version"
    ours = {name: value for name, (value, _) in STATE.flujo_env.items()}
    user = {
        name: os.environ[name]
        for name in (STATE_URI, TRACING_OFF)
        if name in os.environ and os.environ[name] != ours.get(name)
    }
    return FlujoFacts(version, user)


def install(variables: Mapping[str, str]) -> None:
    """Set *variables* in os.environ, remembering what each replaced (restore() puts it back)."""
    restore()
    for name, value in variables.items():
        STATE.flujo_env[name] = (value, os.environ.get(name))
        os.environ[name] = value


def restore() -> None:
    """Undo install(): each variable we set and nobody changed since gets its old value back."""
    for name, (value, previous) in STATE.flujo_env.items():
        if os.environ.get(name) != value:
            continue  # changed by someone else since: theirs now
        if previous is None:
            del os.environ[name]
        else:
            os.environ[name] = previous
    STATE.flujo_env.clear()
