"""Real Flujo 0.6.11 (the ``flujo`` extra, Python 3.13; ``make test-flujo``, a CI environment of its
own): no-network pipelines run under every shipped profile on the decided loop, our events stay
off stdout, Flujo's variables draw no warning, and the ``flujo`` component really changes Flujo.

Each scenario runs in a program of its own: ``import flujo`` configures logging and loads a .env
file, which must not leak into the rest of the suite.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ..conftest import write

if importlib.util.find_spec("flujo") is None:  # not imported here: see the module docstring
    pytest.skip("needs the flujo extra (make test-flujo)", allow_module_level=True)

pytestmark = pytest.mark.flujo

SHIPPED = ["debug", "default", "ephemeral", "low-memory", "stdlib", "throughput"]

PIPELINE = """
import asyncio
import json
import os
import warnings

import flujo_tuning

warnings.simplefilter("error", flujo_tuning.ConfigWarning)  # Flujo's own variables must not warn
tuning = flujo_tuning.apply()

from flujo import Flujo, Step  # after apply(): runners read Flujo's variables when they are made

seen = []


def observe(where: str) -> None:
    loop = asyncio.get_running_loop()
    factory = loop.get_task_factory()
    seen.append({
        "where": where,
        "loop": f"{type(loop).__module__}.{type(loop).__qualname__}",
        "task_factory": None if factory is None else factory.__qualname__,
        "verify": flujo_tuning.verify(),
    })


async def tokenize(text: str) -> str:
    observe("function step")
    await asyncio.sleep(0)
    return text.upper()


class Summarizer:  # agent-like: Flujo calls run()
    async def run(self, data: str, **kwargs: object) -> str:
        observe("agent step")
        return data + "!"


pipeline = Step.from_callable(tokenize) >> Step(name="summarise", agent=Summarizer())
{runner}


async def run_async() -> str:
    result = await runner.run_result_async("hello")
    return result.output


