"""The real ``flujo-tuning`` console script, driven in subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flujo_tuning import __version__

from ..conftest import eager_offered, write

SCRIPT = Path(sys.executable).with_name("flujo-tuning")


def flujo(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLUJO_")}
    return subprocess.run(
        [str(SCRIPT), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**clean, **(env or {})},
        check=False,
    )


@pytest.fixture
def tuned_project(project: Path) -> Path:
    """A project with its own pyproject.toml, an inline profile and a profile directory."""
    write(
        project / "pyproject.toml",
        '[project]\nname = "demo"\n\n[tool.flujo_tuning]\nprofile = "fast"\nprofile_dirs = ["tuning"]\n'
        '[tool.flujo_tuning.profiles.fast]\ndescription = "Throughput with sha256 keys."\n'
        'extends = "throughput"\nhasher = "sha256"\n',
    )
    write(
        project / "tuning" / "lean.toml",
        'description = "Tiny buffers."\nextends = "default"\nbuffer_size = 512\n',
    )
    return project


def test_the_console_script_is_installed() -> None:
    assert SCRIPT.exists()


def test_version_and_help(project: Path) -> None:
    version = flujo("--version", cwd=project)
    assert (version.returncode, version.stdout.strip()) == (0, f"flujo-tuning {__version__}")
    help_text = flujo("--help", cwd=project)
    assert help_text.returncode == 0
    for command in ("explain", "profiles", "check", "bench", "diff"):
        assert command in help_text.stdout
    assert "exit codes: 0 success, 1 configuration error or problems found, 2 usage" in help_text.stdout
    assert "130 interrupted (Ctrl-C), 141 stdout closed by its reader" in help_text.stdout
    for command in ("explain", "profiles", "check", "bench", "diff"):
        sub = flujo(command, "--help", cwd=project)
        assert sub.returncode == 0
        assert "example:" in sub.stdout


def test_python_dash_m_is_the_same_command(project: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "flujo_tuning", "--version"],
        capture_output=True,
        text=True,
        cwd=project,
        check=True,
    )
    assert run.stdout.strip() == f"flujo-tuning {__version__}"


def test_explain_in_a_project_shows_values_sources_and_decisions(tuned_project: Path) -> None:
    run = flujo("explain", cwd=tuned_project)
    assert run.returncode == 0, run.stderr
    assert "profile 'fast' (fast -> throughput -> default)" in run.stdout
    assert "pyproject.toml [tool.flujo_tuning.profiles.fast]" in run.stdout
    assert "decisions apply() would make here" in run.stdout
    assert "nothing was installed" in run.stdout
    assert "\x1b[" not in run.stdout  # no colour when not a terminal


def test_explain_json_has_the_documented_keys(tuned_project: Path) -> None:
    run = flujo("explain", "--json", cwd=tuned_project, env={"FLUJO_CODEC": "json"})
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    assert {"profile", "settings", "decisions"} <= set(document)
    assert document["profile"] == "fast"
    pyproject = (tuned_project / "pyproject.toml").resolve()
    assert document["settings"]["hasher"] == {
        "value": "sha256",
        "source": f"profile 'fast' (pyproject.toml [tool.flujo_tuning.profiles.fast], {pyproject})",
    }
    assert document["settings"]["codec"] == {"value": "json", "source": "env FLUJO_CODEC"}
    codec = next(d for d in document["decisions"] if d["component"] == "codec")
    assert (codec["requested"], codec["choice"], codec["source"]) == ("json", "json", "env FLUJO_CODEC")


def test_explain_with_profile_option(project: Path) -> None:
    run = flujo("explain", "--profile", "stdlib", "--json", cwd=project)
    settings = json.loads(run.stdout)["settings"]
    assert settings["codec"]["value"] == "json"
    assert settings["profile"] == {"value": "stdlib", "source": "option --profile"}


def test_explain_help_says_it_shows_the_profile_this_project_selects(project: Path) -> None:
    run = flujo("explain", "--help", cwd=project)
    assert "the profile this project selects" in " ".join(run.stdout.split())
    assert "default profile resolves" not in run.stdout


def test_profiles_lists_shipped_inline_and_directory_profiles(tuned_project: Path) -> None:
    run = flujo("profiles", "--json", cwd=tuned_project)
    assert run.returncode == 0, run.stderr
    listed = {p["name"]: p for p in json.loads(run.stdout)}
    assert {"default", "throughput", "stdlib", "debug", "low-memory", "fast", "lean"} <= set(listed)
    assert listed["fast"]["extends"] == "throughput"
    assert "[tool.flujo_tuning.profiles.fast]" in listed["fast"]["defined_in"]
    assert listed["lean"]["defined_in"].endswith("tuning/lean.toml")
    assert listed["lean"]["description"] == "Tiny buffers."
    table = flujo("profiles", cwd=tuned_project)
    assert "Tiny buffers." in table.stdout


def test_check_covers_what_the_project_selects_or_defines(tuned_project: Path) -> None:
    run = flujo("check", cwd=tuned_project)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "ok: 2 profile(s) checked: fast, lean\n"
    everything = flujo("check", "--all", cwd=tuned_project)
    assert everything.stdout.startswith(
        "ok: 9 profile(s) checked: debug, default, ephemeral, fast, lean, low-memory, pinned-state"
    )
    one = flujo("check", "--profile", "stdlib", cwd=tuned_project)
    assert one.stdout == "ok: 1 profile(s) checked: stdlib\n"


def test_check_strict_passes_in_an_empty_directory_on_every_python(project: Path) -> None:
    # The shipped throughput profile asks for eager tasks, which 3.10/3.11 lack: not this project's.
    run = flujo("check", "--strict", cwd=project)
    assert (run.returncode, run.stdout, run.stderr) == (0, "ok: 1 profile(s) checked: default\n", "")


def test_check_strict_all_fails_on_a_shipped_profile_only_where_it_cannot_apply(project: Path) -> None:
    run = flujo("check", "--strict", "--all", cwd=project)
    if eager_offered():
        assert run.returncode == 0, run.stderr
    else:  # before 3.12, and on uvloop with 3.13
        assert run.returncode == 1
        assert "task_factory 'eager' (from shipped profile 'throughput') is not available" in run.stderr


def test_check_shows_a_warning_once_however_many_profiles_it_checks(tuned_project: Path) -> None:
    run = flujo("check", "--all", cwd=tuned_project, env={"FLUJO_DISABLE_UVLOP": "1"})
    assert run.returncode == 1  # a setting that is not used as written is a problem to check
    assert run.stderr.count("FLUJO_DISABLE_UVLOP") == 1


def test_check_reports_a_misnamed_pyproject_table(project: Path) -> None:
    write(project / "pyproject.toml", '[tool.flujo-tuning]\ncodec = "json"\n')
    lenient = flujo("check", cwd=project)
    assert lenient.returncode == 1  # the configuration is not used as written: a problem to check
    assert "table [tool.flujo-tuning] is not read by flujo_tuning (did you mean [tool.flujo_tuning]?)" in (
        lenient.stderr
    )
    assert "error: 1 warning(s) above: the configuration is not used as written" in lenient.stderr
    assert lenient.stdout == ""
    assert flujo("check", "--strict", cwd=project).returncode == 1


def test_check_finds_a_broken_profile_that_is_not_selected(tuned_project: Path) -> None:
    bad = write(tuned_project / "tuning" / "broken.toml", 'descripton = "typo"\n')
    run = flujo("check", cwd=tuned_project)
    assert run.returncode == 1
    assert f"{bad.resolve()}:1: unknown key 'descripton'" in run.stderr
    assert "did you mean 'description'" in run.stderr
    assert run.stdout == ""


def test_check_reports_bad_environment_values(tuned_project: Path) -> None:
    run = flujo("check", cwd=tuned_project, env={"FLUJO_BUFFER_SIZE": "huge"})
    assert run.returncode == 1
    assert "environment variable FLUJO_BUFFER_SIZE: invalid value 'huge'" in run.stderr


def test_check_fails_on_an_env_typo_in_both_modes(tuned_project: Path) -> None:
    lenient = flujo("check", cwd=tuned_project, env={"FLUJO_DISABLE_UVLOP": "1"})
    assert lenient.returncode == 1
    assert "warning: environment variable FLUJO_DISABLE_UVLOP" in lenient.stderr
    strict = flujo("check", "--strict", cwd=tuned_project, env={"FLUJO_DISABLE_UVLOP": "1"})
    assert strict.returncode == 1
    assert "did you mean 'FLUJO_DISABLE_UVLOOP'" in strict.stderr


def test_check_strict_fails_on_a_backend_that_is_missing(project: Path) -> None:
    write(project / "pyproject.toml", '[tool.flujo_tuning]\nevent_loop = "winloop"\n')
    assert flujo("check", cwd=project).returncode == 0  # a logged fallback
    strict = flujo("check", "--strict", cwd=project)
    assert strict.returncode == 1
    assert "event_loop 'winloop'" in strict.stderr


def test_diff_shows_only_what_differs(project: Path) -> None:
    run = flujo("diff", "default", "stdlib", cwd=project)
    assert run.returncode == 0, run.stderr
    assert "codec" in run.stdout
    assert "asyncio_debug" not in run.stdout
    same = flujo("diff", "default", "default", cwd=project)
    assert "resolve to the same settings and decisions" in same.stdout


def test_diff_shows_decisions_that_differ_in_effect_and_marks_fallbacks(project: Path) -> None:
    run = flujo("diff", "default", "throughput", cwd=project)
    assert run.returncode == 0, run.stderr
    decisions = run.stdout.split("decisions that differ in effect")[1]
    if sys.version_info >= (3, 12):
        assert "task_factory" in decisions
        assert "eager" in decisions
    else:  # both run asyncio's default factory: no row, but the fallback is said
        assert "task_factory" not in decisions.split("fallback:")[0]
        assert "fallback: throughput asks task_factory 'eager' but runs 'default' here, as default does" in (
            run.stdout
        )


def test_config_errors_exit_1_and_usage_errors_exit_2(project: Path) -> None:
    unknown = flujo("explain", "--profile", "thruput", cwd=project)
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("error: unknown profile 'thruput'")
    assert flujo("frobnicate", cwd=project).returncode == 2
    assert flujo("diff", "default", cwd=project).returncode == 2


def test_bench_quick_markdown(project: Path) -> None:
    run = flujo("bench", "--quick", "--markdown", "--profiles", "stdlib,default", cwd=project)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("| Scenario")
    assert "(vs stdlib, range)" in run.stdout
    assert "±" in run.stdout


def test_fingerprint_is_what_apply_gives_a_process_here(tuned_project: Path) -> None:
    plain = flujo("fingerprint", cwd=tuned_project, env={"FLUJO_CODEC": "json"})
    assert plain.returncode == 0, plain.stderr
    code = "import flujo_tuning; print(flujo_tuning.apply().fingerprint)"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLUJO_")}
    applied = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tuned_project,
        env={**clean, "FLUJO_CODEC": "json"},
        check=True,
    )
    assert plain.stdout == applied.stdout
    document = json.loads(flujo("fingerprint", "--json", cwd=tuned_project).stdout)
    assert set(document) == {"fingerprint", "profile", "settings", "choices", "facts"}
    assert document["profile"] == "fast"
    assert set(document["facts"]) == {"python", "system", "loop", "codec", "hasher", "flujo", "keys"}
    assert document["fingerprint"] != plain.stdout.strip()  # another codec, another fingerprint


def test_a_closed_pipe_ends_the_command_quietly(project: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the command writes a byte: `| head -0`
    try:
        run = subprocess.run(
            [str(SCRIPT), "profiles", "--json"],
            stdout=write_end,
            check=False,
            stderr=subprocess.PIPE,
            text=True,
            cwd=project,
        )
    finally:
        os.close(write_end)
    assert run.returncode == 141
    assert run.stderr == ""
