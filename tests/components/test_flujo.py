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
from collections.abc import Callable
from pathlib import Path

import pytest
from structlog.testing import capture_logs

import flujo_tuning
from flujo_tuning import apply, reset
from flujo_tuning.components.flujo import OwnFile
from flujo_tuning.runtime import flujo_facts, install
from flujo_tuning.runtime.state import STATE

from ..conftest import stand_in_flujo, write

STATE_URI = "FLUJO_STATE_URI"
TRACING_OFF = "FLUJO_DISABLE_TRACING"


@pytest.fixture
def hook_calls(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """What apply() registers to run before Python waits for threads at exit (nothing really is)."""
    registered: list[object] = []
    monkeypatch.setattr(threading, "_register_atexit", registered.append, raising=False)
    monkeypatch.setattr(STATE, "exit_hook_registered", False)
    return registered


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


def test_default_sets_nothing_a_child_inherits(flujo_installed: Path, hook_calls: list[object]) -> None:
    before = dict(os.environ)
    tuning = apply()
    decision = tuning.decision("flujo")
    assert (decision.choice, decision.source) == ("keep", "shipped profile 'default'")
    assert decision.reason == "Flujo's own state backend and tracing settings are left as they are"
    assert dict(os.environ) == before
    assert tuning.flujo_environ == {}
    assert not tuning.closes_flujo_state
    assert hook_calls == []


def test_pinned_state_names_flujos_own_file_and_closes_it_at_exit(
    flujo_installed: Path, project: Path, hook_calls: list[object]
) -> None:
    tuning = apply("pinned-state")
    decision = tuning.decision("flujo")
    assert decision.choice == "FLUJO_STATE_URI=sqlite:///flujo_ops.db, close_at_exit"
    assert decision.source == (
        "state_backend from shipped profile 'pinned-state'; tracing from shipped profile 'default'"
    )
    assert decision.reason == (
        "Flujo 0.6.11: FLUJO_STATE_URI=sqlite:///flujo_ops.db: Flujo's own state file (flujo_ops.db in "
        "the working directory), named so that one open backend serves every run instead of one "
        "opened and shut down per run; as durable as Flujo's default; child processes inherit "
        "FLUJO_STATE_URI from os.environ (a child that runs Flujo must call apply() or worker_init to "
        "exit by itself); "
        "close_at_exit: with the explicit SQLite URI sqlite:///flujo_ops.db (from this decision) Flujo "
        "0.6.11 leaves a thread that keeps the process from exiting, so its SQLite state is closed "
        "before Python waits for threads at exit (Flujo's own shutdown_all)"
    )
    assert os.environ[STATE_URI] == "sqlite:///flujo_ops.db"
    assert TRACING_OFF not in os.environ
    assert tuning.closes_flujo_state
    assert STATE.record.close_flujo_at_exit
    assert hook_calls == [install.close_flujo_state]
    apply("ephemeral")
    assert not STATE.record.close_flujo_at_exit  # memory:// needs no closing
    apply("pinned-state")
    assert hook_calls == [install.close_flujo_state]  # registered once per process, armed by the record
    assert reset() == []
    assert STATE_URI not in os.environ
    assert not STATE.record.close_flujo_at_exit


def test_a_sqlite_uri_the_user_set_gets_the_exit_fix_named(
    flujo_installed: Path, monkeypatch: pytest.MonkeyPatch, hook_calls: list[object]
) -> None:
    monkeypatch.setenv(STATE_URI, "sqlite:///mine.db")
    before = dict(os.environ)
    decision = apply().decision("flujo")
    assert decision.choice == "keep, close_at_exit"
    assert decision.reason == (
        "Flujo 0.6.11: Flujo's own state backend and tracing settings are left as they are; "
        "close_at_exit: with the explicit SQLite URI sqlite:///mine.db (from the environment) Flujo "
        "0.6.11 leaves a thread that keeps the process from exiting, so its SQLite state is closed "
        "before Python waits for threads at exit (Flujo's own shutdown_all)"
    )
    assert dict(os.environ) == before
    assert hook_calls == [install.close_flujo_state]


def test_a_sqlite_uri_in_flujos_own_toml_gets_the_exit_fix(
    flujo_installed: Path, project: Path, hook_calls: list[object]
) -> None:
    write(project / "flujo.toml", 'state_uri = "sqlite:///ops.db"\n')
    decision = apply().decision("flujo")
    assert decision.choice == "keep, close_at_exit"
    assert f"sqlite:///ops.db (from {project / 'flujo.toml'})" in decision.reason
    assert hook_calls == [install.close_flujo_state]


def test_an_untested_flujo_gets_neither_the_pin_nor_the_exit_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hook_calls: list[object]
) -> None:
    stand_in_flujo(tmp_path, monkeypatch, "0.7.0")
    decision = apply("pinned-state").decision("flujo")
    assert decision.choice == "keep"
    assert decision.reason == (
        "Flujo's state file is not pinned: Flujo 0.7.0 is not a version the pin was tested with "
        "(0.6.11); tracing is left as it is"
    )
    monkeypatch.setenv(STATE_URI, "sqlite:///mine.db")
    mine = apply("stdlib").decision("flujo")
    assert mine.choice == "keep"
    assert mine.reason.endswith(
        "flujo_tuning closes it only for the Flujo versions it was tested with (0.6.11), not 0.7.0"
    )
    assert hook_calls == []
    assert STATE_URI not in {k for k, v in os.environ.items() if v != "sqlite:///mine.db"}


