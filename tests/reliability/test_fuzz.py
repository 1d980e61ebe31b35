"""Random configuration either resolves or raises ConfigError: never another exception, never a hang."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flujo_tuning import ConfigError, ConfigWarning, resolve
from flujo_tuning.config.settings import SETTING_NAMES, env_var

FUZZ = settings(
    max_examples=300,
    deadline=2000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

KEYS = st.sampled_from(
    [*SETTING_NAMES, "profile_dirs", "profiles", "description", "extends", "codecs", "Codec", ""]
)
SCALARS = (
    st.text(max_size=10)
    | st.sampled_from(
        ["auto", "orjson", "eager", "uvloop", "4KiB", "1GiB", "default", "throughput", "yes", "-1"]
    )
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.booleans()
    | st.floats(allow_nan=True)
)
VALUES = st.recursive(
    SCALARS, lambda c: st.lists(c, max_size=3) | st.dictionaries(KEYS, c, max_size=3), max_leaves=8
)
TABLES = st.dictionaries(KEYS, VALUES, max_size=6)
ENV_NAMES = st.sampled_from(
    [env_var(n) for n in SETTING_NAMES] + ["FLUJO_PYPROJECT", "FLUJO_DISABLE_UVLOP", "FLUJO_CODCE", "FLUJO_X"]
)
ENV_VALUES = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF, exclude_characters="\x7f"), max_size=12
)


#: Every ConfigError names where the bad value was written: one of these appears in it.
SOURCE_MARKS = ("environment variable FLUJO_", "argument", "pyproject", "profile", ".toml")
PROVENANCE_FORMS = (
    "argument",
    "env FLUJO_",
    "pyproject.toml [tool.flujo_tuning]",
    "profile '",
    "shipped profile '",
)


def _outcome(**kwargs: Any) -> str:
    """Resolve; check the content of what came back (an error naming its source, or settings
    whose provenance is complete and which round-trip through resolve())."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConfigWarning)
        try:
            settings = resolve(**kwargs)
        except ConfigError as exc:
            message = str(exc)
            assert message.strip(), "an empty ConfigError"
            assert any(mark in message for mark in SOURCE_MARKS), message
            return "error"
        assert set(settings.provenance) == set(SETTING_NAMES)
        for label in settings.provenance.values():
            assert label == "default" or label.startswith(PROVENANCE_FORMS), label
        # Arguments outrank every other source, so passing the values back gives them back, except
        # where disable_uvloop overrides a profile's uvloop: as arguments that is a contradiction.
        if not (settings.disable_uvloop and settings.event_loop in ("uvloop", "winloop")):
            assert resolve(**settings.values()).values() == settings.values()
    return "resolved"


@FUZZ
@given(table=TABLES, profiles=st.dictionaries(st.text(max_size=6), TABLES, max_size=3))
def test_random_pyproject_tables(
    project: Path, count: Callable[[str, int], None], table: dict[str, Any], profiles: dict[str, Any]
) -> None:
    document = {"tool": {"flujo_tuning": {**table, **({"profiles": profiles} if profiles else {})}}}
    (project / "pyproject.toml").write_text(tomli_w.dumps(document), encoding="utf-8")
    assert _outcome() in {"error", "resolved"}
    count("random pyproject.toml tables", 1)


@FUZZ
@given(text=st.text(max_size=200))
def test_random_pyproject_text(project: Path, count: Callable[[str, int], None], text: str) -> None:
    (project / "pyproject.toml").write_text(
        "[tool.flujo_tuning]\n" + text, encoding="utf-8", errors="surrogatepass"
    )
    assert _outcome() in {"error", "resolved"}
    count("random pyproject.toml texts", 1)


@FUZZ
@given(data=st.binary(max_size=200))
def test_random_profile_bytes(project: Path, count: Callable[[str, int], None], data: bytes) -> None:
    (project / "pyproject.toml").write_text('[tool.flujo_tuning]\nprofile = "p"\nprofile_dirs = ["d"]\n')
    (project / "d").mkdir(exist_ok=True)
    (project / "d" / "p.toml").write_bytes(data)
    assert _outcome() in {"error", "resolved"}
    count("random profile files (bytes)", 1)


@FUZZ
@given(environment=st.dictionaries(ENV_NAMES, ENV_VALUES, max_size=6), strict=st.booleans())
def test_random_flujo_environments(
    count: Callable[[str, int], None], environment: dict[str, str], strict: bool
) -> None:
    with mock.patch.dict(os.environ, environment):
        assert _outcome(**({"strict": True} if strict else {})) in {"error", "resolved"}
    count("random FLUJO_* environments", 1)
