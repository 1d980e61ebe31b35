"""One output layer for every command: warnings and errors as lines of one shape on stderr, the
source of every bad value named, help that says what a new user needs (issue: the first hour)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import eager_offered, run_on_terminal, write

SETTINGS_COMMANDS = [["explain"], ["fingerprint"], ["diff", "default", "stdlib"], ["check"]]


def flujo(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("FLUJO_") and k != "PYTHONWARNINGS"}
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "flujo_tuning", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write(
        tmp_path / "pyproject.toml", '[project]\nname = "app"\n\n[tool.flujo_tuning]\nprofile = "default"\n'
    )
    return tmp_path


@pytest.mark.parametrize("command", SETTINGS_COMMANDS, ids=lambda c: c[0])
def test_a_typo_in_a_variable_is_a_warning_line_from_every_command(command: list[str], project: Path) -> None:
    done = flujo(*command, cwd=project, env={"FLUJO_CODCE": "orjson"})
    assert done.returncode == (1 if command == ["check"] else 0), done.stderr  # check: a problem
    typo = "environment variable FLUJO_CODCE is not a flujo_tuning setting (did you mean 'FLUJO_CODEC'?)"
    expected = f"warning: {typo}"
    assert done.stderr.splitlines().count(expected) == 1
    assert "ConfigWarning" not in done.stderr  # not Python's file:line: Category form
    assert "sys.exit(main())" not in done.stderr


@pytest.mark.parametrize("command", [*SETTINGS_COMMANDS, ["profiles"]], ids=lambda c: c[0])
def test_a_missing_pyproject_names_who_gave_it(command: list[str], project: Path) -> None:
    done = flujo(*command, cwd=project, env={"FLUJO_PYPROJECT": "/nope/pyproject.toml"})
    assert done.returncode == 1
    assert (
        "error: /nope/pyproject.toml: pyproject file not found (given by env FLUJO_PYPROJECT)" in done.stderr
    )
    by_option = flujo(*command, "--pyproject", "/nope/pyproject.toml", cwd=project)
    assert "(given by option --pyproject)" in by_option.stderr


def test_pyproject_option_reads_another_project(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    other = tmp_path_factory.mktemp("other")
    write(other / "pyproject.toml", '[tool.flujo_tuning]\nprofile = "stdlib"\n')
    done = flujo("explain", "--json", "--pyproject", str(other / "pyproject.toml"), cwd=project)
    assert done.returncode == 0, done.stderr
    assert '"profile": "stdlib"' in done.stdout


def test_a_fraction_of_a_byte_is_refused_not_truncated(project: Path) -> None:
    done = flujo("explain", cwd=project, env={"FLUJO_BUFFER_SIZE": "4096.5"})
    assert done.returncode == 1
    assert "environment variable FLUJO_BUFFER_SIZE: invalid value '4096.5'" in done.stderr
    assert "not a whole number of bytes (4096.5)" in done.stderr
    whole = flujo("explain", "--json", cwd=project, env={"FLUJO_BUFFER_SIZE": "4.5KiB"})
    assert '"value": 4608' in whole.stdout


def test_every_problem_of_a_multi_line_error_has_the_error_prefix(project: Path) -> None:
    write(project / "pyproject.toml", '[tool.flujo_tuning]\ncodec = "fast"\nhasher = "quick"\n')
    done = flujo("explain", cwd=project)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2
    assert all(line.startswith("error: ") for line in lines)


def test_bench_errors_have_the_same_shape(project: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flujo_tuning.bench", "--profiles", "stdlib"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: --profiles needs at least two profiles")


def test_strict_check_on_an_old_python_says_what_to_use_instead(project: Path) -> None:
    write(
        project / "pyproject.toml",
        '[tool.flujo_tuning]\nprofile = "api"\n\n[tool.flujo_tuning.profiles.api]\nextends = "throughput"\n',
    )
    done = flujo("check", "--strict", "--all", cwd=project)
    if eager_offered():
        assert done.returncode == 0, done.stderr
        return
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 2  # two profiles fail: two errors, each naming its profile
    assert errors[0].startswith(
        "error: profile 'api' (extends 'throughput', 'default'): task_factory 'eager'"
    )
    assert errors[1].startswith("error: profile 'throughput' (extends 'default'): task_factory 'eager'")
    fix = (
        "use a profile without eager tasks (such as 'default')"
        if sys.version_info < (3, 12)
        else "event_loop = 'asyncio' keeps eager tasks there"
    )
    assert all(fix in line for line in errors)


def test_help_names_the_variables_and_the_pyproject_option(project: Path) -> None:
    for command in ("explain", "check", "calibrate", "fingerprint", "diff", "profiles"):
        done = flujo(command, "--help", cwd=project)
        assert "FLUJO_PYPROJECT" in done.stdout, command
        assert "NO_COLOR" in done.stdout, command
        assert "--pyproject PATH" in done.stdout, command
    diff = flujo("diff", "--help", cwd=project).stdout
    assert "PROFILE_A" in diff
    assert "the profile to compare from" in diff
    calibrate = flujo("calibrate", "--help", cwd=project).stdout
    for promise in ("except debug", "stdlib always run", "up to 15", "pyproject.toml", "--accept-trade-offs"):
        assert promise in " ".join(calibrate.split()), promise


def test_explain_never_cuts_a_value_on_an_80_column_terminal(project: Path) -> None:
    value = "sqlite:///var/lib/app/state.db"
    write(project / "pyproject.toml", f'[tool.flujo_tuning]\nstate_backend = "{value}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUJO_")}
    drawn = run_on_terminal([sys.executable, "-m", "flujo_tuning", "explain"], project, env, columns=80)
    text = re.sub(r"\x1b\[[0-9;]*m", "", drawn.decode())
    assert "state_backend" in text
    assert "…" not in text  # rich's ellipsis: a cut value
    assert max(len(line.rstrip("\r")) for line in text.splitlines()) <= 80
    column = text.index(value[:10])  # folded: the rest of the value continues on the next lines
    assert value[:10] in text
    assert text[column:].replace(" ", "").replace("\r\n", "").startswith(value[:20])


@pytest.mark.parametrize("form", ["shell", "dotenv", "json"])
def test_env_written_out_reproduces_the_fingerprint_elsewhere(
    form: str, project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    import json as json_module
    import shlex

    write(project / "pyproject.toml", '[tool.flujo_tuning]\nprofile = "low-memory"\nhasher = "sha256"\n')
    here = flujo("fingerprint", cwd=project).stdout.strip()
    printed = flujo("env", "--format", form, cwd=project)
    assert printed.returncode == 0, printed.stderr
    if form == "json":
        variables = json_module.loads(printed.stdout)
    else:
        lines = [line.removeprefix("export ") for line in printed.stdout.splitlines()]
        variables = {
            name: shlex.split(value)[0] if value else ""
            for name, _, value in (line.partition("=") for line in lines)
        }
    assert variables["FLUJO_PROFILE"] == "low-memory"
    assert variables["FLUJO_HASHER"] == "sha256"
    elsewhere = tmp_path_factory.mktemp("elsewhere")  # another directory, no pyproject.toml of its own
    there = flujo("fingerprint", cwd=elsewhere, env=variables).stdout.strip()
    assert there == here


def test_piped_output_carries_no_padding(project: Path) -> None:
    for command in (["explain"], ["profiles"], ["diff", "default", "stdlib"]):
        done = flujo(*command, cwd=project)
        assert done.returncode == 0, done.stderr
        padded = [line for line in done.stdout.splitlines() if line != line.rstrip()]
        assert padded == [], command
