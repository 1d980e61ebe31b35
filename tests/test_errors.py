"""The base layer (flujo_tuning/_errors.py): the error family, typo detection, warnings that point
at the caller's line."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import flujo_tuning
from flujo_tuning import ConfigError, ConfigWarning, FlujoTuningError
from flujo_tuning._errors import did_you_mean, edit_distance, typo_of
from flujo_tuning.tools.calibrate import CalibrationError


@pytest.mark.parametrize("error", [ConfigError, CalibrationError])
def test_every_error_we_raise_on_purpose_is_a_flujo_tuning_error(error: type[Exception]) -> None:
    assert issubclass(error, FlujoTuningError)


def test_config_error_is_still_a_value_error_and_pickles_under_its_public_name() -> None:
    assert issubclass(ConfigError, ValueError)
    for cls in (FlujoTuningError, ConfigError, ConfigWarning):
        assert cls.__module__ == "flujo_tuning"
    again = pickle.loads(pickle.dumps(ConfigError("file.toml:3: bad")))
    assert type(again) is ConfigError
    assert str(again) == "file.toml:3: bad"


def test_catching_the_base_catches_a_configuration_error() -> None:
    with pytest.raises(FlujoTuningError, match="unknown profile 'nope'"):
        flujo_tuning.resolve("nope")


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("codec", "codec", 0),
        ("codce", "codec", 1),
        ("cdec", "codec", 1),
        ("hashr", "hasher", 1),
        ("x", "yz", 2),
    ],
)
def test_edit_distance_counts_transpositions_as_one(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == distance


@pytest.mark.parametrize(
    ("word", "intended"),
    [
        ("CODCE", "CODEC"),  # a transposition
        ("DISABLE_UVLOP", "DISABLE_UVLOOP"),
        ("STRICT_DSL", None),  # adds a word to ours: another program's name (Flujo has it)
        ("STATE_URI", None),  # Flujo's own variable, not near any of ours
        ("COD", None),  # too far for a short name
    ],
)
def test_typo_of_only_reports_near_misses_of_the_same_shape(word: str, intended: str | None) -> None:
    ours = ["CODEC", "DISABLE_UVLOOP", "STRICT", "HASHER"]
    assert typo_of(word, ours) == intended


def test_did_you_mean_offers_the_closest_or_nothing() -> None:
    assert did_you_mean("thruput", ["default", "throughput"]) == " (did you mean 'throughput'?)"
    assert did_you_mean("zzzz", ["default", "throughput"]) == ""


def test_a_warning_points_at_the_users_line(tmp_path: Path) -> None:
    program = tmp_path / "program.py"
    program.write_text(
        textwrap.dedent(
            """
            import warnings
            import flujo_tuning
            warnings.simplefilter("always")
            with warnings.catch_warnings(record=True) as caught:
                flujo_tuning.resolve(codec="json", hasher="sha256")
                flujo_tuning.apply(profile="default")  # line 7
            print([(w.filename.endswith("program.py"), w.lineno) for w in caught])
            """
        ),
        encoding="utf-8",
    )
    env_typo = {"FLUJO_CODCE": "orjson", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, str(program)], capture_output=True, text=True, check=True, env=env_typo, cwd=tmp_path
    )
    assert "(True, 6)" in done.stdout  # resolve() warned about FLUJO_CODCE at the user's line
    assert "(True, 7)" in done.stdout
