"""apply() from many places at once: threads, running loops, forks, spawned children, hash seeds."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest
from structlog.testing import capture_logs

import flujo_tuning
from flujo_tuning import apply, current


@pytest.mark.parametrize("callers", [8, 32, 64])
def test_many_threads_end_with_one_tuning_and_one_set_of_events(
    callers: int, maximum: Callable[[str, int], None]
) -> None:
    barrier = threading.Barrier(callers)
    results: list[flujo_tuning.Tuning] = []
    errors: list[BaseException] = []

    def caller() -> None:
        try:
            barrier.wait()
            results.append(apply())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    with capture_logs() as events:
        threads = [threading.Thread(target=caller) for _ in range(callers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert len(results) == callers
    assert len({id(r) for r in results}) == 1
    assert current() is results[0]
    assert [e["event"] for e in events].count("flujo_tuning.decision") == len(results[0].decisions)
    assert [e["event"] for e in events].count("flujo_tuning.applied") == 1
    maximum("concurrent apply() callers with one consistent result", callers)


def test_threads_applying_different_profiles_end_consistent() -> None:
    profiles = ["default", "stdlib", "throughput", "debug"] * 4
    barrier = threading.Barrier(len(profiles))

    def caller(name: str) -> None:
        barrier.wait()
        apply(name)

    threads = [threading.Thread(target=caller, args=(name,)) for name in profiles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final = current()
    assert final is not None
    # Whichever came last is in force, whole: its loop factory matches its own decisions.
    loop = final.loop_factory()
    try:
        choice = final.decision("event_loop").choice
        assert type(loop).__module__.split(".")[0] == ("uvloop" if choice == "uvloop" else "asyncio")
    finally:
        loop.close()


def test_apply_inside_a_different_running_loop_says_the_choice_is_not_in_effect_there() -> None:
    async def main() -> tuple[type, type, flujo_tuning.Tuning, list[str]]:
        before = type(asyncio.get_running_loop())
        tuning = apply("default", event_loop="asyncio", asyncio_debug=True)  # differs: debug mode
        return before, type(asyncio.get_running_loop()), tuning, flujo_tuning.verify()

    with capture_logs() as events:
        before, after, tuning, differences = asyncio.run(main())
    assert before is after is asyncio.SelectorEventLoop
    decision = tuning.decision("event_loop")
    assert decision.in_effect is False
    kind = f"{before.__module__}.{before.__qualname__}"
    assert f"the running loop ({kind}) is kept and differs (decided on but this loop's debug mode" in (
        decision.reason
    )
    assert "the choice applies to new loops only; call apply() before the loop starts" in decision.reason
    logged = next(e for e in events if e.get("component") == "event_loop")
    assert (logged["log_level"], logged["in_effect"]) == ("warning", False)
    assert differences == ["asyncio_debug: decided on but the running loop's debug mode is off"]


def test_apply_inside_a_matching_running_loop_says_so() -> None:
    async def main() -> flujo_tuning.Tuning:
        return apply("stdlib")

    decision = asyncio.run(main()).decision("event_loop")
    assert decision.in_effect is True
    assert decision.reason.endswith("is kept and matches the choice")


def test_apply_in_a_non_main_thread_then_run_there() -> None:
    seen: dict[str, Any] = {}

    def worker() -> None:
        tuning = apply()
        seen["tuning"] = tuning

        async def kind() -> str:
            return type(asyncio.get_running_loop()).__module__

        seen["loop"] = flujo_tuning.run(kind())

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    tuning: flujo_tuning.Tuning = seen["tuning"]
    assert seen["loop"].split(".")[0] == (
        "uvloop" if tuning.decision("event_loop").choice == "uvloop" else "asyncio"
    )
    assert current() is tuning  # the policy and Tuning are process-wide


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_apply_again_after_fork_in_the_child() -> None:
    parent = apply()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            child = apply()

            async def loop_type() -> type:
                return type(asyncio.get_running_loop())

            expected = parent.loop_factory()
            expected.close()
            same_loop = flujo_tuning.run(loop_type()) is type(expected)
            os.write(write_end, b"same" if child is parent and same_loop else b"different")
        except BaseException as exc:
            os.write(write_end, repr(exc).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    _, status = os.waitpid(pid, 0)
    assert os.read(read_end, 1000) == b"same"
    assert status == 0
    os.close(read_end)


def _spawned_child(queue: Any) -> None:
    import flujo_tuning as child_module

    tuning = child_module.apply("throughput")
    queue.put((tuning.settings.profile, tuning.fingerprint))


def test_apply_in_a_multiprocessing_spawn_child() -> None:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_spawned_child, args=(queue,))
    process.start()
    profile, fingerprint = queue.get(timeout=60)
    process.join(timeout=60)
    assert process.exitcode == 0
    assert profile == "throughput"
    assert fingerprint == apply("throughput").fingerprint


def test_apply_under_nest_asyncio() -> None:
    pytest.importorskip("nest_asyncio")
    code = (
        "import warnings; warnings.simplefilter('ignore', DeprecationWarning)\n"
        "import nest_asyncio, asyncio; nest_asyncio.apply()\n"
        "import flujo_tuning\n"
        "d = flujo_tuning.apply().decision('event_loop')\n"
        "async def inner(): return type(asyncio.get_running_loop()).__module__\n"
        "async def outer(): return asyncio.run(inner())\n"
        "print(d.choice, '|', d.reason, '|', asyncio.run(outer()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    choice, reason, nested_loop = out.stdout.strip().split(" | ")
    assert choice == "asyncio"
    assert "nest_asyncio is active and cannot patch uvloop loops" in reason
    assert nested_loop == asyncio.SelectorEventLoop.__module__


@pytest.mark.parametrize("seed", ["0", "1", "987654"])
def test_apply_and_keys_do_not_depend_on_the_hash_seed(seed: str) -> None:
    code = (
        "import flujo_tuning\n"
        "t = flujo_tuning.apply()\n"
        "print(t.fingerprint, t.cache_key({'s': {'b', 'a', 'c'}, 1: 'x', 'k': frozenset({1, 'one'})}))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": seed}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    tuning = apply()
    expected = (
        f"{tuning.fingerprint} {tuning.cache_key({'s': {'b', 'a', 'c'}, 1: 'x', 'k': frozenset({1, 'one'})})}"
    )
    assert out.stdout.strip().splitlines()[-1] == expected


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks need Python 3.12")
def test_apply_inside_a_host_loop_says_eager_tasks_are_not_there() -> None:
    """A server's loop is not ours: throughput's eager tasks are not put into it behind its back."""

    async def main() -> tuple[Any, flujo_tuning.Tuning]:
        tuning = apply("throughput", event_loop="asyncio")
        return asyncio.get_running_loop().get_task_factory(), tuning

    factory, tuning = asyncio.run(main())
    assert factory is None
    decision = tuning.decision("task_factory")
    assert decision.in_effect is False
    assert "eager tasks go only into loops flujo_tuning makes" in decision.reason
    assert "tuning.configure_loop(loop)" in decision.reason
    assert tuning.decision("event_loop").in_effect is True


def test_under_trio_nothing_of_the_loop_is_claimed() -> None:
    pytest.importorskip("trio")
    anyio = pytest.importorskip("anyio")

    async def main() -> tuple[flujo_tuning.Tuning, list[str]]:
        return apply("default"), flujo_tuning.verify()

    tuning, differences = anyio.run(main, backend="trio")
    assert differences == [
        "event_loop: this thread runs trio, not asyncio: the event loop, task factory and asyncio "
        "debug decisions are not in effect here (codec, hasher and cache keys are)"
    ]
    for component in ("event_loop", "task_factory"):
        decision = tuning.decision(component)
        assert decision.in_effect is False
        assert "this thread runs trio, not asyncio" in decision.reason
    assert tuning.cache_key({"a": 1}).startswith("fk1:")
    assert flujo_tuning.verify() == []  # trio has returned: no loop here, the policy is ours
