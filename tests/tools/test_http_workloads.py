"""bench's network-bound scenarios: the local server they call (started, answering, stopped, never
outliving its parent) and what each scenario really does with its clients."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

import httpx
import pytest

import flujo_tuning
from flujo_tuning.tools import bench, http_workloads
from flujo_tuning.tools.http_stub import serving
from flujo_tuning.tools.workloads import run_scenario


def _refused(url: str) -> bool:
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port or 80), timeout=1).close()
    except OSError:
        return True
    return False


def test_the_server_answers_after_its_delay_and_is_gone_after_the_block() -> None:
    with serving(delay_ms=50) as url:
        assert url.startswith("http://127.0.0.1:")
        start = time.perf_counter()
        answer = httpx.get(url)
        assert time.perf_counter() - start >= 0.05
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/json"
        assert json.loads(answer.content)["usage"] == {"prompt": 112, "completion": 24}
    assert _refused(url)


def test_the_server_stops_when_the_benchmark_that_started_it_is_killed() -> None:
    code = (
        "import os, signal\n"
        "from flujo_tuning.tools.http_stub import serving\n"
        "with serving() as url:\n"
        "    print(url, flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    parent = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert parent.returncode == -signal.SIGKILL
    url = parent.stdout.strip()
    deadline = time.monotonic() + 10
    while not _refused(url):
        assert time.monotonic() < deadline, f"the server at {url} outlived its parent"
        time.sleep(0.1)


@pytest.mark.parametrize(("name", "clients_per_call"), [("http-shared", 0), ("http-per-call", 1)])
def test_a_scenario_calls_the_server_with_the_clients_its_title_says(
    name: str, clients_per_call: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[object] = []
    original = httpx.AsyncClient.__init__

    def counting(self: httpx.AsyncClient, *args: object, **kwargs: object) -> None:
        made.append(self)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(httpx.AsyncClient, "__init__", counting)
    (scenario,) = [s for s in http_workloads.HTTP_SCENARIOS if s.name == name]
    calls = 12
    rate = run_scenario(scenario, flujo_tuning.preview("stdlib"), calls)
    assert rate > 0
    assert len(made) == (1 if clients_per_call == 0 else calls)


def test_without_httpx_the_http_scenarios_are_left_out_and_the_report_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flujo_tuning.tools import workloads

    monkeypatch.setattr(http_workloads, "httpx_available", lambda: False)
    fast = workloads.Scenario(
        "trivial", "1,000 trivial agent steps (no cache hits)", 100, lambda _t, _n: 0.01
    )
    monkeypatch.setattr(workloads, "SCENARIOS", (fast,))
    report = bench.run_bench(("stdlib", "default"), quick=True)
    assert [name for name, _ in report.scenarios] == ["trivial"]
    assert report.environment["http scenarios"] == "left out: httpx is not installed (pip install httpx)"
    monkeypatch.setattr(http_workloads, "httpx_available", lambda: True)
    monkeypatch.setattr(
        http_workloads, "HTTP_SCENARIOS", (fast.__class__("http-shared", "t", 1, lambda _t, _n: 0.01, 1),)
    )
    assert [name for name, _ in bench.run_bench(("stdlib", "default"), quick=True).scenarios] == [
        "trivial",
        "http-shared",
    ]


def test_an_answer_other_than_200_fails_the_measurement() -> None:
    from flujo_tuning.tools.workloads import WorkloadError

    request = httpx.Request("GET", "http://127.0.0.1:1/")
    with pytest.raises(WorkloadError, match=r"HTTP 503 from http://127\.0\.0\.1:1/"):
        http_workloads.ok(httpx.Response(503, request=request))
    assert http_workloads.ok(httpx.Response(200, request=request)).status_code == 200
