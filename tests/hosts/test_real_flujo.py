"""Real Flujo 0.6.11 (the ``flujo`` extra, Python 3.13; ``make test-flujo``, a CI environment of its
own): no-network pipelines run under every shipped profile on the decided loop, our events stay
off stdout, Flujo's variables draw no warning, and the ``flujo`` component really changes Flujo.

Each scenario runs in a program of its own: ``import flujo`` configures logging and loads a .env
file, which must not leak into the rest of the suite.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..conftest import write

if importlib.util.find_spec("flujo") is None:  # not imported here: see the module docstring
    pytest.skip("needs the test-flujo group (make test-flujo)", allow_module_level=True)

pytestmark = pytest.mark.flujo

SHIPPED = ["debug", "default", "ephemeral", "low-memory", "pinned-state", "stdlib", "throughput"]

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
        stdin=subprocess.DEVNULL,  # not a terminal: where a lingering thread would keep it alive
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
    durable = _run(project, DEFAULTS, FLUJO_PROFILE="stdlib")
    assert "flujo_ops.db" in durable["files"]
    assert "left as they are" in durable["flujo"]
    elsewhere = tmp_path / "ephemeral"
    elsewhere.mkdir()
    ephemeral = _run(elsewhere, DEFAULTS, FLUJO_PROFILE="ephemeral")
    assert "flujo_ops.db" not in ephemeral["files"]
    assert "cannot be resumed after a crash" in ephemeral["flujo"]
    assert ephemeral["outputs"] == ["HELLO!", "AGAIN!"]


def test_a_state_uri_the_user_set_is_kept_and_the_program_still_exits(project: Path) -> None:
    """Flujo 0.6.11 alone hangs at exit with this URI (the test below); apply() closes its state."""
    report = _run(project, DEFAULTS, FLUJO_PROFILE="ephemeral", FLUJO_STATE_URI="sqlite:///mine.db")
    assert "mine.db" in report["files"]
    assert "flujo_ops.db" not in report["files"]
    assert "FLUJO_STATE_URI is already set to 'sqlite:///mine.db' by the environment: kept" in report["flujo"]
    assert (
        "close_at_exit: with the explicit SQLite URI sqlite:///mine.db (from the environment)"
        in (report["flujo"])
    )


def test_without_apply_a_bare_explicit_uri_hangs_at_exit(project: Path) -> None:
    """What the exit fix is for, seen on Flujo 0.6.11 itself: no flujo_tuning at all."""
    code = (
        "import asyncio\n"
        "from flujo import Flujo, Step\n"
        "async def s(x: str) -> str:\n"
        "    return x\n"
        "runner = Flujo(Step.from_callable(s), pipeline_name='p', pipeline_id='p1')\n"
        "print(asyncio.run(runner.run_result_async('x')).output, flush=True)\n"
    )
    with pytest.raises(subprocess.TimeoutExpired) as hung:
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=project,
            env=_flujo_env(FLUJO_STATE_URI="sqlite:///flujo_ops.db"),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=25,
            check=False,
        )
    assert hung.value.stdout in ("x\n", b"x\n")  # it ran, printed, and then never ended


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
    assert "pinned-state iter/s (vs stdlib, range)" in table
    assert "flujo=FLUJO_STATE_URI=sqlite:///flujo_ops.db, close_at_exit" in table  # pinned-state
    # httpx comes with Flujo: the network-bound rows are there too.
    assert "| Flujo's defaults, 3 HTTP steps, one shared client: runs" in table
    assert "| Flujo's defaults, 3 HTTP steps, a client per call: runs" in table
    assert sorted(os.listdir(project)) == []  # Flujo's files went to a scratch directory
    assert "HTTP Request" not in done.stderr  # httpx's request log (root at INFO after import flujo)


def _rows(database: Path) -> dict[str, list[tuple[Any, ...]]]:
    import sqlite3

    with contextlib.closing(sqlite3.connect(database)) as connection:
        return {
            "runs": connection.execute("select run_id, status from runs order by run_id").fetchall(),
            "steps": connection.execute(
                "select run_id, step_name, step_index, status, output from steps order by run_id, step_index"
            ).fetchall(),
            "workflow_state": connection.execute(
                "select run_id, status, current_step_index, last_step_output from workflow_state"
            ).fetchall(),
        }


def test_pinned_state_pins_flujos_own_file_writes_the_same_rows_and_exits_by_itself(
    project: Path, tmp_path: Path
) -> None:
    """The pin keeps Flujo's file and rows; the process ends with stdin not a terminal (_run's
    timeout would fail the test otherwise, as it does for a bare explicit URI)."""
    pinned = _run(project, DEFAULTS, FLUJO_PROFILE="pinned-state")
    assert "FLUJO_STATE_URI=sqlite:///flujo_ops.db: Flujo's own state file" in pinned["flujo"]
    stock_dir = tmp_path / "stock"
    stock_dir.mkdir()
    stock = _run(stock_dir, DEFAULTS, FLUJO_PROFILE="stdlib")
    assert pinned["outputs"] == stock["outputs"] == ["HELLO!", "AGAIN!"]
    # While it runs the pinned file is open (its -wal and -shm beside it); once the process ended,
    # the same files as Flujo's own.
    assert sorted(os.listdir(project)) == sorted(os.listdir(stock_dir))
    ours, flujos = _rows(project / "flujo_ops.db"), _rows(stock_dir / "flujo_ops.db")
    assert [len(rows) for rows in ours.values()] == [len(rows) for rows in flujos.values()] == [2, 4, 2]
    for table in ours:  # run ids are random: the same rows apart from them
        assert sorted(row[1:] for row in ours[table]) == sorted(row[1:] for row in flujos[table])


def test_the_pinned_file_is_where_flujo_would_put_it_under_a_flujo_toml(project: Path) -> None:
    """A flujo.toml above the working directory moves relative URIs to its folder, not Flujo's
    default file: the pin names the file in full, and Flujo's own resolver agrees."""
    write(project.parent / "flujo.toml", "[settings]\n")
    work = project / "app"
    work.mkdir()
    report = _run(work, DEFAULTS, FLUJO_PROFILE="pinned-state")
    assert "flujo_ops.db" in report["files"]
    assert not (project.parent / "flujo_ops.db").exists()
    assert f"sqlite:///{(work / 'flujo_ops.db').resolve().as_posix()}" in report["flujo"]


