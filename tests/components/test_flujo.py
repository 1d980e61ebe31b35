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
from pathlib import Path

import pytest

import flujo_tuning
from flujo_tuning import apply, reset

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


def test_default_keeps_flujos_own_settings(flujo_installed: Path) -> None:
    decision = apply().decision("flujo")
    assert decision.choice == "keep"
    assert decision.source == "shipped profile 'default'"
    assert decision.reason == "Flujo's own state backend and tracing settings are left as they are"
    assert STATE_URI not in os.environ
    assert TRACING_OFF not in os.environ


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
    apply("default")
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
        "accepted: 'keep', 'memory' (or 'memory://'), or a SQLite URI 'sqlite:///path'"
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