outputs = [flujo_tuning.run(run_async()), runner.run("again").output]
print("RESULT " + json.dumps({
    "outputs": outputs,
    "seen": seen,
    "profile": tuning.profile,
    "choices": tuning.choices,
    "flujo": tuning.decision("flujo").reason,
    "files": sorted(os.listdir(".")),
}), flush=True)
{exit}
"""

LEAN = (
    'runner = Flujo(pipeline, persist_state=False, enable_tracing=False, pipeline_name="p", pipeline_id="p1")'
)
DEFAULTS = 'runner = Flujo(pipeline, pipeline_name="p", pipeline_id="p1")'


#: Flujo 0.6.11 with an explicit FLUJO_STATE_URI=sqlite:///... leaves a non-daemon aiosqlite thread
#: running, and the process never exits (seen with plain asyncio and no flujo_tuning at all, with
#: stdin not a terminal). Where that is the case under test, the program leaves once it reported.
HARD_EXIT = "os._exit(0)"


def _run(project: Path, runner: str, exit_code: str = "", **env: str) -> dict[str, Any]:
    script = write(project / "pipeline.py", PIPELINE.replace("{runner}", runner).replace("{exit}", exit_code))
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLUJO_")}
    clean.pop("PYTHONWARNINGS", None)  # Flujo's own imports warn; ours are errors in the script
    # Flujo 0.6.11 notices pytest through this variable and, with a SQLite state backend, then
    # hangs at exit (seen here): the program under test is not a test.
    clean.pop("PYTEST_CURRENT_TEST", None)
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        cwd=project,
        env={**clean, **env},
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    lines = done.stdout.splitlines()
    (result,) = [line for line in lines if line.startswith("RESULT ")]
    assert lines == [result]  # nothing else on stdout: not our events, not anything
    report: dict[str, Any] = json.loads(result.removeprefix("RESULT "))
    report["stderr"] = done.stderr
    return report


@pytest.mark.parametrize("profile", SHIPPED)
def test_a_pipeline_runs_on_the_decided_loop_under_every_profile(project: Path, profile: str) -> None:
    report = _run(project, LEAN, FLUJO_PROFILE=profile)
    assert report["outputs"] == ["HELLO!", "AGAIN!"]
    assert report["profile"] == profile
    wheres = {s["where"] for s in report["seen"]}
    assert wheres == {"function step", "agent step"}
    assert len(report["seen"]) == 4
    ours, flujo_s = report["seen"][:2], report["seen"][2:]  # run_result_async under run(); Flujo.run()
    for seen in ours + flujo_s:
        expected = "uvloop.Loop" if report["choices"]["event_loop"] == "uvloop" else "asyncio."
        assert seen["loop"].startswith(expected)
    assert all(seen["verify"] == [] for seen in ours), ours
    for seen in flujo_s:  # Flujo's sync run() makes its own loop: eager tasks only in ours
        if report["choices"]["task_factory"] == "eager":
            (difference,) = seen["verify"]
            assert difference.startswith("task_factory: decided eager"), seen
            assert seen["task_factory"] is None
        else:
            assert seen["verify"] == [], seen


def test_flujos_defaults_persist_state_and_ephemeral_does_not(project: Path, tmp_path: Path) -> None:
    durable = _run(project, DEFAULTS, FLUJO_PROFILE="default")
    assert "flujo_ops.db" in durable["files"]
    assert "left as they are" in durable["flujo"]
    elsewhere = tmp_path / "ephemeral"
    elsewhere.mkdir()
    ephemeral = _run(elsewhere, DEFAULTS, FLUJO_PROFILE="ephemeral")
    assert "flujo_ops.db" not in ephemeral["files"]
    assert "cannot be resumed after a crash" in ephemeral["flujo"]
    assert ephemeral["outputs"] == ["HELLO!", "AGAIN!"]


def test_a_state_uri_the_user_set_is_kept(project: Path) -> None:
    report = _run(
        project, DEFAULTS, HARD_EXIT, FLUJO_PROFILE="ephemeral", FLUJO_STATE_URI="sqlite:///mine.db"
    )
    assert "mine.db" in report["files"]
    assert "flujo_ops.db" not in report["files"]
    assert "FLUJO_STATE_URI is already set to 'sqlite:///mine.db' by the environment: kept" in report["flujo"]


def test_every_variable_flujo_reads_is_left_alone_even_in_strict_mode(project: Path) -> None:
    from ..runtime.test_events import FLUJO_0_6_11_VARIABLES

    harmless = {
        name: "1" for name in FLUJO_0_6_11_VARIABLES if name.startswith(("FLUJO_STRICT_", "FLUJO_DEBUG"))
    }
    report = _run(project, LEAN, FLUJO_STRICT="1", FLUJO_STATE_MODE="ephemeral", **harmless)
    assert report["outputs"] == ["HELLO!", "AGAIN!"]


def test_a_dotenv_value_reaches_resolve_whether_or_not_flujo_was_imported_first(project: Path) -> None:
    write(project / ".env", "FLUJO_CODEC=json\n")
    code = (
        "import json, flujo_tuning\n"
        "before = flujo_tuning.resolve()\n"
        "import flujo\n"
        "after = flujo_tuning.resolve()\n"
        "seen = [before.codec, before.provenance['codec'], after.codec, after.provenance['codec']]\n"
        "print(json.dumps(seen))\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLUJO_")}
    clean.pop("PYTHONWARNINGS", None)
    clean.pop("PYTEST_CURRENT_TEST", None)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=project, env=clean, check=True
    )
    source = f".env ({(project / '.env').resolve()})"
    assert json.loads(done.stdout.splitlines()[-1]) == ["json", source, "json", source]


def test_bench_flujo_measures_real_pipelines_per_profile_and_leaves_no_files(project: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLUJO_")}
    clean.pop("PYTEST_CURRENT_TEST", None)
    clean.pop("PYTHONWARNINGS", None)  # Flujo's own imports warn
    done = subprocess.run(
        [sys.executable, "-m", "flujo_tuning", "bench", "--flujo", "--quick", "--markdown"],
        capture_output=True,
        text=True,
        cwd=project,
        env=clean,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table = done.stdout
    assert "| Flujo, 5 steps, lean runner" in table
    assert "| Flujo, 5 steps, Flujo's defaults" in table
    assert "ephemeral iter/s (vs stdlib, range)" in table
    assert "flujo=FLUJO_STATE_URI=memory://, FLUJO_DISABLE_TRACING=1" in table
    assert sorted(os.listdir(project)) == []  # Flujo's files went to a scratch directory
