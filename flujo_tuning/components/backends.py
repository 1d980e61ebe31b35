"""Shared machinery for choosing a backend: import safely, probe, pick, fall back or fail.

Every component goes through :func:`choose`, so fallback rules live in one place.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType, ModuleType
from typing import Generic, TypeVar

from .._errors import ConfigError
from .decision import Component, Decision

__all__ = [
    "TESTED_MINIMUM",
    "Candidate",
    "Platform",
    "Unavailable",
    "choose",
    "import_backend",
    "module_version",
]

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
    """A backend cannot be used here; the message is the reason, as one clause. *instead* says
    what to do about it, for strict mode's error (where there is no fallback to say it)."""

    def __init__(self, reason: str, instead: str = "") -> None:
        super().__init__(reason)
        self.instead = instead


#: The oldest release of each optional backend that CI runs (the floors leg installs exactly these,
#: and pyproject.toml declares them as floors: a test keeps the two equal). An older one found at run
#: time is not used: it falls back, saying both versions, or fails in strict mode.
#: msgspec 0.18.6 is the first with ``Encoder(order="deterministic")``, which cache keys need.
#: winloop runs only on Windows, where CI does not run: its floor is declared, never tested.
TESTED_MINIMUM: Mapping[str, str] = MappingProxyType(
    {
        "uvloop": "0.19",
        "winloop": "0.1",
        "rloop": "0.5",
        "orjson": "3.9",
        "msgspec": "0.18.6",
        "blake3": "0.4",
        "xxhash": "3.4.1",
    }
)

_RELEASE = re.compile(r"\d+(?:\.\d+)*")


def release(version: str) -> tuple[int, ...] | None:
    """The numeric release of a version string (``"0.19.0rc1"`` -> ``(0, 19, 0)``), None if it has none."""
    found = _RELEASE.match(version)
    if found is None:
        return None
    parts = [int(part) for part in found.group().split(".")]
    while len(parts) > 1 and parts[-1] == 0:  # 0.19 and 0.19.0 are the same release
        parts.pop()
    return tuple(parts)


#: How to get each optional backend: the extra that brings it, or (for what flujo-tuning depends
#: on anyway) the package itself. Named in strict mode's error, where there is no fallback.
INSTALL: Mapping[str, str] = MappingProxyType(
    {
        "xxhash": "pip install 'flujo-tuning[xxhash]'",
        "rloop": "pip install 'flujo-tuning[experimental]'",
        "winloop": "pip install 'flujo-tuning[windows]' (Windows only)",
        "orjson": "pip install orjson (a dependency of flujo-tuning: reinstall it)",
        "msgspec": "pip install msgspec (a dependency of flujo-tuning: reinstall it)",
        "blake3": "pip install blake3 (a dependency of flujo-tuning: reinstall it)",
        "uvloop": "pip install uvloop (a dependency of flujo-tuning outside Windows: reinstall it)",
    }
)


def import_backend(name: str) -> ModuleType:
    """Import an optional backend; any failure (ImportError, OSError, a broken build, a warning
    raised as an error) is Unavailable, and so is a release older than :data:`TESTED_MINIMUM`."""
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise Unavailable(f"{name} failed to import (ModuleNotFoundError: {exc})") from exc
        top = name.partition(".")[0]
        raise Unavailable(f"{name} is not installed", instead=INSTALL.get(top, "")) from exc
    except Exception as exc:
        raise Unavailable(f"{name} failed to import ({type(exc).__name__}: {exc})") from exc
    top = name.partition(".")[0]
    minimum = TESTED_MINIMUM.get(top)
    if minimum is not None:
        version = module_version(sys.modules.get(top, module))
        found, oldest = release(version), release(minimum)
        if found is not None and oldest is not None and found < oldest:
            raise Unavailable(
                f"{top} {version} is older than the tested {minimum}",
                instead=f"pip install '{top}>={minimum}'",
            )
    return module


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
            instead = f"; {why.instead}" if why.instead else ""
            raise ConfigError(
                f"{component} {requested!r} (from {source}) is not available: {why}; "
                f"strict mode forbids a fallback{instead}"
            ) from None
        found = first_available([name for name in auto_order if name != requested])
        reason = f"{why}; fell back to {found.description}"
        return Decision(component, requested, found.name, source, reason, fallback=True), found.backend
    reason = f"requested and available: {found.description}"
    return Decision(component, requested, found.name, source, reason), found.backend
