"""Every test starts from a clean slate: no FLUJO_* variables, a cwd with no pyproject.toml."""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import importlib
import importlib.abc
import logging
import os
import subprocess
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """FLUJO_TESTS_ONCE=skip: CI's other Python legs skip what one leg already ran (.ci/run)."""
    if os.environ.get("FLUJO_TESTS_ONCE") != "skip":
        return
    skip = pytest.mark.skip(reason="once: run by one CI leg; its outcome cannot depend on the Python version")
    for item in items:
        if item.get_closest_marker("once") is not None:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.upper().startswith("FLUJO_"):
            monkeypatch.delenv(name)
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The current directory of the test (empty, no pyproject.toml yet)."""
    return tmp_path / "project"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _structlog_as_found() -> Iterator[None]:
    """structlog's capture_logs() leaves structlog marked configured; put back what each test found."""
    import structlog

    was_configured = structlog.is_configured()
    saved = structlog.get_config()
    yield
    if was_configured:
        structlog.configure(**saved)
    else:
        structlog.reset_defaults()


@pytest.fixture(autouse=True)
def _fresh_tuning() -> Iterator[None]:
    """No test sees another's apply(): the policy and current Tuning are reset around each test."""
    from flujo_tuning import reset

    reset()
    yield
    reset()


@pytest.fixture
def hide_module(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Make ``import NAME`` fail, with ImportError by default or with the given exception."""

    def hide(name: str, error: BaseException | None = None) -> None:
        for loaded in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            monkeypatch.delitem(sys.modules, loaded)
        if error is None:
            monkeypatch.setitem(sys.modules, name, None)
            return
        finder = _RaisingFinder(name, error)
        monkeypatch.setattr(sys, "meta_path", [finder, *sys.meta_path])

    return hide


class _RaisingFinder(importlib.abc.MetaPathFinder):
    def __init__(self, name: str, error: BaseException) -> None:
        self.name = name
        self.error = error

    def find_spec(self, fullname: str, path: object, target: object = None) -> None:
        if fullname == self.name:
            raise self.error


def replace_module(monkeypatch: pytest.MonkeyPatch, name: str, **attributes: object) -> None:
    """Put a stand-in module with *attributes* in place of *name* (a broken build, say)."""
    module = types.ModuleType(name)
    for attribute, value in attributes.items():
        setattr(module, attribute, value)
    monkeypatch.setitem(sys.modules, name, module)


#: Loop policies are deprecated from Python 3.14 (removed in 3.16): tests read them only before.
POLICIES = sys.version_info < (3, 14)


def loop_policy() -> object | None:
    """The event-loop policy in force, or None where reading it is deprecated (3.14+)."""
    return asyncio.get_event_loop_policy() if POLICIES else None


def deny_reading(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """Make opening *path* fail with EACCES (root reads anything, so the denial is simulated at
    both ways a reader opens a file: ``open()`` and ``Path.open``)."""
    real_open = builtins.open

    def denied(file: Any, *args: Any, **kwargs: Any) -> Any:
        if Path(os.fspath(file)) == path:
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", denied)
    monkeypatch.setattr(Path, "open", denied)


def raising(error: BaseException) -> Callable[..., Any]:
    """A function that raises *error* whatever it is called with."""

    def fail(*args: object, **kwargs: object) -> Any:
        raise error

    return fail


@contextlib.contextmanager
def structlog_configured(**settings: Any) -> Iterator[None]:
    """Configure structlog for a block, then put back exactly what was there before."""
    import structlog

    was_configured = structlog.is_configured()
    saved = structlog.get_config()
    structlog.configure(**settings)
    try:
        yield
    finally:
        if was_configured:
            structlog.configure(**saved)
        else:
            structlog.reset_defaults()


@contextlib.contextmanager
def records_of(logger_name: str, level: int) -> Iterator[list[logging.LogRecord]]:
    """The stdlib LogRecords that reach *logger_name* at *level* or above during the block."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger(logger_name)
    handler = Keep(level)
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def load_hasher(name: str) -> Any:
    """The hasher *name*, or None only for xxh3_128 where the optional xxhash is not installed.

    Any other failure (a broken blake3, say) propagates: it must fail the test, not skip it.
    """
    import importlib.util

    from flujo_tuning.components import hasher
    from flujo_tuning.components.backends import Unavailable

    try:
        return hasher.LOADERS[name]().backend
    except Unavailable:
        if name == "xxh3_128" and importlib.util.find_spec("xxhash") is None:
            return None
        raise


def run_with_terminal_stderr(command: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], bytes]:
    """Run *command* with stderr on a pseudo-terminal (stdout piped); what reached the terminal."""
    import pty
    import threading

    master, slave = pty.openpty()
    drawn: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the terminal closed
                return
            if not chunk:
                return
            drawn.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        done = subprocess.run(
            command, cwd=cwd, stdout=subprocess.PIPE, stderr=slave, text=True, timeout=180, check=False
        )
    finally:
        os.close(slave)
        reader.join(timeout=10)
        os.close(master)
    return done, b"".join(drawn)


def run_on_terminal(command: list[str], cwd: Path, env: dict[str, str], columns: int = 80) -> bytes:
    """Run *command* with stdout and stderr on a pseudo-terminal *columns* wide; what it drew."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    drawn: list[bytes] = []
    try:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=slave, stderr=slave)
        os.close(slave)
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the terminal closed: the program ended
                break
            if not chunk:
                break
            drawn.append(chunk)
        process.wait(timeout=60)
    finally:
        os.close(master)
    return b"".join(drawn)


def stand_in_flujo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str) -> Path:
    """A distribution named ``flujo`` that plays the installed Flujo (the library never imports it)."""
    site = tmp_path / "site"
    write(site / "flujo" / "__init__.py", "raise ImportError('flujo_tuning must not import Flujo')\n")
    write(
        site / f"flujo-{version}.dist-info" / "METADATA",
        f"Metadata-Version: 2.1\nName: flujo\nVersion: {version}\n",
    )
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    return site


@pytest.fixture
def flujo_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return stand_in_flujo(tmp_path, monkeypatch, "0.6.11")


def eager_offered() -> bool:
    """Whether throughput's eager tasks are offered here: Python 3.12+, and asyncio's own eager
    factory works on the loop it picks (not on uvloop 0.23 with Python 3.13)."""
    import flujo_tuning

    return not flujo_tuning.preview("throughput").decision("task_factory").fallback
