"""verify(): what differs, right now in this thread, between the current Tuning and what runs."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any

import pytest

import flujo_tuning
from flujo_tuning import apply, verify

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
    apply("throughput")
    assert asyncio.run(_verify()) == []


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
    assert difference.endswith("but the running loop's task factory is asyncio's default (None)")


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
    assert difference.endswith("plain asyncio.run() will not make the decided loop")


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
    ],
)
def test_the_fix_names_the_host_that_drives_the_loop(host: str, fix: str) -> None:
    from flujo_tuning.runtime import verify as running

    assert fix in _called_by(host, running.host_fix)

    async def main() -> flujo_tuning.Tuning:
        return apply("stdlib", asyncio_debug=True)

    assert fix in _called_by(host, lambda: asyncio.run(main())).decision("event_loop").reason


def test_an_imported_host_that_does_not_drive_the_loop_is_not_blamed(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    from flujo_tuning.runtime import verify as running

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
