"""The shipped profiles: each resolves, says what it is for, and sets what it promises."""

from __future__ import annotations

from pathlib import Path

import pytest

from flujo_tuning import resolve
from flujo_tuning.config.profiles import shipped_profiles_dir
from flujo_tuning.config.settings import profile_catalog

from ..conftest import write

SHIPPED = ["debug", "default", "ephemeral", "low-memory", "stdlib", "throughput"]


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
