"""apply(): decisions, events, installation, idempotence, threads, fork, running loops."""

from __future__ import annotations

import asyncio
import inspect
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from flujo_tuning import ConfigError, apply, current, reset, run
from flujo_tuning.components import backends

from ..conftest import loop_policy

COMPONENTS = [
    "event_loop",
    "task_factory",
    "codec",
    "hasher",
    "key_encoder",
    "buffer_size",
    "perf_debug",
    "flujo",
]
HAS_UVLOOP = sys.platform != "win32"


async def _loop_type() -> type:
    return type(asyncio.get_running_loop())


def _stdlib_loop_type() -> type:
    loop = asyncio.SelectorEventLoop()
    loop.close()
    return type(loop)


def test_apply_returns_one_decision_per_component_and_logs_each_once() -> None:
    with capture_logs() as events:
        tuning = apply()
    assert [d.component for d in tuning.decisions] == COMPONENTS
    decided = [e for e in events if e["event"] == "flujo_tuning.decision"]
    assert [e["component"] for e in decided] == COMPONENTS
    for event, decision in zip(decided, tuning.decisions, strict=True):
        assert {k: event[k] for k in decision.as_event()} == decision.as_event()
    applied = [e for e in events if e["event"] == "flujo_tuning.applied"]
    assert len(applied) == 1
    assert applied[0]["profile"] == "default"
    assert applied[0]["fingerprint"] == tuning.fingerprint
    assert len(events) == len(COMPONENTS) + 1


