"""The installer owns every change to the process: it wraps the host's policy, records what it found,
and reset() puts back exactly that, leaving alone (and naming) what someone else changed since.
The read-only helpers change nothing at all."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

import flujo_tuning
import flujo_tuning.runtime.apply
from flujo_tuning import apply, current, reset, verify
from flujo_tuning.runtime import loop_policy

from ..conftest import loop_policy as policy_in_force
from .test_apply import _loop_type, _stdlib_loop_type

needs_policies = pytest.mark.skipif(
    not loop_policy.POLICIES or sys.platform == "win32", reason="loop policies (3.10-3.13), uvloop"
)


if loop_policy.POLICIES:

    class HostPolicy(asyncio.DefaultEventLoopPolicy):
        """A host's own policy: it counts the loops it makes and offers something of its own."""

        made = 0

        def new_event_loop(self) -> asyncio.AbstractEventLoop:
            HostPolicy.made += 1
            return super().new_event_loop()

        def host_feature(self) -> str:
            return "host"


@pytest.fixture
def policy_put_back() -> Any:
    """The policy in force before the test, set again after it (a test that removes it must not
    leave the next one a fresh policy, whose first get_event_loop() makes a loop on 3.10/3.11)."""
    found = asyncio.get_event_loop_policy()
    yield found
    flujo_tuning.reset()
    asyncio.set_event_loop_policy(found)


@pytest.fixture
def host_policy() -> Any:
    """A host policy in force before the test (put back after it)."""
    found = asyncio.get_event_loop_policy()
    policy = HostPolicy()
    asyncio.set_event_loop_policy(policy)
    yield policy
    asyncio.set_event_loop_policy(found)


@needs_policies
def test_a_host_policy_set_before_apply_is_wrapped_and_named(host_policy: Any) -> None:
    import uvloop

    tuning = apply()
    wrapper = policy_in_force()
    assert loop_policy.unwrap(wrapper) is host_policy
    assert wrapper.host_feature() == "host"  # type: ignore[attr-defined]  # everything else: the host's
    assert asyncio.run(_loop_type()) is uvloop.Loop  # new loops: ours
    assert "wraps the policy found in force (tests.runtime.test_install.HostPolicy)" in (
        tuning.decision("event_loop").reason
    )
    assert reset() == []
    assert policy_in_force() is host_policy  # exactly what apply() found


@needs_policies
def test_asyncio_s_own_policy_is_not_called_a_host_s() -> None:
    assert "wraps the policy found" not in apply().decision("event_loop").reason


@needs_policies
@pytest.mark.usefixtures("policy_put_back")
def test_reset_leaves_a_policy_set_after_apply_in_place_and_says_so() -> None:
    apply()
    later = asyncio.DefaultEventLoopPolicy()
    asyncio.set_event_loop_policy(later)
    with capture_logs() as events:
        left = reset()
    assert policy_in_force() is later
    assert left == [
        f"event-loop policy: {type(later).__module__}.{type(later).__qualname__} left in place "
        "(set after apply(), replacing ours)"
    ]
    assert [(e["event"], e["left_alone"]) for e in events] == [("flujo_tuning.reset", left)]


@needs_policies
@pytest.mark.usefixtures("policy_put_back")
def test_a_second_apply_re_installs_a_removed_policy_and_says_so() -> None:
    import uvloop

    tuning = apply()
    asyncio.set_event_loop_policy(None)
    assert verify() != []
    with capture_logs() as events:
        again = apply()
    assert again is tuning
    assert asyncio.run(_loop_type()) is uvloop.Loop
    assert verify() == []
    (event,) = events
    assert event["event"] == "flujo_tuning.converged"
    assert event["re_established"] == [
        "the policy installed before had been replaced by "
        "asyncio.unix_events._UnixDefaultEventLoopPolicy: re-installed, wrapping it"
    ]


