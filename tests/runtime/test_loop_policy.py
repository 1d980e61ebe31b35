"""Python 3.14 and later, by construction: no interpreter here has it, so its code paths run on
this one with the loop-policy API gone (3.16 removes it; 3.14 warns, and warnings are errors here).
Any call our code makes to it then fails the test."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator

import pytest

import flujo_tuning
from flujo_tuning.components import backends
from flujo_tuning.runtime import loop_policy

HAS_UVLOOP = sys.platform != "win32"
POLICY_API = (
    "get_event_loop_policy",
    "set_event_loop_policy",
    "AbstractEventLoopPolicy",
    "DefaultEventLoopPolicy",
)


@pytest.fixture
def python_314(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process, as our code sees a Python 3.14: the platform says 3.14, the package's policy
    switch is off, and asyncio's policy API is not there to call."""
    monkeypatch.setattr(backends.Platform, "current", classmethod(lambda cls: cls(sys.platform, (3, 14))))
    monkeypatch.setattr(loop_policy, "POLICIES", False)
    # A policy of the test's own with "no loop" set for this thread: get_event_loop() then raises,
    # as on 3.14, instead of making a loop (and warning on 3.12+) as a fresh 3.10-3.13 policy would.
    found, set_policy = asyncio.get_event_loop_policy(), asyncio.set_event_loop_policy
    set_policy(asyncio.DefaultEventLoopPolicy())
    asyncio.set_event_loop(None)
    for name in POLICY_API:
        monkeypatch.delattr(asyncio, name, raising=False)
    yield
    flujo_tuning.reset()  # while the API is still gone: reset() must not need it either
    set_policy(found)


async def _running_loop_state() -> tuple[type, list[str]]:
    return type(asyncio.get_running_loop()), flujo_tuning.verify()


@pytest.mark.usefixtures("python_314")
@pytest.mark.parametrize("profile", ["default", "throughput", "stdlib", "debug", "low-memory"])
def test_every_shipped_profile_applies_verifies_and_runs(profile: str) -> None:
    if profile == "throughput" and sys.version_info < (3, 12):
        pytest.skip("eager tasks need a real Python 3.12+ (3.14 only simulated here)")
    tuning = flujo_tuning.apply(profile)
    assert "Python 3.14+ deprecates loop policies" in tuning.decision("event_loop").reason
    assert flujo_tuning.verify() == []  # nothing installed, nothing to differ
    loop_class, differences = flujo_tuning.run(_running_loop_state())
    assert differences == []  # run() makes the decided loop without a policy
    if tuning.choices["event_loop"] == "uvloop":
        import uvloop

        assert loop_class is uvloop.Loop
    else:
        assert loop_class is asyncio.SelectorEventLoop


@pytest.mark.usefixtures("python_314")
def test_plain_asyncio_run_keeps_the_stock_loop_and_verify_says_so() -> None:
    tuning = flujo_tuning.apply("default")
    if not HAS_UVLOOP:
        pytest.skip("the default loop is asyncio's here")
    assert tuning.choices["event_loop"] == "uvloop"
    loop_class, differences = asyncio.run(_running_loop_state())
    assert loop_class is asyncio.SelectorEventLoop
    assert [d.split(":")[0] for d in differences] == ["event_loop"]


@pytest.mark.usefixtures("python_314")
def test_reapply_preview_and_reset_need_no_policy() -> None:
    flujo_tuning.apply("default")
    flujo_tuning.apply("stdlib")
    assert flujo_tuning.preview("low-memory").profile == "low-memory"
    flujo_tuning.reset()
    assert flujo_tuning.current() is None


def test_the_fixture_really_removes_the_policy_api(python_314: None) -> None:
    for name in POLICY_API:
        assert not hasattr(asyncio, name)
