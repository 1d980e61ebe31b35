"""Every bad input yields a ConfigError whose message names its source."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from flujo_tuning import ConfigError, resolve

from ..conftest import deny_reading, write


def _error(**kwargs: object) -> str:
    with pytest.raises(ConfigError) as caught:
        resolve(**kwargs)  # type: ignore[arg-type]
    return str(caught.value)


def test_malformed_pyproject_names_file_line_and_column(project: Path) -> None:
    path = write(project / "pyproject.toml", '[tool.flujo_tuning]\ncodec = "orjson"\nhasher = \n')
    assert _error().startswith(f"{path.resolve()}:3:10: invalid TOML")


def test_malformed_profile_names_file_line_and_column(project: Path) -> None:
    write(project / "pyproject.toml", '[tool.flujo_tuning]\nprofile = "p"\nprofile_dirs = ["d"]\n')
    path = write(project / "d" / "p.toml", 'description = "x"\n\ncodec = "json\n')
    assert re.match(rf"{re.escape(str(path.resolve()))}:3:\d+: invalid TOML", _error())


def test_non_utf8_file_is_named(project: Path) -> None:
    path = project / "pyproject.toml"
    path.write_bytes(b'[tool.flujo_tuning]\ncodec = "\xff"\n')
    message = _error()
    assert str(path.resolve()) in message
    assert "not valid UTF-8" in message


def test_profile_path_that_is_a_directory_is_named(project: Path) -> None:
    write(project / "pyproject.toml", '[tool.flujo_tuning]\nprofile = "p"\nprofile_dirs = ["d"]\n')
    (project / "d" / "p.toml").mkdir(parents=True)
    assert _error() == f"{(project / 'd' / 'p.toml').resolve()}: is a directory, expected a TOML file"


def test_unreadable_profile_is_named(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(project / "pyproject.toml", '[tool.flujo_tuning]\nprofile = "p"\nprofile_dirs = ["d"]\n')
    path = write(project / "d" / "p.toml", 'codec = "json"\n').resolve()
    deny_reading(monkeypatch, path)
    assert _error() == f"{path}: cannot read file: Permission denied"


def test_profile_dir_that_does_not_exist(project: Path) -> None:
    write(project / "pyproject.toml", '[tool.flujo_tuning]\nprofile_dirs = ["missing"]\n')
    assert "'missing'" in _error()
    assert "does not exist" in _error()


def test_unknown_key_in_pyproject_suggests_the_key(project: Path) -> None:
    path = write(project / "pyproject.toml", '[tool.flujo_tuning]\n\ncodecs = "orjson"\n')
    message = _error()
    assert message.startswith(f"{path.resolve()}:3: unknown key 'codecs' in [tool.flujo_tuning]")
    assert "(did you mean 'codec'?)" in message


def test_unknown_key_in_profile_file_suggests_the_key(project: Path) -> None:
    write(project / "pyproject.toml", '[tool.flujo_tuning]\nprofile = "p"\nprofile_dirs = ["d"]\n')
    path = write(project / "d" / "p.toml", 'descripton = "x"\n')
    message = _error()
    assert message.startswith(f"{path.resolve()}:1: unknown key 'descripton' in profile 'p'")
    assert "(did you mean 'description'?)" in message


def test_unknown_key_in_inline_profile_names_its_line(project: Path) -> None:
    path = write(
        project / "pyproject.toml",
        '[tool.flujo_tuning]\nprofile = "p"\n[tool.flujo_tuning.profiles.p]\nhashr = "sha256"\n',
    )
    message = _error()
    assert message.startswith(f"{path.resolve()}:4: unknown key 'hashr' in profile 'p'")
    assert "did you mean 'hasher'" in message


def test_unknown_key_without_near_miss_lists_accepted_keys(project: Path) -> None:
    write(project / "pyproject.toml", "[tool.flujo_tuning]\nzzz = 1\n")
    message = _error()
    assert "did you mean" not in message
    assert "accepted keys: asyncio_debug, buffer_size, codec" in message


def test_tool_flujo_tuning_of_the_wrong_type(project: Path) -> None:
    path = write(project / "pyproject.toml", '[tool]\nflujo_tuning = "fast"\n')
    assert _error() == f"{path.resolve()}:2: [tool.flujo_tuning] must be a table, got str 'fast'"


def test_unknown_profile_lists_available_and_locations(project: Path) -> None:
    write(project / "pyproject.toml", '[tool.flujo_tuning]\nprofile = "thruput"\n')
    message = _error()
    assert "unknown profile 'thruput'" in message
    assert "(did you mean 'throughput'?)" in message
    shipped = "debug, default, ephemeral, low-memory, pinned-state, stdlib, throughput"
    assert f"available profiles: {shipped}" in message
    assert "looked in: [tool.flujo_tuning.profiles] in" in message
    assert "shipped profiles in" in message


def test_unknown_profile_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUJO_PROFILE", "nope")
    assert "unknown profile 'nope' (selected by environment variable FLUJO_PROFILE)" in _error()


def test_profile_name_cannot_escape_the_profile_directories() -> None:
    assert "unknown profile '../../etc/passwd'" in _error(profile="../../etc/passwd")


@pytest.mark.parametrize(
    ("variable", "value", "accepted"),
    [
        ("FLUJO_CODEC", "bogus", "'auto', 'orjson', 'msgspec', 'json'"),
        ("FLUJO_DISABLE_UVLOOP", "maybe", "true/false, 1/0, yes/no, on/off"),
        ("FLUJO_BUFFER_SIZE", "-1", "a size from 256 B to 64 MiB"),
        ("FLUJO_BUFFER_SIZE", "1GiB", "a size from 256 B to 64 MiB"),
        ("FLUJO_BUFFER_SIZE", "12", "a size from 256 B to 64 MiB"),
        ("FLUJO_EVENT_LOOP", "trio", "'auto', 'uvloop', 'asyncio', 'winloop'"),
        ("FLUJO_STRICT", "2", "true/false"),
    ],
)
def test_invalid_env_value_names_variable_value_and_accepted(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, accepted: str
) -> None:
    monkeypatch.setenv(variable, value)
    message = _error()
    assert message.startswith(f"environment variable {variable}: invalid value {value!r}")
    assert accepted in message


def test_invalid_value_gets_a_did_you_mean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUJO_HASHER", "blake")
    assert "(did you mean 'blake3'?)" in _error()


def test_invalid_value_in_profile_names_file_and_line(project: Path) -> None:
    write(project / "pyproject.toml", '[tool.flujo_tuning]\nprofile = "p"\nprofile_dirs = ["d"]\n')
    path = write(project / "d" / "p.toml", 'description = "x"\ntask_factory = "lazy"\n')
    assert _error().startswith(f"{path.resolve()}:2 key 'task_factory' (profile 'p'): invalid value 'lazy'")


def test_unknown_argument_suggests_the_setting() -> None:
    message = _error(codecs="json")
    assert message.startswith("argument 'codecs' is not a setting (did you mean 'codec'?)")


def test_invalid_argument_value() -> None:
    assert _error(hasher=5).startswith("argument hasher: invalid value 5 for hasher")


def test_extends_cycle_names_the_chain(project: Path) -> None:
    write(
        project / "pyproject.toml",
        '[tool.flujo_tuning]\nprofile = "a"\n'
        '[tool.flujo_tuning.profiles.a]\nextends = "b"\n'
        '[tool.flujo_tuning.profiles.b]\nextends = "c"\n'
        '[tool.flujo_tuning.profiles.c]\nextends = "a"\n',
    )
    assert "profile 'extends' cycle: a -> b -> c -> a" in _error()


def test_self_extension_is_a_cycle(project: Path) -> None:
    write(project / "pyproject.toml", '[tool.flujo_tuning.profiles.default]\nextends = "default"\n')
    assert "cycle: default -> default" in _error()


def test_missing_parent_names_the_chain(project: Path) -> None:
    path = write(
        project / "pyproject.toml",
        '[tool.flujo_tuning]\nprofile = "a"\n[tool.flujo_tuning.profiles.a]\nextends = "b"\n'
        '[tool.flujo_tuning.profiles.b]\nextends = "thruput"\n',
    )
    message = _error()
    assert message.startswith(f"{path.resolve()}:6: profile 'b' extends 'thruput', which does not exist")
    assert "chain: a -> b -> thruput" in message
    assert "did you mean 'throughput'" in message


def test_extends_must_be_a_string(project: Path) -> None:
    write(
        project / "pyproject.toml",
        '[tool.flujo_tuning]\nprofile = "a"\n[tool.flujo_tuning.profiles.a]\nextends = 3\n',
    )
    assert "must be a string, got int 3" in _error()


def test_profile_key_inside_a_profile_is_unknown(project: Path) -> None:
    write(
        project / "pyproject.toml",
        '[tool.flujo_tuning]\nprofile = "a"\n[tool.flujo_tuning.profiles.a]\nprofile = "b"\n',
    )
    assert "unknown key 'profile' in profile 'a'" in _error()


def test_profile_dirs_of_the_wrong_type(project: Path) -> None:
    write(project / "pyproject.toml", '[tool.flujo_tuning]\nprofile_dirs = "d"\n')
    assert "profile_dirs': must be a list of directory paths, got 'd'" in _error()


def test_explicit_pyproject_that_does_not_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nope" / "pyproject.toml"
    assert _error(pyproject=missing) == f"{missing}: pyproject file not found (given by argument pyproject)"
    monkeypatch.setenv("FLUJO_PYPROJECT", str(missing))
    assert _error().endswith("(given by env FLUJO_PYPROJECT)")


def test_huge_profile_is_refused_before_parsing(project: Path) -> None:
    write(project / "pyproject.toml", '[tool.flujo_tuning]\nprofile = "big"\nprofile_dirs = ["d"]\n')
    big = write(project / "d" / "big.toml", "# padding\n" * 200_000)
    assert (
        _error()
        == f"{big.resolve()}: file is 2000000 bytes; configuration files are limited to 1048576 bytes (1 MiB)"
    )


def test_config_error_is_a_value_error() -> None:
    assert issubclass(ConfigError, ValueError)


def test_profiles_for_profile_says_which_key_was_meant(project: Path) -> None:
    write(project / "pyproject.toml", '[tool.flujo_tuning]\nprofiles = "throughput"\n')
    message = _error()
    assert "key 'profiles': must be a table of profile tables, got 'throughput'" in message
    assert "(did you mean 'profile', as in profile = 'throughput'?" in message


@pytest.mark.parametrize(
    ("line", "quoted"),
    [("buffer_size = 64KiB", 'buffer_size = "64KiB"'), ("codec = orjson  # fast", 'codec = "orjson"')],
)
def test_an_unquoted_value_says_to_quote_it(project: Path, line: str, quoted: str) -> None:
    write(project / "pyproject.toml", f"[tool.flujo_tuning]\n{line}\n")
    message = _error()
    assert message.startswith(f"{(project / 'pyproject.toml').resolve()}:2:")
    assert "invalid TOML: " in message
    assert message.endswith(f"; quote the value: {quoted}")


def test_a_toml_error_that_is_not_a_bare_value_gets_no_quoting_hint(project: Path) -> None:
    write(project / "pyproject.toml", "[tool.flujo_tuning]\nbuffer_size = 4096 4096\n")
    assert "quote the value" not in _error()


def test_a_missing_optional_backend_in_strict_mode_says_how_to_install_it(
    hide_module: Callable[..., None],
) -> None:
    hide_module("xxhash")
    from flujo_tuning import apply

    with pytest.raises(ConfigError) as caught:
        apply(hasher="xxh3_128", strict=True)
    assert str(caught.value).endswith(
        "xxhash is not installed; strict mode forbids a fallback; pip install 'flujo-tuning[xxhash]'"
    )


def test_a_pyproject_path_that_is_a_directory_names_who_gave_it(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by the fuzz suite: FLUJO_PYPROJECT=/ said only "/: is a directory"."""
    monkeypatch.setenv("FLUJO_PYPROJECT", str(project))
    assert _error() == (
        f"{project}: is a directory, expected a pyproject.toml file (given by env FLUJO_PYPROJECT): "
        f"name the file itself, e.g. {project / 'pyproject.toml'}"
    )