CRASHING = """
import asyncio, sys
import flujo_tuning
flujo_tuning.apply()
from flujo import Flujo, Step

crash = sys.argv[1] == "crash"


def make(number):
    async def step(text: str) -> str:
        with open("steps.log", "a") as log:
            log.write(f"{sys.argv[1]} s{number}\\n")
        if number == 3 and crash:
            open("at-step-3", "w").close()
            await asyncio.sleep(3600)  # killed here
        return text + str(number)
    return Step.from_callable(step, name=f"s{number}")


pipeline = make(1)
for number in range(2, 6):
    pipeline = pipeline >> make(number)
runner = Flujo(pipeline, pipeline_name="crash", pipeline_id="crash")


async def main() -> str:
    return (await runner.run_result_async("x", run_id="run-crash-1")).output

print("OUT", flujo_tuning.run(main()), flush=True)
"""


def _flujo_env(**env: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLUJO_")}
    clean.pop("PYTHONWARNINGS", None)
    clean.pop("PYTEST_CURRENT_TEST", None)
    return {**clean, **env}


def _program(
    script: Path, *args: str, where: Path, profile: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """*script* run to its end under *profile* (and *env*), stdin not a terminal; it must succeed."""
    done = subprocess.run(
        [sys.executable, str(script), *args],
        cwd=where,
        env=_flujo_env(FLUJO_PROFILE=profile, **env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def _kill_at_step_3_and_resume(where: Path, profile: str) -> dict[str, Any]:
    where.mkdir()
    script = write(where / "crashing.py", CRASHING)
    env = _flujo_env(FLUJO_PROFILE=profile)
    first = subprocess.Popen(
        [sys.executable, str(script), "crash"],
        cwd=where,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not (where / "at-step-3").exists():
            assert first.poll() is None, "ended before step 3"
            assert time.monotonic() < deadline, "never reached step 3"
            time.sleep(0.05)
        time.sleep(0.3)  # what Flujo writes after a step has had its chance
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        first.kill()
    after_kill = _rows(where / "flujo_ops.db")
    second = _program(script, "resume", where=where, profile=profile)
    return {
        "after_kill": after_kill,
        "output": second.stdout.splitlines(),
        "steps": (where / "steps.log").read_text().splitlines(),
        "after_resume": _rows(where / "flujo_ops.db"),
    }


def test_a_run_killed_mid_pipeline_leaves_the_same_state_and_resumes_the_same(tmp_path: Path) -> None:
    pinned = _kill_at_step_3_and_resume(tmp_path / "pinned", "pinned-state")
    stock = _kill_at_step_3_and_resume(tmp_path / "stock", "stdlib")
    assert pinned == stock
    assert stock["after_kill"]["workflow_state"] == [("run-crash-1", "running", 2, '"x12"')]
    assert stock["steps"] == ["crash s1", "crash s2", "crash s3", "resume s3", "resume s4", "resume s5"]
    assert stock["output"] == ["OUT x12345"]


TWO_WORKERS = """
import sys, time
import flujo_tuning
flujo_tuning.apply()
from flujo import Flujo, Step


async def step(text: str) -> str:
    return text + "."

pipeline = Step.from_callable(step, name="s1")
for number in range(2, 6):
    pipeline = pipeline >> Step.from_callable(step, name=f"s{number}")
runner = Flujo(pipeline, pipeline_name="two", pipeline_id="two")
name, runs, start = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
while time.time() < start:
    time.sleep(0.005)


async def main() -> None:
    for number in range(runs):
        await runner.run_result_async(f"{name}-{number}", run_id=f"{name}-{number}")

began = time.time()
flujo_tuning.run(main())
print(began, time.time(), flush=True)
"""


def test_two_workers_share_the_pinned_file_without_losing_a_run(project: Path) -> None:
    """As gunicorn --workers 2 would: two processes, one file, runs at the same time.

    The file exists first (one run, as a deployment's first start makes it): on a brand-new file,
    two processes initialising it at the same instant can trip Flujo 0.6.11's own start-up check
    (one finds the file locked by the other's schema creation, takes it for corrupt and moves it
    aside as flujo_ops.db.corrupt.N; seen once in CI under load). That code is Flujo's, and its
    default runs it too; docs/flujo.md says so.
    """
    script = write(project / "worker.py", TWO_WORKERS)
    _program(script, "first", "1", "0", where=project, profile="pinned-state")
    start = time.time() + 8  # both imported Flujo (about 1 s each) before either runs
    workers = [
        subprocess.Popen(
            [sys.executable, str(script), name, "30", str(start)],
            cwd=project,
            env=_flujo_env(FLUJO_PROFILE="pinned-state"),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    spans = []
    for worker in workers:
        out, err = worker.communicate(timeout=180)
        assert worker.returncode == 0, err[-3000:]
        assert "locked" not in err.lower()
        began, ended = map(float, out.split())
        spans.append((began, ended))
    assert max(span[0] for span in spans) < min(span[1] for span in spans), "the workers never overlapped"
    rows = _rows(project / "flujo_ops.db")
    expected = ["first-0", *(f"{n}-{i}" for n in "ab" for i in range(30))]
    assert sorted(run for run, _ in rows["runs"]) == sorted(expected)
    assert {status for _, status in rows["runs"]} == {"completed"}
    assert len(rows["steps"]) == 305
    assert not list(project.glob("flujo_ops.db.corrupt.*"))


JOB = """
import asyncio, os
import flujo_tuning


def job(tag: str) -> dict:
    from flujo import Flujo, Step

    async def step(text: str) -> str:
        await asyncio.sleep(0)
        return text + "!"

    runner = Flujo(Step.from_callable(step) >> Step.from_callable(step, name="s2"), pipeline_name="p")

    async def main() -> str:
        return (await runner.run_result_async(tag)).output

    return {
        "output": flujo_tuning.run(main()),
        "state_uri": os.environ.get("FLUJO_STATE_URI"),
        "verify": flujo_tuning.verify(),
    }
"""

CHILD = """
import json, flujo_tuning
flujo_tuning.apply()
from job import job
print(json.dumps(job("child")), flush=True)
"""

PLAIN_CHILD = """
import asyncio, json, os
from flujo import Flujo, Step


async def step(text: str) -> str:
    return text + "!"

runner = Flujo(Step.from_callable(step), pipeline_name="plain")
output = asyncio.run(runner.run_result_async("plain")).output
print(json.dumps({"output": output, "state_uri": os.environ.get("FLUJO_STATE_URI")}), flush=True)
"""

PARENT = """
import json, os, subprocess, sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import flujo_tuning
from job import job

if __name__ == "__main__":
    before = dict(os.environ)
    tuning = flujo_tuning.apply()
    changed = sorted(k for k in {*before, *os.environ} if before.get(k) != os.environ.get(k))
    report = {"changed": changed, "choice": tuning.decision("flujo").choice}
    for name in sys.argv[1:]:
        script = name + ".py"
        done = subprocess.run([sys.executable, script], stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=90)
        assert done.returncode == 0, done.stderr[-2000:]
        report[name] = json.loads(done.stdout.splitlines()[-1])
    for method in ("spawn", "forkserver"):
        with ProcessPoolExecutor(2, mp_context=get_context(method), initializer=flujo_tuning.worker_init,
                                 initargs=(tuning.environ(),)) as pool:
            report[method] = list(pool.map(job, [method + "-1", method + "-2"]))
    print("REPORT " + json.dumps(report), flush=True)
"""


def _parent(where: Path, profile: str, *children: str) -> dict[str, Any]:
    """PARENT under *profile*: it runs *children* one after another, then spawn and forkserver pools
    whose workers run Flujo; everything must end by itself, stdin not a terminal, in time."""
    for name, text in {"job": JOB, "child": CHILD, "plain_child": PLAIN_CHILD, "parent": PARENT}.items():
        write(where / f"{name}.py", text)
    done = _program(where / "parent.py", *children, where=where, profile=profile)
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("REPORT ")]
    report: dict[str, Any] = json.loads(line.removeprefix("REPORT "))
    return report


@pytest.mark.parametrize("profile", SHIPPED)
def test_children_and_pools_that_run_flujo_exit_by_themselves_under_every_profile(
    project: Path, profile: str
) -> None:
    report = _parent(project, profile, "child")
    assert report["child"]["output"] == "child!!"
    for method in ("spawn", "forkserver"):
        assert [r["output"] for r in report[method]] == [f"{method}-1!!", f"{method}-2!!"]
        assert all(r["verify"] == [] for r in report[method]), report[method]
    inherited = {r["state_uri"] for r in [report["child"], *report["spawn"], *report["forkserver"]]}
    if profile == "pinned-state":
        assert report["changed"] == ["FLUJO_STATE_URI"]
        assert inherited == {"sqlite:///flujo_ops.db"}  # the children inherit it: documented
    elif profile == "ephemeral":
        assert report["changed"] == ["FLUJO_DISABLE_TRACING", "FLUJO_STATE_URI"]
        assert inherited == {"memory://"}
    else:
        assert report["changed"] == []
        assert inherited == {None}


def test_under_default_a_plain_child_running_flujo_exits(project: Path) -> None:
    report = _parent(project, "default", "plain_child")
    assert report["changed"] == []
    assert report["choice"] == "keep"
    assert report["plain_child"] == {"output": "plain!", "state_uri": None}


OPENAI_STUB = '''
"""A local OpenAI-compatible chat-completions server: the answer is the last user message, upper-cased.
Prints its port; stops when its stdin closes."""
import json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        text = [m for m in body["messages"] if m["role"] == "user"][-1]["content"]
        if isinstance(text, list):
            text = "".join(part.get("text", "") for part in text)
        answer = json.dumps({
            "id": "c1", "object": "chat.completion", "created": 0, "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text.upper()}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
threading.Thread(target=lambda: (sys.stdin.read(), server.shutdown()), daemon=True).start()
server.serve_forever()
'''

AGENT = """
import json, os
import flujo_tuning
tuning = flujo_tuning.apply()
from flujo import Flujo, Step
from flujo.agents import make_agent_async

agent = make_agent_async("openai:gpt-4o-mini", "Repeat the input.", str, max_retries=1)
runner = Flujo(Step(name="ask", agent=agent), persist_state=False, enable_tracing=False, pipeline_name="a")


async def main():
    result = await runner.run_result_async("hello")
    failed = [s.feedback for s in result.step_history if not s.success]
    return [result.success, result.output, failed]

report = {"task_factory": tuning.choices["task_factory"], "run": flujo_tuning.run(main())}
print("RESULT " + json.dumps(report))
"""


@pytest.fixture(scope="module")
def openai_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    script = write(tmp_path_factory.mktemp("stub") / "openai_stub.py", OPENAI_STUB)
    server = subprocess.Popen(
        [sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        yield f"http://127.0.0.1:{int(server.stdout.readline())}/v1"
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=20)
        if server.stdout is not None:
            server.stdout.close()


@pytest.mark.parametrize(
    "env",
    [{"profile": p} for p in SHIPPED] + [{"profile": "throughput", "FLUJO_EVENT_LOOP": "asyncio"}],
    ids=lambda env: ",".join(env.values()),
)
def test_a_real_agent_call_succeeds_in_our_loop_under_every_profile(
    project: Path, openai_url: str, env: dict[str, str]
) -> None:
    """pydantic-ai under Flujo, over httpx and anyio, to a local OpenAI-compatible server."""
    script = write(project / "agent.py", AGENT)
    done = _program(script, where=project, OPENAI_BASE_URL=openai_url, OPENAI_API_KEY="test", **env)
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    report = json.loads(line.removeprefix("RESULT "))
    assert report["run"] == [True, "HELLO", []]
    if env.get("FLUJO_EVENT_LOOP") == "asyncio":
        assert report["task_factory"] == "eager"  # eager tasks really on, and the call still works


@pytest.mark.parametrize("profile", SHIPPED)
def test_the_program_docs_flujo_opens_with_runs_and_exits_under_every_profile(
    project: Path, profile: str
) -> None:
    from ..test_docs_examples import BLOCK, ROOT

    page = (ROOT / "docs" / "flujo.md").read_text(encoding="utf-8")
    first = BLOCK.search(page)
    assert first is not None
    assert page.index("```python") < page.index("## ")  # the page opens with it
    script = write(project / "app.py", first.group(1))
    done = _program(script, where=project, profile=profile)
    assert done.stdout.splitlines()[-1] == "HELLO FROM FLUJO"