@needs_policies
def test_apply_in_another_thread_keeps_this_thread_s_loop() -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        worker = threading.Thread(target=apply)
        worker.start()
        worker.join()
        assert current() is not None
        assert asyncio.get_event_loop() is loop  # no new loop, no DeprecationWarning (an error here)
        reset()
        assert asyncio.get_event_loop() is loop
    finally:
        asyncio.set_event_loop(None)
        loop.close()


@needs_policies
def test_reapplying_other_settings_keeps_what_the_first_apply_found(host_policy: Any) -> None:
    apply()
    apply(asyncio_debug=True)
    apply("stdlib")  # nothing to install: ours goes, the host's comes back
    assert policy_in_force() is host_policy
    apply()
    assert reset() == []
    assert policy_in_force() is host_policy


def test_reset_round_trips_environment_variables_and_leaves_later_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLUJO_TUNING_TEST_KEPT", "1")
    before = dict(os.environ)
    flujo_tuning.worker_init({"FLUJO_CODEC": "json", "FLUJO_HASHER": "sha256"})
    assert current() is not None
    assert current().choices["codec"] == "json"  # type: ignore[union-attr]
    assert os.environ["FLUJO_HASHER"] == "sha256"  # the worker's own children resolve the same
    os.environ["FLUJO_HASHER"] = "blake3"  # someone else's change after apply()
    left = reset()
    assert left == ["FLUJO_HASHER: left as 'blake3' (changed after apply(), which had set 'sha256')"]
    del os.environ["FLUJO_HASHER"]
    assert dict(os.environ) == before


@pytest.mark.parametrize(
    "helper",
    [
        lambda: flujo_tuning.cache_key({"a": 1}),
        lambda: flujo_tuning.canonical_bytes({"a": 1}),
        lambda: flujo_tuning.preview("throughput"),
        lambda: flujo_tuning.run(_loop_type()),
        flujo_tuning.verify,
        flujo_tuning.resolve,
    ],
    ids=["cache_key", "canonical_bytes", "preview", "run", "verify", "resolve"],
)
def test_read_only_helpers_change_nothing(helper: Any) -> None:
    policy = policy_in_force()
    environ = dict(os.environ)
    helper()
    assert policy_in_force() is policy
    assert dict(os.environ) == environ
    assert current() is None


def test_keys_made_before_apply_follow_the_resolved_settings_and_verify_names_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLUJO_HASHER", "sha256")
    with capture_logs() as events:
        key = flujo_tuning.cache_key({"a": 1})
        flujo_tuning.cache_key({"b": 2})
    assert key.startswith("fk1:sha256:")
    resolved = flujo_tuning.preview()
    (event,) = events  # once per process
    assert (event["event"], event["fingerprint"]) == ("flujo_tuning.resolved", resolved.fingerprint)
    (said,) = verify()
    assert "apply() has not run" in said
    assert f"hasher sha256, fingerprint {resolved.fingerprint}" in said
    assert apply().cache_key({"a": 1}) == key
    assert verify() == []


def test_integration_helpers_before_apply_install_nothing() -> None:
    from flujo_tuning.integrations import ray

    policy = policy_in_force()
    environ = dict(os.environ)
    runtime_env = ray.runtime_env()
    assert runtime_env["env_vars"]["FLUJO_PROFILE"] == "default"
    assert (policy_in_force(), dict(os.environ), current()) == (policy, environ, None)


def test_a_failing_install_leaves_the_policy_and_environment_as_they_were(
    monkeypatch: pytest.MonkeyPatch, flujo_installed: Path
) -> None:
    from flujo_tuning.runtime import install

    environ = dict(os.environ)
    set_before_failing: list[str | None] = []

    def fail(wanted: bool) -> None:
        set_before_failing.append(os.environ.get("FLUJO_STATE_URI"))
        raise RuntimeError("no")

    monkeypatch.setattr(install, "_exit_hook", fail)
    with pytest.raises(RuntimeError, match="no"):
        apply(state_backend="memory", tracing="off", asyncio_debug=True)
    assert set_before_failing == ["memory://"]  # the variables were set, then taken back
    assert dict(os.environ) == environ
    assert not loop_policy.is_ours(policy_in_force())
    assert current() is None


