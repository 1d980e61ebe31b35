"""flujo-tuning calibrate: real worker processes running workloads of our own."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import flujo_tuning
from flujo_tuning import resolve
from flujo_tuning.tools.calibrate import (
    MIN_ROUNDS_FOR_A_WINNER,
    CalibrationError,
    calibrate,
    parse_budget,
    plan_write,
)

from ..conftest import run_with_terminal_stderr, write

EAGER = sys.version_info >= (3, 12)

WORKLOADS = '''
import asyncio
import time


async def eager_sensitive():
    """1 ms in a loop with eager tasks, 5 ms without: a 5x gain the machine's CPU noise cannot hide
    (what eager tasks gain on real work is measured by the benchmarks, not here)."""
    eager = asyncio.get_running_loop().get_task_factory() is not None
    time.sleep(0.001 if eager else 0.005)


def cpu_only():
    """Touches nothing the profiles change (but its speed follows the machine's noise)."""
    sum(i * i for i in range(300))


async def async_cpu():
    """Runs in the candidate's event loop (so the loop is used) and never yields to it: no effect."""
    sum(i * i for i in range(300))


async def waits():
    """Waits on the clock inside the loop: every candidate ties, and the CPU noise barely shows."""
    time.sleep(0.002)


async def no_eager_please():
    if asyncio.get_running_loop().get_task_factory() is not None:
        raise RuntimeError("this step breaks under eager tasks")
    await asyncio.sleep(0)


DATA = {"rows": [{"id": i, "name": f"row {i}", "score": i / 7, "tags": ["a", "b"]} for i in range(200)]}


def encode_rows():
    """Serialises with the codec the applied profile chose: orjson is far faster than json."""
    import flujo_tuning

    flujo_tuning.current().codec.dumps(DATA)


async def dies_in_low_memory():
    import os

    import flujo_tuning

    buffers = flujo_tuning.current().buffers  # used: low-memory's smaller buffers can differ
    buffers.release(buffers.acquire())
    if flujo_tuning.current().profile == "low-memory":
        os._exit(3)


def needs(a, b=1):
    return a


NOT_CALLABLE = 42


def always_fails():
    raise ValueError("broken on purpose")


async def slow():
    print("noise on stdout that must not reach the report")
    time.sleep(0.15)


def hangs():
    time.sleep(600)


def exits():
    import sys

    sys.exit(3)


def plain_json():
    """Plain json and hashlib: nothing of the tuning's codec, hasher or keys."""
    import hashlib
    import json

    hashlib.sha256(json.dumps(DATA).encode()).hexdigest()
'''

PYPROJECT = """\
# The demo project: this comment must survive --write.
[project]
name = "demo"  # so must this one

[tool.flujo_tuning]
# chosen by hand, before measuring
profile = "default"

[tool.flujo_tuning.profiles.strict-winloop]
description = "cannot apply on Linux: winloop is Windows-only and strict mode refuses the fallback"
strict = true
event_loop = "winloop"
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write(tmp_path / "workloads.py", WORKLOADS)
    write(tmp_path / "pyproject.toml", PYPROJECT)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _cli(
    *args: str, cwd: Path, timeout: float = 180, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flujo_tuning", "calibrate", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks need Python 3.12")
def test_a_target_faster_with_eager_tasks_picks_them_and_write_keeps_the_comments(
    project: Path,
) -> None:  # pragma: no-cover-before-312
    done = _cli(
        "workloads:eager_sensitive",
        "--profiles",
        "default,throughput",
        "--budget",
        "25s",
        "--json",
        "--write",
        cwd=project,
        # asyncio's loop for every candidate: eager tasks are not offered on uvloop with 3.13
        env={"FLUJO_EVENT_LOOP": "asyncio"},
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["current"] == "default"
    assert document["rounds"] >= MIN_ROUNDS_FOR_A_WINNER
    assert document["winner"] == "throughput", document["verdict"]
    winner = next(c for c in document["candidates"] if c["name"] == "throughput")
    assert winner["choices"]["task_factory"] == "eager"  # decided in its own process
    assert winner["p_value"] <= document["p_value_needed"]  # faster in too many rounds for chance
    assert all(c.get("problems", []) == [] for c in document["candidates"])  # what ran: what was decided
    assert {c["name"] for c in document["candidates"]} == {
        "stdlib",
        "default",
        "throughput",
        "default (A/A control)",
    }
    assert document["noise_band"] < winner["vs_current"]["median"]  # beyond what default vs default showed
    assert "calibrating" not in done.stderr  # no progress bar when not on a terminal

    # --write made the measured winner this project's profile, comments and layout kept.
    profile = project / "flujo_profiles" / "calibrated.toml"
    assert f"wrote {profile}" in done.stderr
    text = (project / "pyproject.toml").read_text()
    assert "# The demo project: this comment must survive --write." in text
    assert 'name = "demo"  # so must this one' in text
    assert "# chosen by hand, before measuring" in text
    assert 'profile = "calibrated"' in text
    assert 'profile_dirs = ["flujo_profiles"]' in text
    settings = resolve()
    assert settings.profile == "calibrated"
    assert settings.task_factory == "eager"
    recorded = profile.read_text()
    assert "candidate throughput" in recorded
    assert "x 'default'" in recorded  # the measured ratio, with date, Python and machine
    assert document["environment"]["python"] in recorded


@pytest.mark.once
def test_codec_heavy_work_prefers_default_over_stdlib_and_write_records_it(project: Path) -> None:
    """Works on every Python: the current profile is stdlib, and orjson beats json by far."""
    text = PYPROJECT.replace('profile = "default"', 'profile = "stdlib"')
    (project / "pyproject.toml").write_text(text)
    # A budget with room for CI's load (start-up there can take 5 s, twice); the rounds cap ends a
    # run as soon as it has its evidence.
    dry = _cli(
        "workloads:encode_rows", "--profiles", "default", "--budget", "40s", "--rounds", "6", cwd=project
    )
    assert dry.returncode == 0, dry.stderr
    assert "winner: default" in dry.stdout, dry.stdout
    assert f"--write would write {project / 'flujo_profiles' / 'calibrated.toml'}" in dry.stdout
    assert 'codec = "auto"' in dry.stdout
    assert (project / "pyproject.toml").read_text() == text  # a dry run writes nothing
    done = _cli(
        "workloads:encode_rows",
        "--profiles",
        "default",
        "--budget",
        "40s",
        "--rounds",
        "6",
        "--write",
        "--name",
        "fast",
        cwd=project,
    )
    assert done.returncode == 0, done.stderr
    assert "winner: default" in done.stdout, done.stdout
    written = (project / "pyproject.toml").read_text()
    assert "# chosen by hand, before measuring" in written
    assert 'profile = "fast"' in written
    assert "[tool.flujo_tuning.profiles.strict-winloop]" in written  # the rest is untouched
    assert resolve().profile == "fast"
    assert flujo_tuning.preview().codec.name != "json"
    assert "candidate default" in (project / "flujo_profiles" / "fast.toml").read_text()


@pytest.mark.once
def test_a_workload_where_profiles_tie_keeps_the_current_profile(project: Path) -> None:
    report = calibrate(
        "workloads:waits", profiles=["default", "low-memory"], search=True, budget=40, rounds=5
    )
    assert report.winner is None, report.verdict
    assert report.verdict.startswith("tie:")
    assert "keep 'default'" in report.verdict
    assert report.rounds == 5
    searched = [c for c in report.candidates if "+" in c.name]
    assert searched  # --search candidates, each measured or named as the one it runs the same as
    assert all(c.rates or c.same_as for c in searched)
    assert report.profile_toml() == ""
    from flujo_tuning.tools.calibrate import render

    assert "tie:" in render(report, terminal=True)  # with a bar per candidate
    assert "closest:" in report.verdict
    assert any("repeats it" in note for note in report.notes)  # too fast to time one call alone
    assert report.calls_per_sample > 1
    assert all(len(c.rates) == 5 for c in report.measured)
    with pytest.raises(CalibrationError, match="nothing to write"):
        plan_write(report)
    text = (project / "pyproject.toml").read_text()
    assert text == PYPROJECT  # nothing written


@pytest.mark.once
def test_a_candidate_whose_process_dies_or_cannot_apply_is_reported(project: Path) -> None:
    report = calibrate(
        "workloads:dies_in_low_memory",
        profiles=["default", "low-memory", "strict-winloop"],
        budget=10,
        rounds=2,
    )
    by_name = {c.name: c for c in report.candidates}
    assert by_name["low-memory"].stage == "warm-up"
    assert by_name["low-memory"].error == "its process ended (exit code 3)"
    assert by_name["strict-winloop"].stage == "apply"
    assert "winloop" in (by_name["strict-winloop"].error or "")
    assert len(by_name["default"].rates) == 2
    document = report.as_dict()
    failed = {c["name"]: c for c in document["candidates"] if c["failed"]}
    assert set(failed) == {"low-memory", "strict-winloop"}
    assert failed["low-memory"]["stage"] == "warm-up"


@pytest.mark.once
def test_the_current_profile_failing_is_an_error(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        PYPROJECT.replace('profile = "default"', 'profile = "low-memory"')
    )
    with pytest.raises(CalibrationError, match="the current profile 'low-memory' failed"):
        calibrate("workloads:dies_in_low_memory", profiles=["default"], budget=10, rounds=1)


def test_failures_are_reported_per_candidate(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUJO_EVENT_LOOP", "asyncio")  # eager tasks are not offered on uvloop with 3.13
    report = calibrate(
        "workloads:no_eager_please",
        profiles=["default", "throughput"],
        budget=15,
        rounds=3,
    )
    by_name = {c.name: c for c in report.candidates}
    if sys.version_info >= (3, 12):  # pragma: no-cover-before-312
        assert by_name["throughput"].failed
        assert by_name["throughput"].stage == "warm-up"
        assert "RuntimeError: this step breaks under eager tasks" in (by_name["throughput"].error or "")
        assert "workloads.py" in by_name["throughput"].detail
    assert not by_name["default"].failed
    assert by_name["stdlib"].same_as == "default"  # on asyncio's loop it differs only in the unused codec
    assert report.nothing_to_compare  # the one candidate that differed failed


@pytest.mark.once
def test_an_unknown_profile_stops_before_anything_is_measured(project: Path) -> None:
    started = time.monotonic()
    with pytest.raises(CalibrationError, match=r"unknown profile 'thruput' \(did you mean 'throughput'\?\)"):
        calibrate("workloads:slow", profiles=["default", "thruput"], budget=60)
    done = _cli("workloads:slow", "--profiles", "thruput", "--budget", "60s", cwd=project)
    assert done.returncode == 2
    assert "error: --profiles: unknown profile 'thruput' (did you mean 'throughput'?)" in done.stderr
    assert time.monotonic() - started < 20  # refused at once, not after the budget


@pytest.mark.once
@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("workloads", "expected module:function"),
        ("no_such_module:run", "cannot import 'no_such_module': ModuleNotFoundError"),
        ("workloads:missing", "module 'workloads' has no attribute 'missing'"),
        ("workloads:NOT_CALLABLE", r"is not callable \(it is an int\)"),
        ("workloads:needs", r"needs arguments \(a\)"),
        (
            "workloads:always_fails",
            r"failed under every candidate \(warm-up\): ValueError: broken on purpose",
        ),
    ],
)
def test_bad_targets_get_clear_errors(project: Path, target: str, message: str) -> None:
    with pytest.raises(CalibrationError, match=message):
        calibrate(target, profiles=["default"], budget=10, rounds=1)


@pytest.mark.once
def test_bad_target_on_the_command_line_exits_2_with_the_traceback_summary(project: Path) -> None:
    done = _cli("workloads:always_fails", "--profiles", "default", cwd=project)
    assert done.returncode == 2
    assert "failed under every candidate (warm-up): ValueError: broken on purpose" in done.stderr
    assert 'workloads.py", line' in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("60s", 60),
        ("90", 90),
        ("2m", 120),
        ("1.5min", 90),
        ("10 seconds", 10),
        ("1h", 3600),
        ("2 hours", 7200),
    ],
)
def test_budget_accepts_durations(text: str, seconds: float) -> None:
    assert parse_budget(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "-5s", "1d", "fast"])
def test_bad_budget_is_refused(text: str) -> None:
    with pytest.raises(CalibrationError, match="expected a positive duration"):
        parse_budget(text)


@pytest.mark.once
def test_bad_options_are_refused(project: Path) -> None:
    with pytest.raises(CalibrationError, match="rounds must be at least 1"):
        calibrate("workloads:cpu_only", rounds=0)
    with pytest.raises(CalibrationError, match="budget must be positive"):
        calibrate("workloads:cpu_only", budget=0)
    for budget in ("soon", "-5s"):  # -5s too: our message, not argparse's "expected one argument"
        done = _cli("workloads:cpu_only", "--budget", budget, cwd=project)
        assert done.returncode == 2
        assert f"error: --budget {budget!r}: expected a positive duration" in done.stderr


@pytest.mark.once
def test_the_budget_is_respected(project: Path) -> None:
    started = time.monotonic()
    report = calibrate("workloads:slow", profiles=["default"], budget=6)
    elapsed = time.monotonic() - started
    assert elapsed < 6 + 3  # process start-up of the last worker and shutdown are the slack
    assert 1 <= report.rounds < 15  # the budget, not the round limit, decided
    assert report.calls_per_sample == 1  # 150 ms per call: long enough to time alone


@pytest.mark.once
def test_ctrl_c_stops_cleanly_with_what_was_measured(project: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flujo_tuning",
            "calibrate",
            "workloads:slow",
            "--profiles",
            "default",
            "--budget",
            "120s",
            "--json",
        ],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(6)  # start-up, warm-up and a few rounds
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err  # interrupted: the report is printed, and the exit says so
    document = json.loads(out)
    assert document["interrupted"] is True  # and the target's prints did not corrupt the JSON
    assert any("interrupted" in note for note in document["notes"])
    assert document["elapsed_seconds"] < 60
    assert "Traceback" not in err
    leftover = [pid for pid in os.listdir("/proc") if pid.isdigit() and _is_worker_of(pid, project)]
    assert leftover == []


def _is_worker_of(pid: str, project: Path) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return False
    return b"flujo_tuning.tools.calibrate.worker" in cmdline and cwd == str(project)


def test_search_varies_one_component_at_a_time(project: Path) -> None:
    from flujo_tuning.tools.calibrate.candidates import _search_variations

    variations = dict(_search_variations("default"))
    assert variations  # this machine has alternatives for several components
    for name, overrides in variations.items():
        assert len(overrides) == 1
        ((component, value),) = overrides.items()
        assert name == f"default+{component}={value}"
        assert value != "xxh3_128"  # never chosen for speed: not collision-resistant
        varied = flujo_tuning.preview("default", **overrides).choices[component]
        assert varied != flujo_tuning.preview("default").choices[component]


@pytest.mark.once
def test_cli_refuses_a_bad_plot_name_before_measuring(project: Path) -> None:
    started = time.monotonic()
    done = _cli("workloads:cpu_only", "--plot", "chart.png", cwd=project)
    assert done.returncode == 2
    assert "name it *.svg" in done.stderr
    assert time.monotonic() - started < 30
    bench = subprocess.run(
        [sys.executable, "-m", "flujo_tuning", "bench", "--quick", "--plot", "chart.png"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bench.returncode == 2
    assert "name it *.svg" in bench.stderr


@pytest.mark.once
def test_a_progress_bar_is_drawn_on_a_terminal(project: Path) -> None:
    done, terminal = run_with_terminal_stderr(
        [
            sys.executable,
            "-m",
            "flujo_tuning",
            "calibrate",
            "workloads:async_cpu",
            "--profiles",
            "default",
            "--rounds",
            "3",
        ],
        cwd=project,
    )
    assert done.returncode == 0
    assert b"calibrating" in terminal  # on the terminal (stderr)
    assert "calibrating" not in done.stdout  # never in the report


@pytest.mark.once
def test_each_round_runs_the_candidates_in_a_new_order(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fixed order would give one candidate the same slot, quiet or loud, in every round."""
    from flujo_tuning.tools.calibrate import session

    orders: list[list[str]] = []

    class Recording(random.Random):
        def shuffle(self, x: Any) -> None:  # type: ignore[override]
            super().shuffle(x)
            orders.append([process.result.name for process in x])

    monkeypatch.setattr(session, "_ORDER", Recording(7))
    report = calibrate("workloads:waits", profiles=["default", "throughput", "stdlib"], budget=20, rounds=4)
    assert report.rounds == 4
    assert len(orders) == 4
    names = sorted(c.name for c in report.measured)
    assert {"default", "default (A/A control)", "stdlib"} <= set(names)  # stdlib: another loop
    assert all(sorted(order) == names for order in orders)
    assert len({tuple(order) for order in orders}) > 1  # seed 7 gives different orders


@pytest.mark.once
def test_setting_variables_in_the_environment_apply_to_every_candidate_and_are_named(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLUJO_HASHER", "sha256")
    report = calibrate("workloads:async_cpu", profiles=["default"], budget=10, rounds=1)
    assert {c.choices["hasher"] for c in report.measured} == {"sha256"}
    assert any("FLUJO_HASHER=sha256 in the environment outrank" in note for note in report.notes)


def _workers_of(project: Path) -> list[str]:
    return [pid for pid in os.listdir("/proc") if pid.isdigit() and _is_worker_of(pid, project)]


def _wait_until_gone(project: Path, seconds: float) -> list[str]:
    deadline = time.monotonic() + seconds
    while _workers_of(project) and time.monotonic() < deadline:
        time.sleep(0.2)
    return _workers_of(project)


@pytest.mark.once
def test_a_target_that_hangs_is_reported_within_the_budget(project: Path) -> None:
    started = time.monotonic()
    done = _cli("workloads:hangs", "--profiles", "default", "--budget", "6s", cwd=project)
    elapsed = time.monotonic() - started
    assert done.returncode == 2
    assert "hung: no answer within" in done.stderr
    assert "raise --budget" not in done.stderr + done.stdout  # it never finished once: not a budget matter
    assert elapsed < 6 + 5 + 10  # the budget, the grace, and the start and stop of two processes
    assert _wait_until_gone(project, 5) == []


@pytest.mark.once
def test_a_target_that_calls_sys_exit_is_named_with_its_code(project: Path) -> None:
    with pytest.raises(CalibrationError, match=r"SystemExit\(3\) \(it calls sys.exit\(\)\)"):
        calibrate("workloads:exits", profiles=["default"], budget=10, rounds=3)


@pytest.mark.once
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_workers_never_outlive_calibrate(project: Path, how: signal.Signals) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "flujo_tuning", "calibrate", "workloads:hangs", "--profiles", "default"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while len(_workers_of(project)) < 3 and time.monotonic() < deadline:  # default, stdlib, the control
        time.sleep(0.2)
    assert len(_workers_of(project)) == 3
    time.sleep(4)  # both loaded, the first one now hangs inside TARGET (it no longer reads its stdin)
    process.send_signal(how)
    process.communicate(timeout=30)
    if how == signal.SIGTERM:
        assert process.returncode == 130  # stopped like Ctrl-C: workers closed, report printed
    assert _wait_until_gone(project, 10) == []


@pytest.mark.once
def test_candidates_that_run_the_same_are_measured_once(project: Path) -> None:
    """Without Flujo, ephemeral's settings (Flujo's state and tracing) decide nothing."""
    if importlib.util.find_spec("flujo") is not None:  # pragma: no-cover-without-flujo
        pytest.skip("with Flujo installed, ephemeral decides differently")
    report = calibrate("workloads:cpu_only", profiles=["default", "ephemeral"], budget=15, rounds=3)
    ephemeral = report.candidate("ephemeral")
    assert ephemeral.same_as == "default"
    assert not ephemeral.rates
    assert "Flujo is not installed" in ephemeral.same_because
    assert any(
        note.startswith("ephemeral = default here: state_backend, tracing differ") for note in report.notes
    )
    assert report.winner != "ephemeral"


@pytest.mark.once
def test_search_skips_codec_and_hasher_variants_a_target_never_uses(project: Path) -> None:
    report = calibrate("workloads:plain_json", search=True, budget=30, rounds=3)
    unused = [c for c in report.candidates if "+codec=" in c.name or "+hasher=" in c.name]
    assert unused
    assert all(c.same_as == "default" and not c.rates for c in unused)
    assert all("which workloads:plain_json did not use while it ran" in c.same_because for c in unused)
    assert {"codec", "hasher"} <= set(report.unused)
    assert any("workloads:plain_json did not use" in note for note in report.notes)


@pytest.mark.once
def test_search_keeps_codec_variants_for_a_target_that_uses_the_codec(project: Path) -> None:
    report = calibrate("workloads:encode_rows", search=True, budget=30, rounds=3)
    assert any("+codec=" in c.name for c in report.measured)


@pytest.mark.once
def test_calibrate_never_changes_the_working_directory_of_its_caller(
    project: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    monkeypatch.chdir(elsewhere)
    seen: set[str] = set()
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            seen.add(os.getcwd())
            time.sleep(0.001)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        report = calibrate("workloads:cpu_only", profiles=["default"], budget=10, rounds=3, cwd=project)
    finally:
        stop.set()
        watcher.join()
    assert seen == {str(elsewhere)}
    assert report.current == "default"  # resolved from the project's pyproject.toml, not from here


@pytest.mark.once
def test_an_import_error_shows_the_users_frames_not_the_import_machinery(project: Path) -> None:
    write(project / "broken.py", "import no_such_dependency_here\n\ndef run():\n    pass\n")
    done = _cli("broken:run", "--profiles", "default", "--budget", "20s", cwd=project)
    assert done.returncode == 2
    assert (
        "cannot import 'broken': ModuleNotFoundError: No module named 'no_such_dependency_here'"
        in done.stderr
    )
    assert 'broken.py", line 1' in done.stderr
    assert "<frozen" not in done.stderr


# Tie and winner cases run several times each: on this machine speed jumps between levels, and a
# rule that names a winner by chance shows it across runs (docs/calibrate.md has the measured rates).
RUNS = 3


@pytest.mark.once
def test_work_that_uses_none_of_what_differs_is_never_measured_in_any_run(project: Path) -> None:
    for _ in range(RUNS):
        report = calibrate("workloads:cpu_only", profiles=["default", "low-memory", "stdlib"], budget=20)
        assert report.nothing_to_compare, report.verdict
        assert (report.winner, report.rounds) == (None, 0)
        assert {"event_loop", "codec", "hasher", "buffer_size"} <= set(report.unused)
        assert report.verdict.startswith("tie: every candidate runs the same for workloads:cpu_only")
        assert {report.candidate(name).same_as for name in ("low-memory", "stdlib")} == {"default"}


@pytest.mark.once
def test_async_cpu_work_on_other_loops_names_no_winner_in_any_run(project: Path) -> None:
    """The loop is used (the target runs in it) but changes nothing: the A/A control holds the line."""
    for _ in range(RUNS):
        report = calibrate("workloads:async_cpu", profiles=["default", "stdlib"], budget=16)
        assert report.rounds >= MIN_ROUNDS_FOR_A_WINNER, report.notes  # a verdict was possible
        assert report.winner is None, report.verdict
        assert report.control is not None
        assert "event_loop" not in report.unused


@pytest.mark.skipif(not EAGER, reason="eager tasks need Python 3.12")
def test_the_eager_tasks_winner_is_found_in_every_run(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # pragma: no-cover-before-312
    monkeypatch.setenv("FLUJO_EVENT_LOOP", "asyncio")  # eager tasks are not offered on uvloop with 3.13
    for _ in range(RUNS):
        report = calibrate(
            "workloads:eager_sensitive", profiles=["default", "throughput"], budget=30, rounds=6
        )
        assert report.winner == "throughput", report.verdict
