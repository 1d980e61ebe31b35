"""A real Jupyter kernel (ipykernel, driven by jupyter_client): cells run inside the kernel's own
running loop, so ``apply()`` there must say what is not in effect and name fixes that work there,
and those fixes must work.

Needs the ``test-hosts`` dependency group (make test-hosts). The kernel's files go to a temporary directory.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

if importlib.util.find_spec("jupyter_client") is None or importlib.util.find_spec("ipykernel") is None:
    pytest.skip("needs the test-hosts group (make test-hosts)", allow_module_level=True)

pytestmark = pytest.mark.hosts

EAGER = sys.version_info >= (3, 12)

REPORT = """
import asyncio, json
import flujo_tuning

def _report(tuning, differences):
    loop = asyncio.get_running_loop()
    factory = loop.get_task_factory()
    print("REPORT " + json.dumps({
        "loop": f"{type(loop).__module__}.{type(loop).__qualname__}",
        "task_factory": None if factory is None else getattr(factory, "__qualname__", repr(factory)),
        "verify": differences,
        "in_effect": {d.component: d.in_effect for d in tuning.decisions},
        "reason": tuning.decision("event_loop").reason,
    }))
"""


def _host_warnings_are_not_ours(monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel process is the host's: its own DeprecationWarnings (tornado's "There is no current
    event loop") must not kill it. Ours are errors in the core suite."""
    monkeypatch.delenv("PYTHONWARNINGS", raising=False)


@pytest.fixture
def kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from jupyter_client.manager import start_new_kernel  # type: ignore[import-not-found,unused-ignore]

    for name in ("JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR", "JUPYTER_CONFIG_DIR", "IPYTHONDIR"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    _host_warnings_are_not_ours(monkeypatch)
    manager, client = start_new_kernel(kernel_name="python3", startup_timeout=60, cwd=str(tmp_path))
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _run(client: Any, code: str) -> tuple[str, dict[str, Any]]:
    """Run *code* in a cell (bounded: 60 s); its printed output and the reply's content."""
    printed: list[str] = []

    def output(message: dict[str, Any]) -> None:
        if message["msg_type"] == "stream":
            printed.append(message["content"]["text"])
        elif message["msg_type"] == "error":
            printed.append("ERROR " + message["content"]["ename"] + ": " + message["content"]["evalue"])

    reply = client.execute_interactive(code, timeout=60, output_hook=output)
    return "".join(printed), reply["content"]


def _report(printed: str) -> dict[str, Any]:
    (line,) = [line for line in printed.splitlines() if line.startswith("REPORT ")]
    result: dict[str, Any] = json.loads(line.removeprefix("REPORT "))
    return result


def test_apply_in_a_cell_says_the_kernel_s_loop_is_kept_and_names_the_jupyter_fix(kernel: Any) -> None:
    printed, reply = _run(kernel, REPORT + "_report(flujo_tuning.apply('debug'), flujo_tuning.verify())")
    assert reply["status"] == "ok", printed
    report = _report(printed)
    assert report["in_effect"]["event_loop"] is False  # the kernel's loop is not in debug mode
    assert "the Jupyter kernel made this loop and keeps it" in report["reason"]
    assert report["verify"] == ["asyncio_debug: decided on but the running loop's debug mode is off"]


def test_the_fixes_the_reason_names_work_in_the_kernel(kernel: Any) -> None:
    code = REPORT + (
        "tuning = flujo_tuning.apply('debug')\n"
        "_report(tuning, tuning.configure_loop(asyncio.get_running_loop()))\n"
    )
    printed, reply = _run(kernel, code)
    assert reply["status"] == "ok", printed
    assert _report(printed)["verify"] == []  # the kernel's loop now runs in debug mode
    printed, reply = _run(kernel, "print('STILL ALIVE', 1 + 1)")
    assert "STILL ALIVE 2" in printed  # and the kernel still works

    code = (
        "async def main():\n    return flujo_tuning.verify()\n"
        "print('ON OUR LOOP', await asyncio.to_thread(flujo_tuning.run, main()))\n"
    )
    printed, reply = _run(kernel, code)
    assert reply["status"] == "ok", printed
    assert "ON OUR LOOP []" in printed


def test_run_in_a_cell_raises_our_error_saying_what_to_do(kernel: Any) -> None:
    code = "import flujo_tuning\nasync def main():\n    return 1\nflujo_tuning.run(main())\n"
    _, reply = _run(kernel, code)
    assert reply["status"] == "error"
    assert reply["ename"] == "RunError"
    assert "await" in reply["evalue"]


@pytest.mark.skipif(not EAGER, reason="eager tasks need Python 3.12")
def test_eager_tasks_given_to_the_kernel_s_loop_keep_it_working(kernel: Any) -> None:
    code = REPORT + (
        "tuning = flujo_tuning.apply('throughput')\n"
        "_report(tuning, tuning.configure_loop(asyncio.get_running_loop()))\n"
    )
    printed, reply = _run(kernel, code)
    assert reply["status"] == "ok", printed
    report = _report(printed)
    assert report["task_factory"] is not None
    assert [line.partition(":")[0] for line in report["verify"]] in (["event_loop"], [])  # uvloop or not
    for cell in range(3):  # the kernel still runs cells, top-level await included
        printed, reply = _run(kernel, f"await asyncio.sleep(0)\nprint('CELL', {cell})")
        assert reply["status"] == "ok", printed
        assert f"CELL {cell}" in printed


def test_an_ipython_startup_file_claims_only_what_the_cells_loop_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a startup file can and cannot do: its apply() runs before the kernel's loop runs."""
    from jupyter_client.manager import start_new_kernel  # type: ignore[import-not-found,unused-ignore]

    ipython = tmp_path / "ipython"
    startup = ipython / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-flujo.py").write_text("import flujo_tuning\nflujo_tuning.apply('throughput')\n")
    monkeypatch.setenv("IPYTHONDIR", str(ipython))
    _host_warnings_are_not_ours(monkeypatch)
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    manager, client = start_new_kernel(kernel_name="python3", startup_timeout=60, cwd=str(tmp_path))
    try:
        code = REPORT + (
            "tuning = flujo_tuning.current()\n"
            "_report(tuning, flujo_tuning.verify())\n"
            "print('SCOPE', tuning.decision('task_factory').reason)\n"
        )
        printed, reply = _run(client, code)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert reply["status"] == "ok", printed
    report = _report(printed)
    if EAGER:
        assert "eager tasks go only into loops flujo_tuning makes" in printed
    # The startup file ran before the kernel made its loop: the loop class is the decided one
    # (through our loop policy), the debug mode too; eager tasks, as the reason says, are only in
    # loops we make, and verify() in the cell says this one has none.
    differing = {line.partition(":")[0] for line in report["verify"]}
    if sys.version_info < (3, 14):  # no loop policy on 3.14+: the kernel's loop stays stock there
        assert report["in_effect"]["event_loop"] is True
        assert report["loop"] == "uvloop.Loop" or "uvloop" not in report["reason"]
        assert not differing & {"event_loop", "asyncio_debug"}, report
    if EAGER:
        assert report["task_factory"] is None
        assert differing == {"task_factory"}
