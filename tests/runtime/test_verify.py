"""verify(): what differs, right now in this thread, between the current Tuning and what runs."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any

import pytest

import flujo_tuning
from flujo_tuning import apply, verify

from ..conftest import eager_offered

EAGER = sys.version_info >= (3, 12)


async def _verify() -> list[str]:
    return verify()


def _on_a_plain_loop(main: object) -> list[str]:
    """Run on a stock asyncio loop made here, not through any policy or Tuning."""
    loop = asyncio.SelectorEventLoop()
    try:
        result: list[str] = loop.run_until_complete(main)  # type: ignore[arg-type]
        return result
    finally:
        loop.close()


def test_nothing_applied_is_reported() -> None:
    assert verify() == ["no Tuning is in force in this process: apply() has not run"]


@pytest.mark.parametrize("profile", ["stdlib", "default", "throughput", "debug"])
def test_a_loop_made_by_the_tuning_matches(profile: str) -> None:
    apply(profile)
    assert flujo_tuning.run(_verify()) == []
    assert verify() == []  # no loop here: the installed policy still makes the decided loop


def test_plain_asyncio_run_gets_the_decided_loop_through_the_policy() -> None:
    if sys.version_info >= (3, 14):
        pytest.skip("no policy on 3.14+")
    apply("throughput", task_factory_scope="process")
    assert asyncio.run(_verify()) == []


@pytest.mark.skipif(not EAGER or sys.version_info >= (3, 14), reason="eager tasks and loop policies")
def test_plain_asyncio_run_gets_the_loop_class_but_not_eager_tasks_by_default() -> None:
    tuning = apply("throughput", **({} if eager_offered() else {"event_loop": "asyncio"}))
    assert tuning.installs_policy == (tuning.decision("event_loop").choice != "asyncio")
    assert "eager tasks go only into loops flujo_tuning makes" in tuning.decision("task_factory").reason
    assert "task_factory_scope = 'run' from default" in tuning.decision("task_factory").reason
    (difference,) = asyncio.run(_verify())  # a loop we did not make: the class, not eager tasks
    assert difference.startswith("task_factory: decided eager (")
    assert "give this loop them with tuning.configure_loop(loop)" in difference
    assert flujo_tuning.run(_verify()) == []  # a loop we made: everything
    assert verify() == []  # no loop runs here, and the policy in place is ours


@pytest.mark.skipif(not EAGER, reason="eager tasks need Python 3.12")
def test_configure_loop_gives_a_host_loop_the_task_factory_and_debug_mode() -> None:
    tuning = apply("throughput", event_loop="asyncio", asyncio_debug=True)
    loop = asyncio.SelectorEventLoop()  # a loop some host made
    try:
        assert tuning.configure_loop(loop) == []
        assert loop.get_task_factory() is tuning.task_factory
        assert loop.get_debug() is True
        assert loop.run_until_complete(_verify()) == []
    finally:
        loop.close()
    with pytest.raises(ValueError, match="closed"):
        tuning.configure_loop(loop)


def test_configure_loop_cannot_change_the_class_and_says_so() -> None:
    tuning = apply("default")
    if tuning.decision("event_loop").choice != "uvloop":
        pytest.skip("uvloop is not available here")
    loop = asyncio.SelectorEventLoop()
    loop.set_debug(True)  # the host's own choice: asyncio_debug off does not undo it
    own_factory = loop.get_task_factory()
    try:
        remaining = tuning.configure_loop(loop)
        assert [line.partition(":")[0] for line in remaining] == ["event_loop", "asyncio_debug"]
        assert remaining[0].startswith("event_loop: decided uvloop (uvloop.Loop) but the loop is ")
        assert loop.get_task_factory() is own_factory  # ours is asyncio's default: nothing set
        assert loop.get_debug() is True
        assert loop.run_until_complete(_verify()) == [
            line.replace("the loop", "the running loop") for line in remaining
        ]
    finally:
        loop.close()


@pytest.mark.parametrize("profile", ["default", "debug"])
def test_a_loop_set_for_the_thread_but_not_running_is_checked(profile: str) -> None:
    """What granian does: set a loop, import the app (which applies), then run the loop."""
    loop = asyncio.SelectorEventLoop()
    asyncio.set_event_loop(loop)
    try:
        tuning = apply(profile)
        stock = isinstance(loop, tuning.loop_class) and not tuning.settings.asyncio_debug
        decision = tuning.decision("event_loop")
        assert decision.in_effect is stock
        found = verify()
        assert (found == []) is stock
        if not stock:
            assert "the loop set for this thread and not running yet" in decision.reason
            assert "tuning.configure_loop(loop)" in decision.reason
            assert all("the loop set for this thread (not running yet)" in line for line in found)
            assert loop.run_until_complete(_verify()) == [
                line.replace("the loop set for this thread (not running yet)", "the running loop")
                for line in found
            ]
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    assert verify() == []  # no loop set any more: nothing to compare but the policy


def test_a_stock_loop_under_a_uvloop_decision_differs() -> None:
    tuning = apply("default")
    if tuning.decision("event_loop").choice != "uvloop":
        pytest.skip("uvloop is not available here")
    (difference,) = [d for d in _on_a_plain_loop(_verify()) if d.startswith("event_loop")]
    assert difference == (
        "event_loop: decided uvloop (uvloop.Loop) but the running loop is "
        f"{asyncio.SelectorEventLoop.__module__}.{asyncio.SelectorEventLoop.__qualname__}"
    )


@pytest.mark.skipif(not EAGER, reason="eager tasks need Python 3.12")
def test_a_missing_eager_task_factory_is_reported() -> None:
    apply("throughput", event_loop="asyncio")
    differences = _on_a_plain_loop(_verify())
    (difference,) = differences
    assert difference.startswith("task_factory: decided eager (")
    assert "but the running loop's task factory is asyncio's default (None)" in difference


def test_debug_mode_is_compared() -> None:
    apply("stdlib", asyncio_debug=True)
    assert _on_a_plain_loop(_verify()) == [
        "asyncio_debug: decided on but the running loop's debug mode is off"
    ]
    assert flujo_tuning.run(_verify()) == []


def test_a_replaced_policy_is_reported_when_no_loop_runs() -> None:
    if sys.version_info >= (3, 14):
        pytest.skip("no policy on 3.14+")
    apply("default", event_loop="asyncio", asyncio_debug=True)  # installs a policy
    asyncio.set_event_loop_policy(None)  # someone else resets it
    (difference,) = verify()
    assert difference.startswith("event_loop: the loop policy apply() installed was replaced by ")
    assert difference.endswith(
        "plain asyncio.run() will not make the decided loop (apply() again wraps the new one)"
    )


def _called_by(package: str, function: Callable[[], Any]) -> Any:
    """Call *function* from a frame that belongs to *package*, as a host's own code would."""
    namespace: dict[str, Any] = {"__name__": f"{package}.server"}
    exec("def drive(function):\n    return function()\n", namespace)
    return namespace["drive"](function)


