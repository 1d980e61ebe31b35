"""Flujo's variables that apply() sets: what the user set, what we set, and how to undo ours.

Flujo's own state file is found here by Flujo's rules (read from Flujo 0.6.11 and checked against it
in tests/hosts/test_real_flujo.py), never by importing Flujo: its import loads .env and configures
logging, which is the user's business.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from ..components.flujo import STATE_URI, TRACING_OFF, FlujoFacts, OwnFile
from .state import STATE

__all__ = ["close_flujo_state", "facts", "install", "own_file", "restore"]

#: Flujo's default state file, in the working directory of the process when a runner is made.
OWN_FILE_NAME = "flujo_ops.db"
_TRUE = {"1", "true", "yes", "on"}


def facts() -> FlujoFacts:
    """Whether Flujo is installed (without importing it: its import loads .env and configures
    logging), which of its variables the user set (the ones we set do not count), and its own file."""
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
    return FlujoFacts(version, user, own_file(Path.cwd(), os.environ))


def _flujo_toml(cwd: Path, environ: Mapping[str, str]) -> Path | None:
    """Flujo's configuration file: FLUJO_CONFIG_PATH, else flujo.toml in cwd and its parents (not /)."""
    given = environ.get("FLUJO_CONFIG_PATH")
    if given:
        return Path(given)
    current = cwd
    while current != current.parent:
        if (current / "flujo.toml").exists():
            return current / "flujo.toml"
        current = current.parent
    return None


def own_file(cwd: Path, environ: Mapping[str, str]) -> OwnFile:  # noqa: PLR0911 - one reason each
    """The FLUJO_STATE_URI that names the file Flujo uses when none is set, or why there is none.

    With no flujo.toml, Flujo resolves a relative ``sqlite:///flujo_ops.db`` against the working
    directory when each runner is made, exactly where its own default goes, so the relative form is
    pinned (a later chdir moves both alike). With a flujo.toml, relative URIs resolve against its
    folder instead, so the file is named by its absolute path.
    """
    if environ.get("FLUJO_TEST_MODE", "").strip().lower() in _TRUE:
        return OwnFile(None, "FLUJO_TEST_MODE is on: Flujo keeps its state in memory")
    if not callable(getattr(threading, "_register_atexit", None)):
        return OwnFile(None, "this Python cannot close Flujo's state before it waits for threads at exit")
    config = _flujo_toml(cwd, environ)
    if config is None:
        return OwnFile(f"sqlite:///{OWN_FILE_NAME}", f"{OWN_FILE_NAME} in the working directory")
    if not config.is_file():
        return OwnFile(None, f"FLUJO_CONFIG_PATH names {config}, which does not exist (Flujo refuses it)")
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        state_uri = tomllib.loads(config.read_text(encoding="utf-8")).get("state_uri")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        return OwnFile(None, f"{config} cannot be read ({error}): Flujo's choice is unknown")
    if state_uri:
        return OwnFile(None, f"{config} sets state_uri = {state_uri!r}: Flujo's, kept")
    path = (cwd / OWN_FILE_NAME).resolve()
    return OwnFile(f"sqlite:///{path.as_posix()}", f"{path} (in full: {config} would move a relative name)")


def install(variables: Mapping[str, str]) -> None:
    """Set *variables* in os.environ, remembering what each replaced (restore() puts it back)."""
    restore()
    for name, value in variables.items():
        STATE.flujo_env[name] = (value, os.environ.get(name))
        os.environ[name] = value
    if variables.get(STATE_URI, "").startswith("sqlite:"):
        _close_at_exit()


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


def _close_at_exit() -> None:
    """Close Flujo's SQLite state before Python waits for threads at exit.

    With an explicit URI Flujo's runners share a backend they do not own and never shut down; its
    aiosqlite threads are not daemons, Python joins them before atexit runs (where Flujo's own
    cleanup waits), and the process never ends. ``threading._register_atexit`` is the hook that
    runs before that join (the one concurrent.futures uses).
    """
    if STATE.flujo_exit_hook:
        return
    threading._register_atexit(close_flujo_state)  # type: ignore[attr-defined]
    STATE.flujo_exit_hook = True


def close_flujo_state() -> None:
    """Shut down every live Flujo SQLite backend with Flujo's own ``shutdown_all`` (what Flujo's
    atexit handler would do, run where it still can); nothing when Flujo's backend was never imported.

    A thread still using Flujo when the main thread ends loses its pooled connection; Flujo then
    opens a new one per operation (its own fallback when none is pooled).
    """
    module = sys.modules.get("flujo.state.backends.sqlite")
    backend = getattr(module, "SQLiteBackend", None)
    if backend is not None:
        backend.shutdown_all()
