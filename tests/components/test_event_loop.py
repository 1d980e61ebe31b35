"""The event-loop component's experimental loop: rloop, only when named, probed, labelled."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Callable

import pytest

from flujo_tuning import ConfigError, apply, preview
from flujo_tuning.components.backends import Platform
from flujo_tuning.components.event_loop import EXPERIMENTAL, decide
from flujo_tuning.tools.calibrate import CalibrationError, calibrate

from ..conftest import replace_module

LINUX = Platform("linux", (3, 12))


class FakeRloop(asyncio.SelectorEventLoop):
    """A stand-in for rloop's loop class: what is tested is the decision, not rloop."""


def _fake_rloop(monkeypatch: pytest.MonkeyPatch, new_event_loop: Callable[[], object] = FakeRloop) -> None:
    replace_module(monkeypatch, "rloop", new_event_loop=new_event_loop, __version__="0.5.0")


def test_rloop_is_used_only_when_named_and_says_it_is_experimental(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_rloop(monkeypatch)
    for asked in ("auto", "uvloop", "asyncio"):
        decision, _ = decide(asked, "default", False, LINUX, None)
        assert decision.choice != "rloop"
    decision, backend = decide("rloop", "env FLUJO_EVENT_LOOP", True, LINUX, None)
    assert (decision.choice, decision.fallback) == ("rloop", False)
    assert "experimental: its authors say it is not ready for production" in decision.reason
    assert backend.loop_class is FakeRloop
    assert {"rloop"} == EXPERIMENTAL


def test_no_shipped_profile_asks_for_rloop(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_rloop(monkeypatch)
    for profile in ("debug", "default", "ephemeral", "low-memory", "pinned-state", "stdlib", "throughput"):
        assert preview(profile).decision("event_loop").choice != "rloop"


def test_a_missing_rloop_falls_back_and_strict_refuses(hide_module: Callable[..., None]) -> None:
    hide_module("rloop")
    decision = apply(event_loop="rloop").decision("event_loop")
    assert decision.fallback is True
    assert decision.choice in ("uvloop", "asyncio")  # the fast loop first, as for a missing uvloop
    assert "rloop" in decision.reason
    with pytest.raises(ConfigError, match="rloop"):
        apply(event_loop="rloop", strict=True, codec="json")


def test_an_rloop_that_cannot_run_a_loop_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> object:
        raise RuntimeError("no runtime")

    _fake_rloop(monkeypatch, broken)
    decision, _ = decide("rloop", "argument", False, LINUX, None)
    assert decision.fallback is True
    assert "rloop failed to run a loop (RuntimeError: no runtime)" in decision.reason


def test_an_rloop_loop_really_runs_tasks_when_installed() -> None:
    """And what docs/decisions.md says of it: a closed rloop 0.5 loop leaves sockets open."""
    pytest.importorskip("rloop")
    tuning = apply(event_loop="rloop", strict=True)  # the probe leaks nothing (-W error here)

    async def main() -> list[str]:
        await asyncio.get_running_loop().create_task(asyncio.sleep(0))
        from flujo_tuning import verify

        return verify()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        loop = tuning.loop_factory()
        assert type(loop).__module__.startswith("rloop")
        try:
            assert loop.run_until_complete(main()) == []
        finally:
            loop.close()
            del loop
    assert all(issubclass(w.category, ResourceWarning) for w in caught)


def test_search_tries_rloop_only_with_experimental(monkeypatch: pytest.MonkeyPatch) -> None:
    from flujo_tuning.tools.calibrate.candidates import _search_variations

    _fake_rloop(monkeypatch)
    plain = [name for name, _ in _search_variations("default")]
    assert not any("rloop" in name for name in plain)
    asked = [name for name, _ in _search_variations("default", experimental=True)]
    assert "default+event_loop=rloop" in asked
    with pytest.raises(CalibrationError, match=r"experimental \(--experimental\) only adds candidates"):
        calibrate("m:f", experimental=True)
