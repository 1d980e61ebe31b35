"""resolve(): values and provenance for every source and every precedence pair."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import flujo_tuning
from flujo_tuning import ConfigError, ConfigWarning, resolve

from ..conftest import write

LEVELS = ["argument", "env", "pyproject", "profile", "parent"]


def _setup(project: Path, monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> dict[str, Any]:
    """Put ``codec = values[level]`` into each named level; return resolve() kwargs."""

    def line(level: str) -> str:
        return f'codec = "{values[level]}"\n' if level in values else ""

    write(
        project / "pyproject.toml",
        "[tool.flujo_tuning]\n"
        'profile = "mine"\n'
        + line("pyproject")
        + '[tool.flujo_tuning.profiles.mine]\nextends = "base"\n'
        + line("profile")
        + "[tool.flujo_tuning.profiles.base]\n"
        + 'description = "parent"\n'
        + line("parent"),
    )
    if "env" in values:
        monkeypatch.setenv("FLUJO_CODEC", values["env"])
    return {"codec": values["argument"]} if "argument" in values else {}


def _label(level: str, project: Path) -> str:
    pyproject = project / "pyproject.toml"
    return {
        "argument": "argument",
        "env": "env FLUJO_CODEC",
        "pyproject": f"pyproject.toml [tool.flujo_tuning] ({pyproject})",
        "profile": f"profile 'mine' (pyproject.toml [tool.flujo_tuning.profiles.mine], {pyproject})",
        "parent": f"profile 'base' (pyproject.toml [tool.flujo_tuning.profiles.base], {pyproject})",
    }[level]


@pytest.mark.parametrize(("higher", "lower"), list(itertools.combinations(LEVELS, 2)))
def test_higher_source_wins_each_pair(
    project: Path, monkeypatch: pytest.MonkeyPatch, higher: str, lower: str
) -> None:
    kwargs = _setup(project, monkeypatch, {higher: "orjson", lower: "msgspec"})
    settings = resolve(**kwargs)
    assert settings.codec == "orjson"
    assert settings.provenance["codec"] == _label(higher, project)


@pytest.mark.parametrize("level", LEVELS)
def test_each_source_beats_default(project: Path, monkeypatch: pytest.MonkeyPatch, level: str) -> None:
    kwargs = _setup(project, monkeypatch, {level: "msgspec"})
    settings = resolve(**kwargs)
    assert settings.codec == "msgspec"
    assert settings.provenance["codec"] == _label(level, project)


def test_defaults_without_any_source_but_shipped_default_profile() -> None:
    settings = resolve()
    assert settings.profile == "default"
    assert settings.provenance["profile"] == "default"
    assert settings.provenance["codec"] == "shipped profile 'default'"
    assert settings.provenance["strict"] == "default"
    assert (settings.codec, settings.event_loop, settings.hasher) == ("auto", "auto", "auto")
    assert settings.buffer_size == 4096


def test_profile_selected_by_argument_env_and_pyproject(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project / "pyproject.toml", '[tool.flujo_tuning]\nprofile = "debug"\n')
    assert resolve().profile == "debug"
    assert resolve().provenance["profile"].startswith("pyproject.toml [tool.flujo_tuning]")
    monkeypatch.setenv("FLUJO_PROFILE", "stdlib")
    assert resolve().profile == "stdlib"
    assert resolve().provenance["profile"] == "env FLUJO_PROFILE"
    settings = resolve("throughput")
    assert settings.profile == "throughput"
    assert settings.provenance["profile"] == "argument"
    assert settings.task_factory == "eager"


def test_extends_chain_is_followed_and_reported() -> None:
    settings = resolve("throughput")
    assert settings.profile_chain == ("throughput", "default")
    assert settings.provenance["task_factory"] == "shipped profile 'throughput'"
    assert settings.provenance["codec"] == "shipped profile 'default'"


def test_profile_dirs_are_searched_before_shipped_profiles(project: Path) -> None:
    write(project / "pyproject.toml", '[tool.flujo_tuning]\nprofile_dirs = ["tuning"]\n')
    path = write(project / "tuning" / "default.toml", 'description = "mine"\ncodec = "json"\n')
    settings = resolve()
    assert settings.codec == "json"
    assert settings.provenance["codec"] == f"profile 'default' ({path.resolve()})"


def test_inline_profile_can_extend_a_shipped_profile(project: Path) -> None:
    write(
        project / "pyproject.toml",
        (
            '[tool.flujo_tuning]\nprofile = "fast"\n'
            '[tool.flujo_tuning.profiles.fast]\nextends = "throughput"\nhasher = "blake2b"\n'
        ),
    )
    settings = resolve()
    assert (settings.hasher, settings.task_factory) == ("blake2b", "eager")
    assert settings.profile_chain == ("fast", "throughput", "default")


def test_pyproject_found_in_a_parent_directory(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(project / "pyproject.toml", '[tool.flujo_tuning]\ncodec = "json"\n')
    (project / "src" / "deep").mkdir(parents=True)
    monkeypatch.chdir(project / "src" / "deep")
    assert resolve().codec == "json"


def test_pyproject_path_by_argument_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = write(tmp_path / "elsewhere" / "pyproject.toml", '[tool.flujo_tuning]\nhasher = "sha256"\n')
    assert resolve(pyproject=elsewhere).hasher == "sha256"
    monkeypatch.setenv("FLUJO_PYPROJECT", str(elsewhere))
    assert resolve().hasher == "sha256"


def test_pyproject_without_our_table_is_fine(project: Path) -> None:
    write(project / "pyproject.toml", '[project]\nname = "x"\n')
    assert resolve().codec == "auto"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(4096, 4096), ("4KiB", 4096), ("64 KB", 64000), ("1MiB", 1048576), (" 2KiB ", 2048), ("256", 256)],
)
def test_buffer_size_accepts_sizes(raw: object, expected: int) -> None:
    assert resolve(buffer_size=raw).buffer_size == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("True", True),
        (" yes ", True),
        ("on", True),
        ("0", False),
        ("off", False),
        ("FALSE", False),
        ("no", False),
    ],
)
def test_env_booleans_accept_common_spellings(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool
) -> None:
    monkeypatch.setenv("FLUJO_PERF_DEBUG", raw)
    settings = resolve()
    assert settings.perf_debug is expected
    assert settings.provenance["perf_debug"] == "env FLUJO_PERF_DEBUG"


def test_env_names_are_case_and_blank_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUJO_CODEC", "  ORJSON ")
    assert resolve().codec == "orjson"


def test_empty_env_value_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUJO_CODEC", "")
    settings = resolve()
    assert settings.codec == "auto"
    assert settings.provenance["codec"] != "env FLUJO_CODEC"


def test_disable_uvloop_overrides_a_pyproject_request_in_the_decision_which_keeps_what_was_asked(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from flujo_tuning import apply

    write(project / "pyproject.toml", '[tool.flujo_tuning]\nevent_loop = "uvloop"\nstrict = true\n')
    monkeypatch.setenv("FLUJO_DISABLE_UVLOOP", "1")
    settings = resolve()
    assert (settings.event_loop, settings.disable_uvloop) == ("uvloop", True)
    assert settings.provenance["event_loop"].startswith("pyproject.toml [tool.flujo_tuning]")
    tuning = apply()  # strict: an override is not a fallback
    decision = tuning.decision("event_loop")
    assert (decision.requested, decision.choice, decision.fallback) == ("uvloop", "asyncio", False)
    assert decision.source == settings.provenance["event_loop"]
    assert decision.reason.startswith(
        "uvloop is disabled by env FLUJO_DISABLE_UVLOOP, which overrides pyproject.toml [tool.flujo_tuning]"
    )
    loop = tuning.loop_factory()
    try:
        assert type(loop) is asyncio.SelectorEventLoop
    finally:
        loop.close()


def test_disable_uvloop_leaves_auto_for_the_decision(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUJO_DISABLE_UVLOOP", "1")
    settings = resolve()
    assert (settings.event_loop, settings.disable_uvloop) == ("auto", True)


def test_disable_uvloop_with_explicit_uvloop_argument_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUJO_DISABLE_UVLOOP", "1")
    with pytest.raises(
        ConfigError, match=r"argument event_loop asks for 'uvloop' but env FLUJO_DISABLE_UVLOOP"
    ):
        resolve(event_loop="uvloop")


def test_disable_uvloop_with_explicit_uvloop_env_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUJO_DISABLE_UVLOOP", "true")
    monkeypatch.setenv("FLUJO_EVENT_LOOP", "uvloop")
    with pytest.raises(ConfigError, match="environment variable FLUJO_EVENT_LOOP asks for 'uvloop'"):
        resolve()


def test_perf_debug_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUJO_PERF_DEBUG", "1")
    assert resolve().perf_debug is True


def test_resolved_settings_are_immutable() -> None:
    settings = resolve()
    with pytest.raises(Exception, match="frozen"):
        settings.codec = "json"
    with pytest.raises(TypeError):
        settings.provenance["codec"] = "x"  # type: ignore[index]


def test_resolve_is_deterministic_and_round_trips() -> None:
    first = resolve("throughput")
    again = resolve(**first.values())
    assert again.values() == first.values()


def test_unrelated_flujo_variables_are_ignored_silently(
    monkeypatch: pytest.MonkeyPatch, recwarn: pytest.WarningsRecorder
) -> None:
    monkeypatch.setenv("FLUJO_API_KEY", "secret")
    resolve()
    assert not [w for w in recwarn if issubclass(w.category, ConfigWarning)]


def test_env_typo_warns_with_the_intended_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUJO_DISABLE_UVLOP", "1")
    with pytest.warns(
        ConfigWarning,
        match="FLUJO_DISABLE_UVLOP is not a flujo_tuning setting.*did you mean 'FLUJO_DISABLE_UVLOOP'",
    ):
        resolve()


def test_env_typo_is_an_error_in_strict_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUJO_CODCE", "json")
    with pytest.raises(ConfigError, match=r"FLUJO_CODCE.*did you mean 'FLUJO_CODEC'.*strict"):
        resolve(strict=True)


def test_public_names_resolve_lazily() -> None:
    assert flujo_tuning.resolve is resolve
    assert issubclass(flujo_tuning.ConfigError, ValueError)


SETTING_VALUES = st.fixed_dictionaries(
    {},
    optional={
        "event_loop": st.sampled_from(["auto", "uvloop", "asyncio", "winloop"]),
        "task_factory": st.sampled_from(["default", "eager"]),
        "codec": st.sampled_from(["auto", "orjson", "msgspec", "json"]),
        "hasher": st.sampled_from(["auto", "blake3", "blake2b", "sha256", "xxh3_128"]),
        "buffer_size": st.integers(min_value=256, max_value=64 * 1024 * 1024),
        "perf_debug": st.booleans(),
        "asyncio_debug": st.booleans(),
        "strict": st.booleans(),
        "disable_uvloop": st.just(False),
    },
)


@settings(max_examples=100, deadline=None)
@given(
    values=SETTING_VALUES, profile=st.sampled_from(["default", "throughput", "low-memory", "debug", "stdlib"])
)
def test_settings_round_trip_through_resolve(values: dict[str, Any], profile: str) -> None:
    first = resolve(profile, **values)
    for name, value in values.items():
        assert getattr(first, name) == value
        assert first.provenance[name] == "argument"
    again = resolve(**first.values())
    assert again.values() == first.values()
    assert again == resolve(**first.values())  # deterministic, provenance included


@pytest.mark.parametrize(
    ("raw", "disabled"),
    [("True", True), ("yes", True), ("1", True), (" on ", True), ("0", False), ("off", False), ("NO", False)],
)
def test_disable_uvloop_spellings(monkeypatch: pytest.MonkeyPatch, raw: str, disabled: bool) -> None:
    monkeypatch.setenv("FLUJO_DISABLE_UVLOOP", raw)
    assert resolve().disable_uvloop is disabled


def test_empty_disable_uvloop_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUJO_DISABLE_UVLOOP", "")
    settings_ = resolve()
    assert settings_.disable_uvloop is False
    assert settings_.provenance["disable_uvloop"] == "default"
