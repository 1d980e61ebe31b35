"""Each component's backends against the stdlib baseline, in the same run."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

import flujo_tuning
from flujo_tuning import perf
from flujo_tuning.components import codec as codec_component

from ..conftest import load_hasher
from .conftest import Compare
from .test_cache_keys import MEDIUM, SMALL

EAGER = sys.version_info >= (3, 12)
LARGE = {"batch": [MEDIUM for _ in range(80)]}  # about 1 MB of JSON


def _loop_factories() -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    factories: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {"asyncio": asyncio.SelectorEventLoop}
    try:
        import uvloop

        factories["uvloop"] = uvloop.new_event_loop
    except ImportError:  # pragma: no cover - Windows
        pass
    return factories


LOOPS = _loop_factories()

# ---------------------------------------------------------------- event loop


async def _awaits(count: int) -> list[int]:
    """Await a future completed by a loop callback, like an I/O completion; return each latency."""
    loop = asyncio.get_running_loop()
    latencies = []
    clock = time.perf_counter_ns
    for _ in range(count):
        start = clock()
        future = loop.create_future()
        loop.call_soon(future.set_result, None)
        await future
        latencies.append(clock() - start)
    return latencies


def _run_on(factory: Callable[[], asyncio.AbstractEventLoop], main: Any) -> Any:
    loop = factory()
    try:
        return loop.run_until_complete(main)
    finally:
        loop.close()


@pytest.mark.parametrize("loop", list(LOOPS))
def test_event_loop_awaits(benchmark: Any, compare: Compare, loop: str) -> None:
    latencies = benchmark(lambda: _run_on(LOOPS[loop], _awaits(1000)))
    cuts = statistics.quantiles(latencies, n=100)
    note = f"per await: p50 {cuts[49]:.0f} ns, p99 {cuts[98]:.0f} ns (last round)"
    compare(benchmark, "event loop: 1,000 awaits of a callback", loop, baseline=loop == "asyncio", note=note)


# ---------------------------------------------------------------- task factory


async def _cache_hits(count: int) -> None:
    async def hit(i: int) -> int:  # a cache hit: returns without suspending
        return i

    await asyncio.gather(*(hit(i) for i in range(count)))


@pytest.mark.parametrize("loop", list(LOOPS))
@pytest.mark.parametrize("factory", ["default", "eager"])
def test_task_factory_cache_hit_gather(benchmark: Any, compare: Compare, loop: str, factory: str) -> None:
    if factory == "eager" and not EAGER:
        pytest.skip("eager tasks need Python 3.12")
    tuning = flujo_tuning.apply(event_loop=loop, task_factory=factory)
    benchmark(lambda: _run_on(tuning.loop_factory, _cache_hits(1000)))
    name = f"{loop}, {factory} task factory"
    compare(
        benchmark,
        "task factory: gather of 1,000 cache hits",
        name,
        baseline=name == "asyncio, default task factory",
    )


# ---------------------------------------------------------------- codecs

PAYLOADS = {"small": SMALL, "medium": MEDIUM, "large": LARGE}
CODECS = ["json", "orjson", "msgspec"]


@pytest.mark.parametrize("size", list(PAYLOADS))
@pytest.mark.parametrize("name", CODECS)
def test_codec_dumps(benchmark: Any, compare: Compare, name: str, size: str) -> None:
    codec = codec_component.LOADERS[name]().backend
    benchmark(codec.dumps, PAYLOADS[size])
    compare(benchmark, f"codec dumps {size}", name, baseline=name == "json")


@pytest.mark.parametrize("size", list(PAYLOADS))
@pytest.mark.parametrize("name", CODECS)
def test_codec_loads(benchmark: Any, compare: Compare, name: str, size: str) -> None:
    codec = codec_component.LOADERS[name]().backend
    data = codec.dumps(PAYLOADS[size])
    benchmark(codec.loads, data)
    compare(benchmark, f"codec loads {size}", name, baseline=name == "json")


# ---------------------------------------------------------------- hashers

SIZES = {"32 B": 32, "1 KB": 1024, "64 KB": 64 * 1024, "16 MB": 16 * 1024 * 1024}


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("name", ["sha256", "blake2b", "blake3", "xxh3_128"])
def test_hasher(benchmark: Any, compare: Compare, name: str, size: str) -> None:
    hasher = load_hasher(name)
    if hasher is None:
        pytest.skip(f"{name} not installed")
    data = os.urandom(SIZES[size])
    benchmark(hasher.digest, data)
    compare(benchmark, f"hasher {size}", name, baseline=name == "sha256")


# ---------------------------------------------------------------- perf helpers


def test_perf_counter(benchmark: Any, compare: Compare) -> None:
    clock = time.perf_counter
    benchmark(lambda: [clock() for _ in range(1000)])
    compare(benchmark, "clock: 1,000 reads", "time.perf_counter (float s)", baseline=True)


def test_time_perf_ns(benchmark: Any, compare: Compare) -> None:
    clock = perf.time_perf_ns
    benchmark(lambda: [clock() for _ in range(1000)])
    compare(benchmark, "clock: 1,000 reads", "flujo_tuning.perf.time_perf_ns (int ns)")


def _work(x: int) -> int:
    return x + 1


def _calls(function: Callable[[int], int]) -> None:
    for i in range(1000):
        function(i)


def test_measure_time_bare(benchmark: Any, compare: Compare) -> None:
    benchmark(_calls, _work)
    compare(benchmark, "measure_time: 1,000 calls", "bare function", baseline=True)


@pytest.mark.parametrize("perf_debug", [False, True])
def test_measure_time_overhead(benchmark: Any, compare: Compare, perf_debug: bool) -> None:
    flujo_tuning.apply(perf_debug=perf_debug)
    measured = perf.measure_time(_work)
    assert (measured is _work) is (not perf_debug)
    benchmark(_calls, measured)
    label = "on (events dropped by the logger)" if perf_debug else "off"
    compare(benchmark, "measure_time: 1,000 calls", f"decorated, perf_debug {label}")


def test_measure_time_decorated_before_apply(benchmark: Any, compare: Compare) -> None:
    flujo_tuning.reset()
    measured = perf.measure_time(_work)  # no Tuning yet: a wrapper that asks at each call
    flujo_tuning.apply(perf_debug=False)
    assert measured is not _work
    benchmark(_calls, measured)
    compare(benchmark, "measure_time: 1,000 calls", "decorated before apply(), perf_debug off")


# ---------------------------------------------------------------- scratch buffers


def _peak_bytes(function: Callable[[], None]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("mode", ["fresh bytes", "scratch buffer"])
def test_scratch_buffer_vs_fresh_allocation(benchmark: Any, compare: Compare, mode: str) -> None:
    import msgspec

    encoder = msgspec.msgpack.Encoder(order="deterministic")
    tuning = flujo_tuning.apply(buffer_size="64KiB")
    pool = tuning.buffers

    def fresh() -> None:
        for _ in range(100):
            hashlib.sha256(encoder.encode(MEDIUM)).digest()

    def reused() -> None:
        for _ in range(100):
            buffer = pool.acquire()
            encoder.encode_into(MEDIUM, buffer)
            hashlib.sha256(buffer).digest()
            pool.release(buffer)

    function = fresh if mode == "fresh bytes" else reused
    benchmark(function)
    peak = _peak_bytes(function)
    compare(
        benchmark,
        "scratch buffer: 100 encode+hash of 12 KB",
        mode,
        baseline=mode == "fresh bytes",
        note=f"tracemalloc peak {peak / 1024:.1f} KiB",
    )


# ---------------------------------------------------------------- import and apply


def test_import_flujo_tuning(benchmark: Any, compare: Compare) -> None:
    def fresh_interpreter(code: str) -> None:
        subprocess.run([sys.executable, "-c", code], check=True)

    benchmark.pedantic(fresh_interpreter, args=("import flujo_tuning",), rounds=10, iterations=1)
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import flujo_tuning"],
        capture_output=True,
        text=True,
        check=True,
    )
    own = [line for line in out.stderr.splitlines() if line.rstrip().endswith("| flujo_tuning")]
    cumulative_us = int(own[-1].split("|")[1]) if own else -1
    compare(
        benchmark,
        "start-up",
        "python -c 'import flujo_tuning'",
        note=f"-X importtime: flujo_tuning {cumulative_us / 1000:.2f} ms cumulative",
    )


def test_cli_help(benchmark: Any, compare: Compare) -> None:
    from pathlib import Path

    script = str(Path(sys.executable).with_name("flujo-tuning"))
    benchmark.pedantic(
        lambda: subprocess.run([script, "--help"], check=True, capture_output=True), rounds=10, iterations=1
    )
    compare(benchmark, "start-up", "flujo-tuning --help")


def test_interpreter_start(benchmark: Any, compare: Compare) -> None:
    benchmark.pedantic(
        lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), rounds=10, iterations=1
    )
    compare(benchmark, "start-up", "python -c 'pass'", baseline=True)


def test_apply_incremental_cost(benchmark: Any, compare: Compare) -> None:
    flujo_tuning.apply()  # import every dependency first: the cost measured is apply() itself
    benchmark.pedantic(flujo_tuning.apply, setup=flujo_tuning.reset, rounds=50, iterations=1)
    compare(benchmark, "apply()", "apply() after reset(), dependencies imported", baseline=True)


def test_json_roundtrip_sanity() -> None:
    """The payloads are what the group names say (kept honest)."""
    assert 11_000 <= len(json.dumps(MEDIUM)) <= 14_000
    assert 900_000 <= len(json.dumps(LARGE)) <= 1_200_000