def test_decision_source_is_the_setting_provenance(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUJO_CODEC", "json")
    tuning = apply()
    assert tuning.decision("codec").source == "env FLUJO_CODEC"
    assert tuning.decision("codec").reason.startswith("requested and available: json stdlib")
    assert tuning.decision("hasher").source == "shipped profile 'default'"


def test_current_is_what_apply_installed_and_reset_forgets_it() -> None:
    assert current() is None
    tuning = apply()
    assert current() is tuning
    reset()
    assert current() is None


def test_same_settings_again_changes_nothing_and_logs_nothing() -> None:
    first = apply()
    policy = loop_policy()
    with capture_logs() as events:
        again = apply()
    assert again is first
    assert events == []
    assert loop_policy() is policy


def test_different_settings_reapply_and_log_only_the_changes() -> None:
    apply()
    with capture_logs() as events:
        tuning = apply(codec="json")
    assert current() is tuning
    assert tuning.codec.name == "json"
    decided = [e["component"] for e in events if e["event"] == "flujo_tuning.decision"]
    assert decided == ["codec", "key_encoder"]  # codec json keeps keys on the reference encoder
    assert [e["event"] for e in events].count("flujo_tuning.applied") == 1


def test_fallback_is_logged_as_a_warning(hide_module: Callable[..., None]) -> None:
    hide_module("orjson")
    with capture_logs() as events:
        apply(codec="orjson")
    (codec_event,) = [e for e in events if e.get("component") == "codec"]
    assert codec_event["log_level"] == "warning"
    assert codec_event["fallback"] is True


@pytest.mark.skipif(not HAS_UVLOOP, reason="uvloop is not available on Windows")
def test_auto_installs_uvloop_for_plain_asyncio_run_and_for_run() -> None:
    import uvloop

    tuning = apply()
    assert tuning.decision("event_loop").choice == "uvloop"
    assert "installed for new loops" in tuning.decision("event_loop").reason
    assert asyncio.run(_loop_type()) is uvloop.Loop
    assert run(_loop_type()) is uvloop.Loop
    assert isinstance(tuning.loop_factory(), uvloop.Loop)


def test_reset_restores_the_stock_loop() -> None:
    policy = loop_policy()
    apply()
    reset()
    assert loop_policy() is policy
    assert asyncio.run(_loop_type()) is _stdlib_loop_type()


def test_stdlib_profile_installs_nothing() -> None:
    policy = loop_policy()
    tuning = apply("stdlib")
    assert loop_policy() is policy
    assert "nothing to install" in tuning.decision("event_loop").reason
    assert run(_loop_type()) is _stdlib_loop_type()


def test_disable_uvloop_env_keeps_stdlib_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUJO_DISABLE_UVLOOP", "1")
    tuning = apply()
    decision = tuning.decision("event_loop")
    assert decision.choice == "asyncio"
    assert "uvloop is disabled by env FLUJO_DISABLE_UVLOOP" in decision.reason
    assert asyncio.run(_loop_type()) is _stdlib_loop_type()


def test_missing_uvloop_falls_back_to_asyncio_with_reason(hide_module: Callable[..., None]) -> None:
    hide_module("uvloop")
    auto = apply().decision("event_loop")
    assert (auto.choice, auto.fallback) == ("asyncio", False)
    assert auto.reason.startswith("stdlib asyncio chosen because uvloop is not installed")
    explicit = apply(event_loop="uvloop").decision("event_loop")
    assert (explicit.choice, explicit.fallback) == ("asyncio", True)
    assert asyncio.run(_loop_type()) is _stdlib_loop_type()


@pytest.mark.parametrize(
    "error", [OSError("libuv.so: cannot open shared object file"), AttributeError("broken build")]
)
def test_backend_raising_on_import_falls_back(hide_module: Callable[..., None], error: Exception) -> None:
    hide_module("uvloop", error)
    decision = apply(event_loop="uvloop").decision("event_loop")
    assert decision.choice == "asyncio"
    assert decision.fallback is True
    assert f"uvloop failed to import ({type(error).__name__}: {error})" in decision.reason


def test_strict_missing_backend_raises_and_keeps_previous_state(hide_module: Callable[..., None]) -> None:
    before = apply()
    policy = loop_policy()
    hide_module("uvloop")
    with pytest.raises(ConfigError, match=r"event_loop 'uvloop' \(from argument\) is not available"):
        apply(event_loop="uvloop", strict=True)
    assert current() is before
    assert loop_policy() is policy


def test_config_error_keeps_previous_state(monkeypatch: pytest.MonkeyPatch) -> None:
    before = apply()
    policy = loop_policy()
    monkeypatch.setenv("FLUJO_CODEC", "bogus")
    with pytest.raises(ConfigError):
        apply()
    assert current() is before
    assert loop_policy() is policy


def _simulate(monkeypatch: pytest.MonkeyPatch, system: str, python: tuple[int, int]) -> None:
    monkeypatch.setattr(backends.Platform, "current", classmethod(lambda cls: cls(system, python)))


def test_windows_never_gets_uvloop(monkeypatch: pytest.MonkeyPatch, hide_module: Callable[..., None]) -> None:
    _simulate(monkeypatch, "win32", sys.version_info[:2])
    hide_module("winloop")
    auto = apply().decision("event_loop")
    assert auto.choice == "asyncio"
    assert "winloop is not installed" in auto.reason
    explicit = apply(event_loop="uvloop").decision("event_loop")
    assert explicit.fallback is True
    assert explicit.reason.startswith("uvloop is not supported on win32")


def test_winloop_outside_windows_falls_back() -> None:
    decision = apply(event_loop="winloop").decision("event_loop")
    assert decision.fallback is True
    assert decision.reason.startswith(f"winloop only runs on Windows, not {sys.platform}")


def test_python_314_installs_no_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    _simulate(monkeypatch, sys.platform, (3, 14))
    policy = loop_policy()
    tuning = apply()
    assert loop_policy() is policy
    reason = tuning.decision("event_loop").reason
    assert "use flujo_tuning.run(main()) or asyncio.run(main(), loop_factory=tuning.loop_factory)" in reason
    if HAS_UVLOOP:
        import uvloop

        assert run(_loop_type()) is uvloop.Loop


def test_apply_keeps_the_loop_set_for_this_thread() -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        apply()
        assert asyncio.get_event_loop() is loop
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def test_fingerprint_is_short_stable_and_sensitive() -> None:
    first = apply().fingerprint
    reset()
    assert apply().fingerprint == first
    assert len(first) == 12
    assert apply(codec="json").fingerprint != first


def test_fingerprint_is_the_same_in_another_process() -> None:
    code = "import flujo_tuning, structlog; print(flujo_tuning.apply().fingerprint)"
    env = {**os.environ, "PYTHONHASHSEED": "123"}
    outputs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
        .stdout.strip()
        .splitlines()[-1]
        for _ in range(2)
    }
    assert outputs == {apply().fingerprint}