def test_stdlib_keeps_flujos_own_settings(flujo_installed: Path) -> None:
    decision = apply("stdlib").decision("flujo")
    assert decision.choice == "keep"
    assert decision.reason == "Flujo's own state backend and tracing settings are left as they are"
    assert STATE_URI not in os.environ
    assert TRACING_OFF not in os.environ


def test_flujos_own_file_by_flujos_rules(tmp_path: Path) -> None:
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    assert flujo_facts.own_file(work, {}) == OwnFile(
        "sqlite:///flujo_ops.db", "flujo_ops.db in the working directory"
    )
    # A flujo.toml in a parent without state_uri: a relative URI would resolve there, so in full.
    write(tmp_path / "a" / "flujo.toml", "[settings]\n")
    found = flujo_facts.own_file(work, {})
    assert found.uri == f"sqlite:///{(work / 'flujo_ops.db').resolve().as_posix()}"
    assert found.uri.startswith("sqlite:////")
    assert str(tmp_path / "a" / "flujo.toml") in found.note
    # Flujo's own choice in its file is kept.
    write(tmp_path / "a" / "flujo.toml", 'state_uri = "memory://"\n')
    kept = flujo_facts.own_file(work, {})
    assert kept.uri is None
    assert kept.note.endswith("sets state_uri = 'memory://': Flujo's, kept")
    # FLUJO_CONFIG_PATH replaces the search; a missing file is Flujo's error, so nothing is pinned.
    other = write(tmp_path / "elsewhere.toml", "")
    assert str(flujo_facts.own_file(work, {"FLUJO_CONFIG_PATH": str(other)}).uri).startswith("sqlite:////")
    missing = flujo_facts.own_file(work, {"FLUJO_CONFIG_PATH": str(tmp_path / "nope.toml")})
    assert missing.uri is None
    assert "does not exist" in missing.note
    broken = write(tmp_path / "broken.toml", "state_uri = \n")
    assert "cannot be read" in flujo_facts.own_file(work, {"FLUJO_CONFIG_PATH": str(broken)}).note
    assert flujo_facts.own_file(work, {"FLUJO_TEST_MODE": "1"}) == OwnFile(
        None, "FLUJO_TEST_MODE is on: Flujo keeps its state in memory"
    )


def test_without_a_hook_before_threads_are_joined_nothing_is_pinned(
    flujo_installed: Path, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(threading, "_register_atexit", raising=False)
    decision = apply("pinned-state").decision("flujo")
    assert decision.choice == "keep"
    assert decision.reason == (
        "Flujo's state file is not pinned: this Python cannot close Flujo's state before it waits "
        "for threads at exit; tracing is left as it is"
    )
    assert STATE_URI not in os.environ
    both = apply(state_backend="pinned", tracing="off").decision("flujo")
    assert both.choice == "FLUJO_DISABLE_TRACING=1"
    assert (
        "Flujo's state file is not pinned: this Python cannot close Flujo's "
        "state before it waits for threads at exit; "
    ) in both.reason


def _stand_in_backend(monkeypatch: pytest.MonkeyPatch, shutdown_all: Callable[[], object]) -> None:
    module = types.ModuleType("flujo.state.backends.sqlite")
    module.SQLiteBackend = type("SQLiteBackend", (), {"shutdown_all": staticmethod(shutdown_all)})  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "flujo.state.backends.sqlite", module)


def test_the_exit_hook_runs_flujos_own_shutdown_all_only_when_armed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(STATE.record, "close_flujo_at_exit", True)
    install.close_flujo_state()  # Flujo's SQLite backend never imported: nothing to do
    calls: list[str] = []
    _stand_in_backend(monkeypatch, lambda: calls.append("shutdown_all"))
    install.close_flujo_state()
    assert calls == ["shutdown_all"]
    monkeypatch.setattr(STATE.record, "close_flujo_at_exit", False)  # reset() disarms it
    install.close_flujo_state()
    assert calls == ["shutdown_all"]


def test_a_failing_shutdown_never_stops_pythons_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise RuntimeError("no backend")

    monkeypatch.setattr(STATE.record, "close_flujo_at_exit", True)
    _stand_in_backend(monkeypatch, broken)
    with capture_logs() as events:
        install.close_flujo_state()  # returns: Python's thread shutdown goes on
    assert [(e["event"], e["error"]) for e in events] == [
        ("flujo_tuning.exit_hook_failed", "RuntimeError('no backend')")
    ]


def test_ephemeral_sets_flujos_variables_says_what_durability_is_lost_and_reset_removes_them(
    flujo_installed: Path,
) -> None:
    tuning = apply("ephemeral")
    decision = tuning.decision("flujo")
    assert decision.choice == "FLUJO_STATE_URI=memory://, FLUJO_DISABLE_TRACING=1"
    assert decision.source == "shipped profile 'ephemeral'"
    assert decision.reason == (
        "Flujo 0.6.11: FLUJO_STATE_URI=memory://: runs are kept in memory only and cannot be resumed "
        "after a crash; FLUJO_DISABLE_TRACING=1: Flujo records no traces; child processes inherit "
        "FLUJO_STATE_URI and FLUJO_DISABLE_TRACING from os.environ"
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
    assert decision.choice == "FLUJO_DISABLE_TRACING=1, close_at_exit"
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
    assert decision.choice == (
        "FLUJO_STATE_URI=sqlite:///runs/state.db, FLUJO_DISABLE_TRACING=1, close_at_exit"
    )
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
