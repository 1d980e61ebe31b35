"""JSON codecs: one contract for orjson, msgspec and json, and where they differ (pinned)."""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flujo_tuning import apply
from flujo_tuning.components import codec as codec_component
from flujo_tuning.components.codec import Codec

from ..conftest import raising, replace_module

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