def test_run_before_apply_uses_the_resolved_settings_and_installs_nothing() -> None:
    import flujo_tuning

    policy = loop_policy()
    loop_class = run(_loop_type())
    assert current() is None
    assert loop_policy() is policy
    resolved = flujo_tuning.preview()
    assert issubclass(loop_class, resolved.loop_class)
    (said,) = flujo_tuning.verify()
    assert said.startswith("no Tuning is in force in this process: apply() has not run; ")
    assert f"fingerprint {resolved.fingerprint}" in said


def test_run_passes_debug_and_returns_the_result() -> None:
    async def main() -> bool:
        return asyncio.get_running_loop().get_debug()

    assert run(main(), debug=True) is True
    assert run(main(), debug=False) is False


def test_asyncio_debug_setting_makes_debug_loops() -> None:
    tuning = apply("debug")
    loop = tuning.loop_factory()
    try:
        assert loop.get_debug() is True
    finally:
        loop.close()
    assert "asyncio debug mode" in tuning.decision("event_loop").reason


def test_fingerprint_ignores_the_wording_of_reasons(monkeypatch: pytest.MonkeyPatch) -> None:
    from flujo_tuning.runtime import loop_policy as policies

    first = apply()
    reset()
    original = policies.plan

    def reworded(stock: bool, platform: backends.Platform) -> tuple[bool, str]:
        installs, note = original(stock, platform)
        return installs, note.upper()

    monkeypatch.setattr(policies, "plan", reworded)
    again = apply()
    assert again.decision("event_loop").reason != first.decision("event_loop").reason
    assert again.fingerprint == first.fingerprint


def test_a_failure_while_installing_leaves_the_policy_and_tuning_as_they_were(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if sys.version_info >= (3, 14):
        pytest.skip("no policy is installed on 3.14+")
    from flujo_tuning.runtime import loop_policy as policies
    from flujo_tuning.runtime.state import STATE

    previous = apply("stdlib")  # installs nothing
    policy = loop_policy()
    real_set = asyncio.set_event_loop_policy

    calls: list[Any] = []

    def set_then_fail(new: Any) -> None:
        real_set(new)  # the new policy is in place when the failure happens
        calls.append(new)
        if len(calls) == 1:
            raise RuntimeError("disk on fire")

    monkeypatch.setattr(asyncio, "set_event_loop_policy", set_then_fail)
    with pytest.raises(RuntimeError, match="disk on fire"):
        apply("default", event_loop="asyncio", asyncio_debug=True)  # a policy to install
    monkeypatch.undo()
    assert policies.is_ours(calls[0])  # it did get installed, then
    assert loop_policy() is policy
    assert not policies.is_ours(loop_policy())
    assert STATE.record.policy is None
    assert current() is previous


def test_run_inside_a_running_loop_says_what_to_do_instead() -> None:
    import flujo_tuning

    async def inner() -> int:
        return 1

    async def outer() -> None:
        coroutine = inner()
        with pytest.raises(flujo_tuning.RunError, match=r"await the coroutine there instead") as caught:
            run(coroutine)
        assert isinstance(caught.value, RuntimeError)
        assert isinstance(caught.value, flujo_tuning.FlujoTuningError)
        # closed: no "never awaited" warning (warnings are errors here)
        assert inspect.getcoroutinestate(coroutine) == inspect.CORO_CLOSED

    asyncio.run(outer())


def test_run_works_under_nest_asyncio_and_refuses_inside_its_loop(tmp_path: Path) -> None:
    code = """
import asyncio, nest_asyncio, flujo_tuning
nest_asyncio.apply()
async def main():
    return type(asyncio.get_running_loop()).__name__
print(flujo_tuning.run(main()))       # nest_asyncio's asyncio.run takes no loop_factory: not used
async def cell():
    try:
        flujo_tuning.run(main())
    except flujo_tuning.RunError as exc:
        print("refused:", type(exc).__name__)
asyncio.run(cell())
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].endswith("EventLoop")  # nest_asyncio patches stdlib loops only: asyncio's loop
    assert lines[1] == "refused: RunError"
