"""Task factories: eager tasks where they work, a probe where they may not, the fallbacks."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest

import flujo_tuning
from flujo_tuning import ConfigError, apply
from flujo_tuning.components import task_factory
from flujo_tuning.components.backends import Platform
from flujo_tuning.components.event_loop import LoopBackend

EAGER_SUPPORTED = sys.version_info >= (3, 12)


async def _created_task_started_immediately() -> bool:
    started: list[bool] = []

    async def child() -> None:
        started.append(True)

    task = asyncio.get_running_loop().create_task(child())
    eager = bool(started)
    await task
    return eager


@pytest.mark.skipif(not EAGER_SUPPORTED, reason="eager tasks need Python 3.12")
@pytest.mark.parametrize("loop", ["uvloop", "asyncio"])
def test_eager_tasks_really_start_eagerly(loop: str) -> None:
    if loop == "uvloop" and sys.platform == "win32":
        pytest.skip("no uvloop on Windows")
    tuning = apply(task_factory="eager", event_loop=loop)
    decision = tuning.decision("task_factory")
    if loop == "uvloop" and "failed the probe" in decision.reason:
        pytest.skip("asyncio's eager factory fails on this uvloop: not offered (tested below)")
    assert (decision.choice, decision.fallback) == ("eager", False)
    assert flujo_tuning.run(_created_task_started_immediately()) is True
    new_loop = tuning.loop_factory()
    try:
        assert new_loop.run_until_complete(_created_task_started_immediately()) is True
    finally:
        new_loop.close()


def test_default_task_factory_does_not_start_tasks_eagerly() -> None:
    apply(task_factory="default")
    assert asyncio.run(_created_task_started_immediately()) is False


@pytest.mark.skipif(EAGER_SUPPORTED, reason="only Python < 3.12 lacks eager tasks")
def test_eager_before_python_312_falls_back_with_reason() -> None:
    decision = apply(task_factory="eager").decision("task_factory")
    assert (decision.choice, decision.fallback) == ("default", True)
    assert decision.reason.startswith(f"eager task factory needs Python 3.12 (running {sys.version_info[0]}.")
    with pytest.raises(ConfigError, match=r"eager task factory needs Python 3\.12"):
        apply(task_factory="eager", strict=True)


@pytest.mark.skipif(
    sys.version_info[:2] != (3, 13) or sys.platform == "win32", reason="the uvloop 0.23 + 3.13 case"
)
def test_eager_tasks_are_not_offered_where_asyncios_own_factory_fails_the_probe() -> None:
    import uvloop

    problem = task_factory.probe(uvloop.new_event_loop, asyncio.eager_task_factory)  # type: ignore[attr-defined,unused-ignore]
    if problem is None:
        pytest.skip(
            f"uvloop {getattr(uvloop, '__version__', '?')} accepts asyncio.eager_task_factory on 3.13"
        )
    assert "eager_start" in problem
    decision = apply(task_factory="eager", event_loop="uvloop").decision("task_factory")
    assert (decision.choice, decision.fallback) == ("default", True)
    assert "asyncio.eager_task_factory failed the probe (TypeError" in decision.reason
    assert "anyio (httpx, pydantic-ai) recognises only asyncio's" in decision.reason
    assert flujo_tuning.run(_created_task_started_immediately()) is False
    with pytest.raises(ConfigError, match="event_loop = 'asyncio' keeps eager tasks there"):
        apply(task_factory="eager", event_loop="uvloop", strict=True)


@pytest.mark.skipif(not EAGER_SUPPORTED, reason="eager tasks need Python 3.12")
def test_eager_falls_back_when_asyncios_factory_fails_the_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(task_factory, "probe", lambda new_loop, factory: "TypeError: simulated")
    decision = apply(task_factory="eager").decision("task_factory")
    assert (decision.choice, decision.fallback) == ("default", True)
    assert "eager tasks fail on" in decision.reason
    assert "TypeError: simulated" in decision.reason


@pytest.mark.skipif(not EAGER_SUPPORTED, reason="eager tasks need Python 3.12")
@pytest.mark.parametrize("loop", ["uvloop", "asyncio"])
def test_the_only_eager_factory_ever_installed_is_asyncios_own(loop: str) -> None:
    """anyio recognises asyncio's factory by its code object: any other breaks its task groups."""
    if loop == "uvloop" and sys.platform == "win32":
        pytest.skip("no uvloop on Windows")
    tuning = apply(task_factory="eager", event_loop=loop)
    if tuning.choices["task_factory"] == "eager":
        assert tuning.task_factory is asyncio.eager_task_factory  # type: ignore[attr-defined,unused-ignore]
    else:
        assert tuning.task_factory is None


def test_probe_reports_the_error_of_a_broken_factory() -> None:
    def broken(loop: Any, coro: Any, **kwargs: Any) -> Any:
        raise TypeError("unexpected keyword argument 'eager_start'")

    assert task_factory.probe(asyncio.SelectorEventLoop, broken) == (
        "TypeError: unexpected keyword argument 'eager_start'"
    )


@pytest.mark.skipif(not EAGER_SUPPORTED, reason="eager tasks need Python 3.12")
def test_probe_runs_inside_a_running_loop() -> None:
    async def main() -> str | None:
        return task_factory.probe(asyncio.SelectorEventLoop, asyncio.eager_task_factory)  # type: ignore[attr-defined,unused-ignore]

    assert asyncio.run(main()) is None


def test_simulated_old_python_never_probes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(task_factory, "probe", lambda *a: pytest.fail("probe must not run"))
    decision, factory = task_factory.decide(
        "eager",
        "argument",
        False,
        Platform("linux", (3, 11)),
        LoopBackend("asyncio", asyncio.SelectorEventLoop),
    )
    assert factory is None
    assert decision.fallback is True
