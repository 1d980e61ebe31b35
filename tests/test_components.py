"""Each component's decision paths: task factory, codec, hasher, scratch buffers."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import json
import math
import sys
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flujo_tuning import ConfigError, apply
from flujo_tuning.components import codec as codec_component
from flujo_tuning.components import hasher as hasher_component
from flujo_tuning.components import task_factory
from flujo_tuning.components.backends import Platform
from flujo_tuning.components.buffers import ScratchBuffers
from flujo_tuning.components.codec import Codec
from flujo_tuning.components.event_loop import LoopBackend

from .conftest import raising, replace_module

EAGER_SUPPORTED = sys.version_info >= (3, 12)

# ---------------------------------------------------------------- task factory


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
    assert (decision.choice, decision.fallback) == ("eager", False)
    assert asyncio.run(_created_task_started_immediately()) is True
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
def test_probe_detects_uvloop_rejecting_the_stdlib_eager_factory_on_313() -> None:
    import uvloop

    problem = task_factory.probe(uvloop.new_event_loop, asyncio.eager_task_factory)  # type: ignore[attr-defined,unused-ignore]
    if problem is None:
        pytest.skip(
            f"uvloop {getattr(uvloop, '__version__', '?')} accepts asyncio.eager_task_factory on 3.13"
        )
    assert "eager_start" in problem
    decision = apply(task_factory="eager", event_loop="uvloop").decision("task_factory")
    assert decision.choice == "eager"
    assert "flujo_tuning's eager adapter on uvloop" in decision.reason
    assert "asyncio.eager_task_factory failed the probe: TypeError" in decision.reason
    assert asyncio.run(_created_task_started_immediately()) is True


@pytest.mark.skipif(not EAGER_SUPPORTED, reason="eager tasks need Python 3.12")
def test_eager_falls_back_when_every_factory_fails_the_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(task_factory, "probe", lambda new_loop, factory: "TypeError: simulated")
    decision = apply(task_factory="eager").decision("task_factory")
    assert (decision.choice, decision.fallback) == ("default", True)
    assert "eager tasks fail on" in decision.reason
    assert "TypeError: simulated" in decision.reason


@pytest.mark.skipif(not EAGER_SUPPORTED, reason="eager tasks need Python 3.12")
@pytest.mark.parametrize(("eager_start", "started"), [(None, True), (True, True), (False, False)])
def test_the_eager_adapter_honours_the_eager_start_keyword(eager_start: bool | None, started: bool) -> None:
    seen: list[bool] = []

    async def child() -> None:
        seen.append(True)

    async def main() -> bool:
        loop = asyncio.get_running_loop()
        extra = {} if eager_start is None else {"eager_start": eager_start}
        task = task_factory.eager_task_factory_adapter(loop, child(), name="probe", **extra)
        began = bool(seen)
        await task
        assert task.get_name() == "probe"
        return began

    assert asyncio.run(main()) is started
    assert task_factory.probe(asyncio.SelectorEventLoop, task_factory.eager_task_factory_adapter) is None


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


# ---------------------------------------------------------------- codecs

CODECS = ["orjson", "msgspec", "json"]


@pytest.fixture(params=CODECS)
def any_codec(request: pytest.FixtureRequest) -> Codec:
    name: str = request.param
    pytest.importorskip(name)
    return apply(codec=name).codec


def test_auto_codec_prefers_orjson() -> None:
    assert apply().codec.name == "orjson"


def test_auto_codec_order_without_orjson_then_without_msgspec(hide_module: Callable[..., None]) -> None:
    hide_module("orjson")
    assert apply().codec.name == "msgspec"
    hide_module("msgspec")
    decision = apply(codec="auto", perf_debug=False, buffer_size=4097).decision("codec")
    assert decision.choice == "json"
    assert "orjson is not installed; msgspec is not installed" in decision.reason


def test_codec_failing_its_first_call_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    replace_module(
        monkeypatch,
        "orjson",
        __version__="9.9.9",
        dumps=raising(RuntimeError("broken build")),
        loads=json.loads,
    )
    tuning = apply(codec="orjson")
    decision = tuning.decision("codec")
    assert (decision.choice, decision.fallback) == ("msgspec", True)
    assert decision.reason.startswith("orjson failed its first call (RuntimeError: broken build)")
    assert tuning.codec.name == "msgspec"


def test_codec_dumps_bytes_and_loads_bytes_or_str(any_codec: Codec) -> None:
    data = {"a": [1, 2.5, None, True, "\u00e9\U0001f600"], "b": {"c": -(2**63)}}
    encoded = any_codec.dumps(data)
    assert isinstance(encoded, bytes)
    assert any_codec.loads(encoded) == data
    assert any_codec.loads(encoded.decode()) == data
    assert b" " not in encoded  # compact


@dataclasses.dataclass
class Step:
    name: str
    when: datetime.date


def test_dataclasses_datetimes_and_uuids_encode_alike(any_codec: Codec) -> None:
    value = {
        "step": Step("s", datetime.date(2024, 5, 6)),
        "at": datetime.datetime(2024, 5, 6, 7, 8, 9, 123456),
        "id": uuid.UUID(int=1),
    }
    assert any_codec.loads(any_codec.dumps(value)) == {
        "step": {"name": "s", "when": "2024-05-06"},
        "at": "2024-05-06T07:08:09.123456",
        "id": "00000000-0000-0000-0000-000000000001",
    }


def test_pydantic_models_encode_as_their_json_dump(any_codec: Codec) -> None:
    import pydantic

    class Message(pydantic.BaseModel):
        role: str
        at: datetime.date

    assert any_codec.loads(any_codec.dumps([Message(role="user", at=datetime.date(2024, 1, 2))])) == [
        {"role": "user", "at": "2024-01-02"}
    ]


# Where the backends differ: pinned, so a change is noticed (docs/decisions.md lists them).
@pytest.mark.parametrize(
    ("name", "expected"), [("orjson", b"null"), ("msgspec", b"null"), ("json", ValueError)]
)
def test_nan_differs_by_backend(name: str, expected: Any) -> None:
    pytest.importorskip(name)
    dumps = apply(codec=name).codec.dumps
    if isinstance(expected, bytes):
        assert dumps(math.nan) == expected
        assert dumps(math.inf) == expected
    else:
        with pytest.raises(expected):
            dumps(math.nan)


@pytest.mark.parametrize(("name", "ok"), [("orjson", False), ("msgspec", True), ("json", True)])
def test_integers_beyond_64_bits_differ_by_backend(name: str, ok: bool) -> None:
    pytest.importorskip(name)
    chosen = apply(codec=name).codec
    if ok:
        assert chosen.loads(chosen.dumps(2**70)) == 2**70
    else:
        with pytest.raises(TypeError):
            chosen.dumps(2**70)


@pytest.mark.parametrize(("name", "ok"), [("orjson", False), ("msgspec", True), ("json", True)])
def test_non_str_keys_differ_by_backend(name: str, ok: bool) -> None:
    pytest.importorskip(name)
    chosen = apply(codec=name).codec
    if ok:
        assert chosen.loads(chosen.dumps({1: "a"})) == {"1": "a"}
    else:
        with pytest.raises(TypeError):
            chosen.dumps({1: "a"})


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("orjson", b'"2024-01-01T00:00:00+00:00"'),
        ("msgspec", b'"2024-01-01T00:00:00Z"'),
        ("json", b'"2024-01-01T00:00:00+00:00"'),
    ],
)
def test_utc_datetimes_differ_by_backend(name: str, text: bytes) -> None:
    pytest.importorskip(name)
    utc = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    assert apply(codec=name).codec.dumps(utc) == text


def test_unknown_types_raise_type_error(any_codec: Codec) -> None:
    with pytest.raises(TypeError):
        any_codec.dumps(object())


json_native = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(exclude_categories=["Cs"])),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=8), children, max_size=5
        )
    ),
    max_leaves=20,
)


@given(json_native)
def test_json_fallback_round_trips_what_every_backend_round_trips(value: Any) -> None:
    codecs = [codec_component.LOADERS[n]() for n in CODECS]
    reference = codecs[-1].backend  # stdlib json
    assert reference.name == "json"
    for candidate in codecs:
        chosen = candidate.backend
        if chosen.loads(chosen.dumps(value)) == value:
            assert reference.loads(reference.dumps(value)) == value
        # and any backend reads what the fallback writes
        assert chosen.loads(reference.dumps(value)) == reference.loads(reference.dumps(value))


# ---------------------------------------------------------------- hashers

VECTORS = {
    "blake3": "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85",
    "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    "blake2b": "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319",
    "xxh3_128": "06b05ab6733a618578af5f94892f3950",
}


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_hashers_match_published_test_vectors(name: str) -> None:
    if name == "xxh3_128":
        pytest.importorskip("xxhash")
    chosen = apply(hasher=name).hasher
    assert chosen.name == name
    for data in (b"abc", bytearray(b"abc"), memoryview(b"xabc")[1:]):
        assert chosen.hexdigest(data) == VECTORS[name]
        assert chosen.digest(data) == bytes.fromhex(VECTORS[name])


def test_auto_hasher_is_blake3_then_sha256(hide_module: Callable[..., None]) -> None:
    assert apply().hasher.name == "blake3"
    hide_module("blake3")
    decision = apply(buffer_size=5000).decision("hasher")
    assert (decision.choice, decision.fallback) == ("sha256", False)
    assert decision.reason == "sha256 hashlib (cryptographic) chosen because blake3 is not installed"


def test_auto_never_picks_the_non_cryptographic_hasher() -> None:
    assert "xxh3_128" not in hasher_component.AUTO_ORDER
    decision = apply(hasher="xxh3_128").decision("hasher")
    assert "non-cryptographic" in decision.reason


def test_hasher_with_a_wrong_digest_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    replace_module(monkeypatch, "blake3", __version__="9.9", blake3=hashlib.sha256)
    decision = apply(hasher="blake3").decision("hasher")
    assert (decision.choice, decision.fallback) == ("sha256", True)
    assert decision.reason.startswith("blake3 gave a wrong digest for a known test vector")


def test_strict_missing_hasher_raises(hide_module: Callable[..., None]) -> None:
    hide_module("blake3")
    with pytest.raises(
        ConfigError, match=r"hasher 'blake3' \(from argument\) is not available: blake3 is not installed"
    ):
        apply(hasher="blake3", strict=True)


# ---------------------------------------------------------------- scratch buffers


def test_buffer_pool_reuses_one_buffer_per_thread() -> None:
    pool = apply(buffer_size="8KiB").buffers
    first = pool.acquire()
    assert len(first) == 8192
    pool.release(first)
    assert pool.acquire() is first


def test_a_lent_buffer_is_never_handed_out_twice() -> None:
    pool = ScratchBuffers(256)
    first = pool.acquire()
    second = pool.acquire()
    assert first is not second


def test_threads_get_their_own_buffers() -> None:
    import threading

    pool = ScratchBuffers(256)
    mine = pool.acquire()
    pool.release(mine)
    seen: list[bytearray] = []
    thread = threading.Thread(target=lambda: seen.append(pool.acquire()))
    thread.start()
    thread.join()
    assert seen[0] is not mine


def test_tasks_holding_buffers_across_awaits_never_share() -> None:
    pool = ScratchBuffers(256)

    async def user(tag: int) -> bool:
        buffer = pool.acquire()
        buffer[:1] = bytes([tag])
        await asyncio.sleep(0)
        intact = buffer[0] == tag
        pool.release(buffer)
        return intact

    async def main() -> list[bool]:
        return await asyncio.gather(*(user(i) for i in range(10)))

    assert asyncio.run(main()) == [True] * 10


def test_huge_buffers_are_not_retained() -> None:
    pool = ScratchBuffers(256)
    big = bytearray(2 * 1024 * 1024)
    pool.release(big)
    assert pool.acquire() is not big


def test_buffer_size_decision_names_the_size() -> None:
    decision = apply(buffer_size="64KiB").decision("buffer_size")
    assert (decision.requested, decision.choice) == ("65536", "65536")
