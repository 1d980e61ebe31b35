"""The flujo component: Flujo's own settings through its variables, only when Flujo is installed,
never over a value the user set, never giving up durability silently.

A stand-in distribution named ``flujo`` plays the installed Flujo here (the component never imports
it); tests/hosts/test_real_flujo.py runs the real one.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import threading
import types
from pathlib import Path

import pytest

import flujo_tuning
from flujo_tuning import apply, reset
from flujo_tuning.components.flujo import OwnFile
from flujo_tuning.runtime import flujo_env
from flujo_tuning.runtime.state import STATE

from ..conftest import write

STATE_URI = "FLUJO_STATE_URI"
TRACING_OFF = "FLUJO_DISABLE_TRACING"


@pytest.fixture
def flujo_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = tmp_path / "site"
    write(site / "flujo" / "__init__.py", "raise ImportError('flujo_tuning must not import Flujo')\n")
    write(
        site / "flujo-0.6.11.dist-info" / "METADATA", "Metadata-Version: 2.1\nName: flujo\nVersion: 0.6.11\n"
    )
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    return site


@pytest.fixture(autouse=True)
def _no_flujo_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(STATE_URI, raising=False)
    monkeypatch.delenv(TRACING_OFF, raising=False)


def test_without_flujo_nothing_is_set_and_the_decision_says_so() -> None:
    if importlib.util.find_spec("flujo") is not None:
        pytest.skip("Flujo is installed here")
    decision = apply("ephemeral").decision("flujo")
    assert (decision.requested, decision.choice) == ("state_backend=memory, tracing=off", "keep")
    assert decision.reason == (
        "Flujo is not installed: nothing to set "
        "(installed, it would get FLUJO_STATE_URI=memory://, FLUJO_DISABLE_TRACING=1)"
    )
    assert STATE_URI not in os.environ


def test_default_names_flujos_own_file_and_keeps_tracing(
    flujo_installed: Path, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registered: list[object] = []
    monkeypatch.setattr(threading, "_register_atexit", registered.append, raising=False)
    monkeypatch.setattr(STATE, "flujo_exit_hook", False)
    decision = apply().decision("flujo")
    assert decision.choice == "FLUJO_STATE_URI=sqlite:///flujo_ops.db"
    assert decision.source == "shipped profile 'default'"
    assert decision.reason == (
        "Flujo 0.6.11: FLUJO_STATE_URI=sqlite:///flujo_ops.db: Flujo's own state file (flujo_ops.db in "
        "the working directory), named so that one open backend serves every run instead of one "
        "opened and shut down per run; as durable as Flujo's default; its connections are closed "
        "before Python waits for threads at exit"
    )
    assert os.environ[STATE_URI] == "sqlite:///flujo_ops.db"
    assert TRACING_OFF not in os.environ
    assert registered == [flujo_env.close_flujo_state]
    apply("ephemeral")
    apply("default")
    assert registered == [flujo_env.close_flujo_state]  # once per process
    reset()
    assert STATE_URI not in os.environ


def test_stdlib_keeps_flujos_own_settings(flujo_installed: Path) -> None:
    decision = apply("stdlib").decision("flujo")
    assert decision.choice == "keep"
    assert decision.reason == "Flujo's own state backend and tracing settings are left as they are"
    assert STATE_URI not in os.environ
    assert TRACING_OFF not in os.environ


def test_flujos_own_file_by_flujos_rules(tmp_path: Path) -> None:
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    assert flujo_env.own_file(work, {}) == OwnFile(
        "sqlite:///flujo_ops.db", "flujo_ops.db in the working directory"
    )
    # A flujo.toml in a parent without state_uri: a relative URI would resolve there, so in full.
    write(tmp_path / "a" / "flujo.toml", "[settings]\n")
    found = flujo_env.own_file(work, {})
    assert found.uri == f"sqlite:///{(work / 'flujo_ops.db').resolve().as_posix()}"
    assert found.uri.startswith("sqlite:////")
    assert str(tmp_path / "a" / "flujo.toml") in found.note
    # Flujo's own choice in its file is kept.
    write(tmp_path / "a" / "flujo.toml", 'state_uri = "memory://"\n')
    kept = flujo_env.own_file(work, {})
    assert kept.uri is None
    assert kept.note.endswith("sets state_uri = 'memory://': Flujo's, kept")
    # FLUJO_CONFIG_PATH replaces the search; a missing file is Flujo's error, so nothing is pinned.
    other = write(tmp_path / "elsewhere.toml", "")
    assert str(flujo_env.own_file(work, {"FLUJO_CONFIG_PATH": str(other)}).uri).startswith("sqlite:////")
    missing = flujo_env.own_file(work, {"FLUJO_CONFIG_PATH": str(tmp_path / "nope.toml")})
    assert missing.uri is None
    assert "does not exist" in missing.note
    broken = write(tmp_path / "broken.toml", "state_uri = \n")
    assert "cannot be read" in flujo_env.own_file(work, {"FLUJO_CONFIG_PATH": str(broken)}).note
    assert flujo_env.own_file(work, {"FLUJO_TEST_MODE": "1"}) == OwnFile(
        None, "FLUJO_TEST_MODE is on: Flujo keeps its state in memory"
    )


def test_without_a_hook_before_threads_are_joined_nothing_is_pinned(
    flujo_installed: Path, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(threading, "_register_atexit", raising=False)
    decision = apply().decision("flujo")
    assert decision.choice == "keep"
    assert decision.reason == (
        "Flujo's state file is not pinned: this Python cannot close Flujo's state before it waits "
        "for threads at exit; tracing is left as it is"
    )
    assert STATE_URI not in os.environ
    both = apply(state_backend="pinned", tracing="off").decision("flujo")
    assert both.choice == "FLUJO_DISABLE_TRACING=1"
    assert both.reason.endswith(
        "Flujo's state file is not pinned: this Python cannot close Flujo's "
        "state before it waits for threads at exit"
    )


def test_the_exit_hook_runs_flujos_own_shutdown_all(monkeypatch: pytest.MonkeyPatch) -> None:
    flujo_env.close_flujo_state()  # Flujo's SQLite backend never imported: nothing to do
    calls: list[str] = []

    class SQLiteBackend:
        @classmethod
        def shutdown_all(cls) -> None:
            calls.append("shutdown_all")

    module = types.ModuleType("flujo.state.backends.sqlite")
    module.SQLiteBackend = SQLiteBackend  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "flujo.state.backends.sqlite", module)
    flujo_env.close_flujo_state()
    assert calls == ["shutdown_all"]


def test_ephemeral_sets_flujos_variables_says_what_durability_is_lost_and_reset_removes_them(
    flujo_installed: Path,
) -> None:
    tuning = apply("ephemeral")
    decision = tuning.decision("flujo")
    assert decision.choice == "FLUJO_STATE_URI=memory://, FLUJO_DISABLE_TRACING=1"
    assert decision.source == "shipped profile 'ephemeral'"
    assert decision.reason == (
        "Flujo 0.6.11: FLUJO_STATE_URI=memory://: runs are kept in memory only and cannot be resumed "
        "after a crash; FLUJO_DISABLE_TRACING=1: Flujo records no traces"
    )
    assert (os.environ[STATE_URI], os.environ[TRACING_OFF]) == ("memory://", "1")
    assert "flujo" not in sys.modules  # detected, never imported (the stand-in raises on import)
    reset()
    assert STATE_URI not in os.environ
    assert TRACING_OFF not in os.environ


def test_a_value_the_user_set_for_flujo_is_kept(
    flujo_installed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(STATE_URI, "sqlite:///mine.db")
    decision = apply("ephemeral").decision("flujo")
    assert decision.choice == "FLUJO_DISABLE_TRACING=1"
    assert "FLUJO_STATE_URI is already set to 'sqlite:///mine.db' by the environment: kept" in decision.reason
    assert os.environ[STATE_URI] == "sqlite:///mine.db"
    reset()
    assert os.environ[STATE_URI] == "sqlite:///mine.db"


def test_reapplying_another_profile_takes_back_what_we_set(flujo_installed: Path) -> None:
    apply("ephemeral")
    apply("stdlib")
    assert STATE_URI not in os.environ
    assert apply("ephemeral").decision("flujo").choice.startswith("FLUJO_STATE_URI=memory://")


def test_a_sqlite_backend_and_mixed_sources(flujo_installed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUJO_TRACING", "off")
    decision = apply(state_backend="sqlite:///runs/state.db").decision("flujo")
    assert decision.choice == "FLUJO_STATE_URI=sqlite:///runs/state.db, FLUJO_DISABLE_TRACING=1"
    assert decision.source == "state_backend from argument; tracing from env FLUJO_TRACING"
    assert (
        "FLUJO_STATE_URI=sqlite:///runs/state.db: Flujo's state goes to that SQLite database"
        in decision.reason
    )


@pytest.mark.parametrize("value", ["postgres://x", "sqlite:///", "disk"])
def test_a_bad_state_backend_names_the_accepted_values(value: str) -> None:
    with pytest.raises(flujo_tuning.ConfigError) as caught:
        flujo_tuning.resolve(state_backend=value)
    assert str(caught.value) == (
        f"argument state_backend: invalid value {value!r} for state_backend; "
        "accepted: 'keep', 'pinned', 'memory' (or 'memory://'), or a SQLite URI 'sqlite:///path'"
    )


def test_preview_and_explain_show_the_flujo_decision_without_setting_anything(
    flujo_installed: Path, project: Path
) -> None:
    tuning = flujo_tuning.preview("ephemeral")
    assert tuning.decision("flujo").choice.startswith("FLUJO_STATE_URI=")
    assert STATE_URI not in os.environ
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUJO_")}
    env["PYTHONPATH"] = os.pathsep.join([str(flujo_installed), env.get("PYTHONPATH", "")])
    explain = subprocess.run(
        [sys.executable, "-m", "flujo_tuning", "explain", "--profile", "ephemeral", "--json"],
        capture_output=True,
        text=True,
        cwd=project,
        env=env,
        check=True,
    )
    document = json.loads(explain.stdout)
    flujo = next(d for d in document["decisions"] if d["component"] == "flujo")
    assert flujo["source"] == "shipped profile 'ephemeral'"
    assert flujo["choice"] == "FLUJO_STATE_URI=memory://, FLUJO_DISABLE_TRACING=1"
    assert document["settings"]["state_backend"] == {
        "value": "memory",
        "source": "shipped profile 'ephemeral'",
    }


def test_flujos_variables_are_never_typos_of_ours(
    monkeypatch: pytest.MonkeyPatch, recwarn: pytest.WarningsRecorder
) -> None:
    monkeypatch.setenv(STATE_URI, "memory://")
    monkeypatch.setenv(TRACING_OFF, "1")
    monkeypatch.setenv("FLUJO_STATE_MODE", "x")
    flujo_tuning.resolve(strict=True)
    assert not [w for w in recwarn if issubclass(w.category, flujo_tuning.ConfigWarning)]
