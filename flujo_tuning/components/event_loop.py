"""Event loops: uvloop (not on Windows), winloop (Windows only), stdlib asyncio, and rloop
(experimental: only when named).

Like uvicorn's ``loops/auto.py``: ``auto`` tries the fast loop for this platform and falls back to
asyncio, saying why. rloop is never chosen by ``auto`` or a shipped profile: its authors say it is
not ready for production.
"""

from __future__ import annotations

import asyncio
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from .backends import Candidate, Platform, Unavailable, choose, import_backend, module_version
from .decision import Decision

__all__ = ["EXPERIMENTAL", "LoopBackend", "decide", "nest_asyncio_active"]

#: Loops used only when named, never by ``auto``, a shipped profile or ``calibrate --search``
#: (unless ``--experimental``).
EXPERIMENTAL = frozenset({"rloop"})


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


def _load_rloop(platform: Platform) -> Candidate[LoopBackend]:
    """rloop, probed like uvloop and then some: a loop that runs a task, since it is young."""
    if platform.system == "win32":
        raise Unavailable(f"rloop is not supported on {platform.system}")
    if nest_asyncio_active():
        raise Unavailable("nest_asyncio is active and cannot patch rloop loops")
    module = import_backend("rloop")

    async def a_task() -> int:
        return await asyncio.get_running_loop().create_task(_one())

    # rloop 0.5 leaves its loop's sockets open when the loop is closed (a ResourceWarning when the
    # loop is freed): the probe's own loop is freed here, so that warning is not the host's.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            probe = module.new_event_loop()
            loop_class = type(probe)
            try:
                ran = probe.run_until_complete(a_task())
            finally:
                probe.close()
                del probe
        except Exception as exc:
            raise Unavailable(f"rloop failed to run a loop ({type(exc).__name__}: {exc})") from exc
    if ran != 1:
        raise Unavailable(f"rloop ran a task that returned {ran!r} instead of 1")
    version = module_version(module)
    backend = LoopBackend("rloop", module.new_event_loop, version, loop_class)
    return Candidate(
        "rloop",
        backend,
        f"rloop {version} (experimental: its authors say it is not ready for production; "
        "chosen only because it was named)",
    )


async def _one() -> int:
    await asyncio.sleep(0)
    return 1


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
        "rloop": lambda: _load_rloop(platform),
        "asyncio": _load_asyncio,
    }
    fast = "winloop" if platform.system == "win32" else "uvloop"
    return choose("event_loop", requested, source, (fast, "asyncio"), loaders, strict=strict)
