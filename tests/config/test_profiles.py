"""The shipped profiles: each resolves, says what it is for, and sets what it promises."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flujo_tuning import resolve
from flujo_tuning.config.profiles import shipped_profiles_dir
from flujo_tuning.config.settings import profile_catalog

from ..conftest import write

SHIPPED = ["debug", "default", "ephemeral", "low-memory", "pinned-state", "stdlib", "throughput"]


def test_exactly_the_documented_profiles_are_shipped() -> None:
    assert sorted(p.stem for p in shipped_profiles_dir().glob("*.toml")) == SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_each_shipped_profile_resolves_and_has_a_one_line_description(name: str) -> None:
    settings = resolve(name)
    assert settings.profile == name
    info = profile_catalog().info(name)
    assert info.description
    assert "\n" not in info.description
    installed_file = shipped_profiles_dir() / f"{name}.toml"
    assert info.origin == f"shipped ({installed_file})"
    assert installed_file.is_file()
    assert settings.provenance["buffer_size"] in (f"shipped profile {name!r}", "shipped profile 'default'")


def test_default_is_auto_everywhere() -> None:
    s = resolve("default")
    assert (s.event_loop, s.codec, s.hasher, s.task_factory) == ("auto", "auto", "auto", "default")


def test_throughput_asks_for_eager_tasks_and_big_buffers() -> None:
    s = resolve("throughput")
    assert s.task_factory == "eager"
    assert s.buffer_size == 64 * 1024


def test_low_memory_uses_small_buffers() -> None:
    assert resolve("low-memory").buffer_size == 1024


def test_debug_is_stdlib_asyncio_in_debug_mode_with_perf_debug() -> None:
    s = resolve("debug")
    assert (s.event_loop, s.asyncio_debug, s.perf_debug) == ("asyncio", True, True)


def test_stdlib_uses_no_optional_dependency() -> None:
    s = resolve("stdlib")
    assert (s.event_loop, s.codec, s.hasher, s.task_factory) == ("asyncio", "json", "sha256", "default")
    assert s.profile_chain == ("stdlib",)


def test_catalog_lists_inline_and_dir_profiles(project: Path) -> None:
    write(
        project / "pyproject.toml",
        '[tool.flujo_tuning]\nprofile_dirs = ["d"]\n[tool.flujo_tuning.profiles.inline]\ndescription = "i"\n',
    )
    write(project / "d" / "fromdir.toml", 'description = "from a directory"\nextends = "stdlib"\n')
    catalog = profile_catalog()
    assert catalog.names() == sorted([*SHIPPED, "inline", "fromdir"])
    info = catalog.info("fromdir")
    assert (info.description, info.extends, info.path) == (
        "from a directory",
        "stdlib",
        (project / "d" / "fromdir.toml").resolve(),
    )


# Stacked profiles: merged left to right, the last one wins, from every place a profile is chosen.


def _stacked(settings: object) -> None:
    from flujo_tuning.config.settings import ResolvedSettings

    assert isinstance(settings, ResolvedSettings)
    assert settings.profile == "throughput,ephemeral"
    assert settings.profile_chain == ("ephemeral", "throughput", "default")
    assert (settings.task_factory, int(settings.buffer_size)) == ("eager", 65536)  # from throughput
    assert (settings.state_backend, settings.tracing) == ("memory", "off")  # from ephemeral
    assert settings.provenance["task_factory"] == "shipped profile 'throughput'"
    assert settings.provenance["state_backend"] == "shipped profile 'ephemeral'"
    assert settings.provenance["event_loop"] == "shipped profile 'default'"
    assert settings.selection() == (
        "profiles throughput + ephemeral, merged left to right "
        "(values from ephemeral, then throughput, then default)"
    )


def test_a_stack_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUJO_PROFILE", " throughput , ephemeral ")
    _stacked(resolve())


def test_a_stack_from_a_list_in_pyproject(project: Path) -> None:
    write(project / "pyproject.toml", '[tool.flujo_tuning]\nprofile = ["throughput", "ephemeral"]\n')
    _stacked(resolve())


def test_a_stack_from_apply_and_its_environ_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    import flujo_tuning

    tuning = flujo_tuning.apply(["throughput", "ephemeral"])
    _stacked(tuning.settings)
    for name, value in tuning.environ().items():
        monkeypatch.setenv(name, value)
    assert flujo_tuning.preview().fingerprint == tuning.fingerprint


def test_the_last_profile_of_a_stack_wins_and_shared_parents_never_undo_an_earlier_one() -> None:
    settings = resolve("debug,low-memory")  # low-memory extends default; debug sets the loop
    assert settings.event_loop == "asyncio"  # debug's, not undone by default under low-memory
    assert int(settings.buffer_size) == 1024  # low-memory's
    assert resolve("low-memory,throughput").buffer_size == 65536  # the last one wins


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("throughput,,ephemeral", "profile must be a non-empty name, or names separated by commas"),
        ("throughput,throughput", "profile 'throughput' is listed twice"),
        (
            "throughput,ephemral",
            "unknown profile 'ephemral' (selected by environment variable FLUJO_PROFILE) (did you mean"
            " 'ephemeral'?)",
        ),
    ],
)
def test_a_bad_stack_is_refused_naming_its_source(
    monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    from flujo_tuning import ConfigError

    monkeypatch.setenv("FLUJO_PROFILE", value)
    with pytest.raises(ConfigError, match=re.escape(message)):
        resolve()


def test_a_list_with_a_non_name_in_pyproject_is_refused(project: Path) -> None:
    from flujo_tuning import ConfigError

    write(project / "pyproject.toml", '[tool.flujo_tuning]\nprofile = ["throughput", 3]\n')
    with pytest.raises(
        ConfigError, match=r"profile must be a name or a list of names, got \['throughput', 3\]"
    ):
        resolve()
