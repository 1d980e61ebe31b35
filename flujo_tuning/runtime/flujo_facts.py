"""What Flujo would do here, read without importing it or changing anything (deciding is pure).

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
from typing import Any

from ..components.flujo import STATE_URI, TRACING_OFF, FlujoFacts, OwnFile

__all__ = ["facts", "own_file", "toml_state_uri"]

#: Flujo's default state file, in the working directory of the process when a runner is made.
OWN_FILE_NAME = "flujo_ops.db"
_TRUE = {"1", "true", "yes", "on"}


def facts(ours: Mapping[str, str]) -> FlujoFacts:
    """Whether Flujo is installed (without importing it: its import loads .env and configures
    logging), which of its variables the user set (*ours*, the values apply() set, do not count),
    its own file, and the state_uri its flujo.toml sets."""
    version = None
    if importlib.util.find_spec("flujo") is not None:
        from importlib import metadata

        try:
            version = metadata.version("flujo")
        except metadata.PackageNotFoundError:  # importable but not installed as a distribution
            version = "unknown version"
    user = {
        name: os.environ[name]
        for name in (STATE_URI, TRACING_OFF)
        if name in os.environ and os.environ[name] != ours.get(name)
    }
    cwd = Path.cwd()
    return FlujoFacts(
        version,
        user,
        own_file(cwd, os.environ),
        toml_state_uri(cwd, os.environ),
        can_close_at_exit=callable(getattr(threading, "_register_atexit", None)),
    )


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


def _read_toml(config: Path) -> dict[str, Any]:
    """flujo.toml's table; ValueError saying why when it cannot be read."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        return tomllib.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ValueError(str(error)) from error


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
    try:
        state_uri = _read_toml(config).get("state_uri")
    except ValueError as error:
        return OwnFile(None, f"{config} cannot be read ({error}): Flujo's choice is unknown")
    if state_uri:
        return OwnFile(None, f"{config} sets state_uri = {state_uri!r}: Flujo's, kept")
    path = (cwd / OWN_FILE_NAME).resolve()
    return OwnFile(f"sqlite:///{path.as_posix()}", f"{path} (in full: {config} would move a relative name)")


def toml_state_uri(cwd: Path, environ: Mapping[str, str]) -> tuple[str, str] | None:
    """The state_uri Flujo's flujo.toml sets (and that file's path), or None."""
    if environ.get("FLUJO_TEST_MODE", "").strip().lower() in _TRUE:
        return None
    config = _flujo_toml(cwd, environ)
    if config is None or not config.is_file():
        return None
    try:
        value = _read_toml(config).get("state_uri")
    except ValueError:
        return None  # own_file() says why: Flujo's choice is unknown
    return (value, str(config)) if isinstance(value, str) and value else None