@pytest.mark.parametrize(
    ("host", "fix"),
    [
        ("uvicorn", "start it with --loop flujo_tuning.integrations.uvicorn:loop_factory"),
        ("ray", "ray.init(runtime_env=flujo_tuning.integrations.ray.runtime_env())"),
        ("hypercorn", "hypercorn made this loop: call apply() at the import of the app"),
        ("distributed", "client.register_plugin(flujo_tuning.integrations.dask.worker_plugin())"),
        ("ipykernel", "await asyncio.to_thread(flujo_tuning.run, main())"),
        ("pytest_asyncio", "pytest_asyncio_loop_factories hook in conftest.py"),
    ],
)
def test_the_fix_names_the_host_that_drives_the_loop(host: str, fix: str) -> None:
    from flujo_tuning.runtime import observe as running

    assert fix in _called_by(host, running.host_fix)

    async def main() -> flujo_tuning.Tuning:
        return apply("stdlib", asyncio_debug=True)

    assert fix in _called_by(host, lambda: asyncio.run(main())).decision("event_loop").reason


def test_an_imported_host_that_does_not_drive_the_loop_is_not_blamed(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    from flujo_tuning.runtime import observe as running

    monkeypatch.setitem(sys.modules, "uvicorn", types.ModuleType("uvicorn"))
    monkeypatch.setitem(sys.modules, "ray", types.ModuleType("ray"))
    assert (
        running.host_fix() == "call apply() before the loop starts, or run it with flujo_tuning.run(main())"
    )


def test_the_uvicorn_loop_factory_applies_and_makes_the_decided_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    from flujo_tuning.integrations.uvicorn import LOOP, loop_factory

    assert f"{loop_factory.__module__}:{loop_factory.__name__}" == LOOP
    monkeypatch.setenv("FLUJO_PROFILE", "stdlib")
    monkeypatch.setenv("FLUJO_ASYNCIO_DEBUG", "1")
    loop = loop_factory()
    try:
        tuning = flujo_tuning.current()
        assert tuning is not None
        assert tuning.profile == "stdlib"
        assert type(loop) is asyncio.SelectorEventLoop
        assert loop.get_debug() is True
        assert loop.run_until_complete(_verify()) == []
    finally:
        loop.close()


def test_configure_loop_logs_what_it_set_and_what_still_differs() -> None:
    from structlog.testing import capture_logs

    tuning = apply("stdlib", asyncio_debug=True)
    loop = asyncio.SelectorEventLoop()
    try:
        with capture_logs() as events:
            assert tuning.configure_loop(loop) == []
    finally:
        loop.close()
    (event,) = [e for e in events if e["event"] == "flujo_tuning.loop_configured"]
    assert event["log_level"] == "info"
    assert event["set"] == ["asyncio_debug=on"]
    assert event["differences"] == []
    assert event["fingerprint"] == tuning.fingerprint


@pytest.mark.skipif(not EAGER or sys.version_info >= (3, 14), reason="eager tasks and loop policies")
def test_a_process_tuned_whole_by_an_integration_gets_eager_tasks_in_every_new_loop() -> None:
    """Ray's workers (through our Ray integration): the loops Ray makes are ours to tune."""
    from flujo_tuning.runtime.apply import worker_loops_are_ours

    tuning = apply("throughput", event_loop="asyncio")
    assert asyncio.run(_verify()) != []  # plain asyncio.run(): not ours, no eager tasks
    worker_loops_are_ours()
    assert asyncio.run(_verify()) == []
    assert verify() == []  # and the policy in place is still recognised as ours
    assert tuning.installs_policy is False  # stock class and no debug: apply() alone installs none


def test_the_notebook_fix_names_the_ipython_startup_file_that_gives_the_kernel_our_loop() -> None:
    from flujo_tuning.runtime.observe import HOST_FIXES

    (fix,) = [text for hosts, text in HOST_FIXES if "ipykernel" in hosts]
    assert "flujo_tuning.apply() in an IPython startup file (~/.ipython/profile_default/startup/" in fix
    assert "tuning.configure_loop(asyncio.get_running_loop())" in fix
