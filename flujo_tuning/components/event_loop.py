"""Event loops: uvloop (not on Windows), winloop (Windows only), stdlib asyncio.

Like uvicorn's ``loops/auto.py``: ``auto`` tries the fast loop for this platform and falls back to
asyncio, saying why.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass

from .backends import Candidate, Platform, Unavailable, choose, import_backend, module_version
from .decision import Decision

__all__ = ["LoopBackend", "decide", "nest_asyncio_active"]


@dataclass(frozen=True, eq=False)
class LoopBackend:
    """How to make a bare event loop of the chosen kind (without our task factory or debug)."""

    name: str
    new_loop: Callable[[], asyncio.AbstractEventLoop]
    #: The backend's version, e.g. ``"0.21.0"`` (``"stdlib"`` for asyncio); part of the fingerprint.
    version: str = "stdlib"
    #: The class of the loops it makes, to recognise them where they run (verify()).
    loop_class: type = asyncio.AbstractEventLoop


def nest_asyncio_active() -> bool:
    """nest_asyncio patches asyncio globally and can only patch stdlib loops, never uvloop's."""
    return bool(getattr(asyncio, "_nest_patched", False))


def stdlib_loop_class() -> type[asyncio.AbstractEventLoop]:
    """The loop class asyncio's default policy would use, without going through any policy."""
    if sys.platform == "win32":  # pragma: no cover - Windows only
        return asyncio.ProactorEventLoop  # type: ignore[attr-defined,no-any-return,unused-ignore]
    return asyncio.SelectorEventLoop


def _libuv_loader(
    name: str, needs_windows: bool, platform: Platform, disabled_by: str | None
) -> Candidate[LoopBackend]:
    on_windows = platform.system == "win32"
    if needs_windows and not on_windows:
        raise Unavailable(f"{name} only runs on Windows, not {platform.system}")
    if not needs_windows and on_windows:
        raise Unavailable(f"{name} is not supported on {platform.system}")
    if disabled_by is not None:
        raise Unavailable(f"{name} is disabled by {disabled_by}")
    if nest_asyncio_active():
        raise Unavailable(f"nest_asyncio is active and cannot patch {name} loops")
    module = import_backend(name)
    try:
        probe = module.new_event_loop()
        probe.close()
    except Exception as exc:
        raise Unavailable(f"{name} failed to create a loop ({type(exc).__name__}: {exc})") from exc
    version = module_version(module)
    backend = LoopBackend(name, module.new_event_loop, version, type(probe))
    return Candidate(name, backend, f"{name} {version}")


def _load_asyncio() -> Candidate[LoopBackend]:
    loop_class = stdlib_loop_class()
    return Candidate("asyncio", LoopBackend("asyncio", loop_class, "stdlib", loop_class), "stdlib asyncio")


def decide(
    requested: str, source: str, strict: bool, platform: Platform, disabled_by: str | None
) -> tuple[Decision, LoopBackend]:
    """*disabled_by* names the source of ``disable_uvloop`` when it is on, else None.

    ``disable_uvloop`` outranks a uvloop/winloop request from a profile or pyproject.toml (resolve()
    already refused one from an argument or the environment): the Decision keeps what was asked,
    runs asyncio, and says which source overrode which. That is not a fallback, so strict mode
    accepts it.
    """
    if disabled_by is not None and requested in ("uvloop", "winloop"):
        asyncio_loop = _load_asyncio()
        overridden = f"{requested} is disabled by {disabled_by}, which overrides {source}"
        reason = f"{overridden}; {asyncio_loop.description}"
        return Decision("event_loop", requested, "asyncio", source, reason), asyncio_loop.backend
    loaders = {
        "uvloop": lambda: _libuv_loader("uvloop", False, platform, disabled_by),
        "winloop": lambda: _libuv_loader("winloop", True, platform, disabled_by),
        "asyncio": _load_asyncio,
    }
    fast = "winloop" if platform.system == "win32" else "uvloop"
    return choose("event_loop", requested, source, (fast, "asyncio"), loaders, strict=strict)
