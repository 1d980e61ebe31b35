"""The .env file Flujo loads is read by resolve() too, below the environment: the result no longer
depends on whether ``import flujo`` (which copies the file into os.environ) ran first."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest

from flujo_tuning import ConfigError, ConfigWarning, resolve
from flujo_tuning.config import dotenv

from ..conftest import write


def _simulate_import_flujo(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What Flujo's load_dotenv() does: copy the file's variables, never over one already set."""
    for line in path.read_text().splitlines():
        name, _, value = line.partition("=")
        if name and name not in os.environ:
            monkeypatch.setenv(name, value)


def test_a_dotenv_value_is_read_with_its_provenance(project: Path) -> None:
    path = write(project / ".env", "FLUJO_CODEC=json\nOTHER=1\n")
    settings = resolve()
    assert settings.codec == "json"
    assert settings.provenance["codec"] == f".env ({path.resolve()})"


def test_the_result_does_not_depend_on_importing_flujo_first(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(project / ".env", "FLUJO_CODEC=json\nFLUJO_HASHER=sha256\n")
    before = resolve()
    _simulate_import_flujo(path, monkeypatch)
    after = resolve()
    assert after.values() == before.values()
    assert after.provenance == before.provenance


def test_the_environment_outranks_the_file(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(project / ".env", "FLUJO_CODEC=json\n")
    monkeypatch.setenv("FLUJO_CODEC", "msgspec")
    settings = resolve()
    assert (settings.codec, settings.provenance["codec"]) == ("msgspec", "env FLUJO_CODEC")


def test_the_file_outranks_pyproject_and_profiles(project: Path) -> None:
    write(project / "pyproject.toml", '[tool.flujo_tuning]\ncodec = "orjson"\n')
    write(project / ".env", "FLUJO_CODEC=json\nFLUJO_PROFILE=stdlib\n")
    settings = resolve()
    assert (settings.codec, settings.profile) == ("json", "stdlib")


def test_flujos_own_variables_in_the_file_are_left_alone(
    project: Path, recwarn: pytest.WarningsRecorder
) -> None:
    write(project / ".env", "FLUJO_STATE_URI=memory://\nFLUJO_STRICT_DSL=1\nOPENAI_API_KEY=x\n")
    assert resolve(strict=True).codec == "auto"
    assert not [w for w in recwarn if issubclass(w.category, ConfigWarning)]


def test_a_bad_value_in_the_file_names_file_and_line(project: Path) -> None:
    path = write(project / ".env", "# settings\nFLUJO_HASHER=md5\n")
    with pytest.raises(ConfigError) as caught:
        resolve()
    assert str(caught.value).startswith(f"{path.resolve()}:2: FLUJO_HASHER: invalid value 'md5' for hasher")


def test_a_typo_in_the_file_is_reported_with_the_file(project: Path) -> None:
    path = write(project / ".env", "FLUJO_CODCE=json\n")
    with pytest.warns(
        ConfigWarning, match=rf"variable FLUJO_CODCE in {path.resolve()} is not a flujo_tuning"
    ):
        resolve()


def test_flujo_dotenv_names_a_file_or_turns_it_off(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project / ".env", "FLUJO_CODEC=json\n")
    elsewhere = write(tmp_path / "deploy.env", "FLUJO_CODEC=msgspec\n")
    monkeypatch.setenv("FLUJO_DOTENV", str(elsewhere))
    assert resolve().codec == "msgspec"
    monkeypatch.setenv("FLUJO_DOTENV", "none")
    assert resolve().codec == "auto"
    monkeypatch.setenv("FLUJO_DOTENV", str(tmp_path / "missing.env"))
    with pytest.raises(
        ConfigError, match=r"missing\.env: \.env file not found \(given by env FLUJO_DOTENV\)"
    ):
        resolve()


def test_without_flujo_the_file_is_found_upward_from_the_working_directory(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(project / ".env", "FLUJO_CODEC=json\n")
    (project / "src" / "deep").mkdir(parents=True)
    monkeypatch.chdir(project / "src" / "deep")
    monkeypatch.setattr(dotenv, "_interactive", lambda: False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    assert dotenv.find_dotenv() == path.resolve()


def test_with_flujo_a_script_finds_the_file_above_flujos_install_like_flujo_does(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A virtual environment kept inside the project: Flujo's load_dotenv() walks up from its own
    # package directory, so it finds the project's .env and not the working directory's.
    path = write(project / ".env", "FLUJO_CODEC=json\n")
    site = project / ".venv" / "lib" / "site-packages"
    write(site / "flujo" / "__init__.py", "")
    write(site / "flujo" / "infra" / "settings.py", "")
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    write(tmp_path / "elsewhere" / ".env", "FLUJO_CODEC=msgspec\n")
    monkeypatch.chdir(tmp_path / "elsewhere")
    monkeypatch.setattr(dotenv, "_interactive", lambda: False)
    monkeypatch.setattr("sys.gettrace", lambda: None)
    assert dotenv.find_dotenv() == path.resolve()
    monkeypatch.setattr(dotenv, "_interactive", lambda: True)  # python -c, a REPL: the working directory
    assert dotenv.find_dotenv() == (tmp_path / "elsewhere" / ".env").resolve()