def test_stdlib_changes_nothing_at_all() -> None:
    policy = policy_in_force()
    environ = dict(os.environ)
    apply("stdlib")
    assert (policy_in_force(), dict(os.environ)) == (policy, environ)
    assert asyncio.run(_loop_type()) is _stdlib_loop_type()


@needs_policies
def test_the_loop_asyncio_makes_implicitly_for_the_main_thread_is_the_decided_one(tmp_path: Path) -> None:
    """A Jupyter kernel gets its loop from get_event_loop() (through tornado): asyncio's default
    policy makes it with its own new_event_loop, which our wrapper lends ours for that call."""
    import subprocess

    code = (
        "import asyncio, warnings, flujo_tuning\n"
        "flujo_tuning.apply()\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    loop = asyncio.get_event_loop()\n"
        "print(type(loop).__module__, [w.category.__name__ for w in caught])\n"
        "print(type(asyncio.get_event_loop_policy().base).new_event_loop is "
        "asyncio.get_event_loop_policy().base.new_event_loop.__func__)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env, check=True
    )
    module, warned = done.stdout.splitlines()[0].split(" ", 1)
    assert module == "uvloop"
    # asyncio's own deprecation of the implicit loop (3.12+) still reaches the caller
    assert warned == ("['DeprecationWarning']" if sys.version_info >= (3, 12) else "[]")
    assert done.stdout.splitlines()[1] == "True"  # asyncio's policy has its own method back


def test_a_flujo_variable_changed_after_apply_shows_in_verify_and_is_left_alone(
    monkeypatch: pytest.MonkeyPatch, flujo_installed: Path
) -> None:
    tuning = apply("ephemeral")
    assert verify() == []
    monkeypatch.setenv("FLUJO_STATE_URI", "sqlite:///theirs.db")
    (difference,) = verify()
    assert difference == (
        "flujo: decided FLUJO_STATE_URI='memory://' but os.environ has 'sqlite:///theirs.db' now "
        "(changed after apply(); runners made from now on get that)"
    )
    with capture_logs() as events:
        assert apply("ephemeral") is tuning
    (event,) = events
    assert (event["event"], event["left_alone"]) == ("flujo_tuning.converged", [difference])
    assert os.environ["FLUJO_STATE_URI"] == "sqlite:///theirs.db"


@needs_policies
@pytest.mark.usefixtures("policy_put_back")
def test_a_second_apply_puts_back_the_factory_that_was_installed_last() -> None:
    """Ray's workers get the full loop factory (worker_loops_are_ours); re-installing keeps it."""
    tuning = apply("throughput", event_loop="asyncio", asyncio_debug=True)
    flujo_tuning.runtime.apply.worker_loops_are_ours()
    asyncio.set_event_loop_policy(None)
    apply("throughput", event_loop="asyncio", asyncio_debug=True)
    assert loop_policy.factory_of(policy_in_force()) is tuning.loop_factory


@needs_policies
def test_threads_asking_for_their_loop_at_once_get_asyncio_s_answer_and_the_base_keeps_its_own() -> None:
    """The wrapper lends asyncio's policy its loop factory for one get_event_loop() call: threads
    that ask at once must each get asyncio's answer (no loop set in a worker thread: RuntimeError),
    never an AttributeError from another thread's lending, and a base whose instance has its own
    new_event_loop keeps it."""
    base = asyncio.DefaultEventLoopPolicy()
    own = base.new_event_loop
    base.new_event_loop = own  # type: ignore[method-assign]  # an instance attribute of the host's
    policy = loop_policy.wrap(base, asyncio.new_event_loop)
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def ask() -> None:
        start.wait()
        for _ in range(3000):
            try:
                policy.get_event_loop()
            except RuntimeError as error:
                if "no current event loop" not in str(error):
                    errors.append(error)
            except BaseException as error:  # the race this test is about
                errors.append(error)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: the race shows at once
    try:
        threads = [threading.Thread(target=ask) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    assert vars(base)["new_event_loop"] == own
