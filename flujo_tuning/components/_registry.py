"""Shared machinery for choosing a backend: import safely, probe, pick, fall back or fail.

Every component goes through :func:`choose`, so fallback rules live in one place.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Generic, TypeVar

from .._errors import ConfigError
from ..decisions import Component, Decision

__all__ = ["Candidate", "Platform", "Unavailable", "choose", "import_backend", "module_version"]

B = TypeVar("B")


@dataclass(frozen=True)
class Platform:
    """The facts about this process that decisions depend on (tests pass other values)."""

    system: str
    python: tuple[int, int]

    @classmethod
    def current(cls) -> Platform:
        return cls(sys.platform, (sys.version_info[0], sys.version_info[1]))

    @property
    def python_text(self) -> str:
        return f"{self.python[0]}.{self.python[1]}"


class Unavailable(Exception):  # noqa: N818 - a reason, not an error: it is always caught
    """A backend cannot be used here; the message is the reason, as one clause."""


def import_backend(name: str) -> ModuleType:
    """Import an optional backend; any failure (ImportError, OSError, a broken build) is Unavailable."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise Unavailable(f"{name} failed to import (ModuleNotFoundError: {exc})") from exc
        raise Unavailable(f"{name} is not installed") from exc
    except Exception as exc:
        raise Unavailable(f"{name} failed to import ({type(exc).__name__}: {exc})") from exc


def module_version(module: ModuleType) -> str:
    for attribute in ("__version__", "VERSION", "version"):
        value = getattr(module, attribute, None)
        if isinstance(value, str):
            return value
    return "unknown version"


@dataclass(frozen=True)
class Candidate(Generic[B]):
    """A loaded backend with a short description such as ``"orjson 3.11.0"``."""

    name: str
    backend: B
    description: str


Loader = Callable[[], Candidate[B]]


def choose(
    component: Component,
    requested: str,
    source: str,
    auto_order: Sequence[str],
    loaders: Mapping[str, Loader[B]],
    *,
    strict: bool,
) -> tuple[Decision, B]:
    """Pick *requested*, or the first loadable backend of *auto_order* for ``auto``.

    An explicit request that cannot be met falls back along *auto_order* (logged as a fallback),
    or raises ConfigError in strict mode.
    """
    skipped: list[str] = []

    def first_available(names: Sequence[str]) -> Candidate[B]:
        for name in names:
            try:
                return loaders[name]()
            except Unavailable as why:
                skipped.append(str(why))
        raise ConfigError(f"{component}: no backend is available ({'; '.join(skipped)})")

    if requested == "auto":
        found = first_available(auto_order)
        reason = f"{found.description} available"
        if skipped:
            reason = f"{found.description} chosen because {'; '.join(skipped)}"
        return Decision(component, requested, found.name, source, reason), found.backend

    try:
        found = loaders[requested]()
    except Unavailable as why:
        if strict:
            raise ConfigError(
                f"{component} {requested!r} (from {source}) is not available: {why}; "
                "strict mode forbids a fallback"
            ) from None
        found = first_available([name for name in auto_order if name != requested])
        reason = f"{why}; fell back to {found.description}"
        return Decision(component, requested, found.name, source, reason, fallback=True), found.backend
    reason = f"requested and available: {found.description}"
    return Decision(component, requested, found.name, source, reason), found.backend
