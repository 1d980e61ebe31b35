"""Cache keys and the fk1 canonical encoding: spec, golden vectors, properties, fast path identity."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import json
import math
import os
import pathlib
import struct
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flujo_tuning
from flujo_tuning import apply, cache_key, canonical_bytes
from flujo_tuning.cache_keys.maker import (
    MAX_DEPTH,
    KeyMaker,
    accelerated_bytes,
    reference_bytes,
    register_encoder,
    unregister_encoder,
)
from flujo_tuning.components import hasher as hasher_component

from ..conftest import load_hasher
from ..golden.values import SUBCLASS_TWINS, VALUES

GOLDEN = json.loads((Path(__file__).resolve().parents[1] / "golden" / "fk1_vectors.json").read_text())
HASHERS = ["sha256", "blake2b", "blake3", "xxh3_128"]


# ---------------------------------------------------------------- the spec, by hand


@pytest.mark.parametrize(
    ("value", "hex_bytes"),
    [
        (None, "c0"),
        (False, "c2"),
        (True, "c3"),
        (0, "00"),
        (127, "7f"),
        (128, "cc80"),
        (-1, "ff"),
        (-33, "d0df"),
        (2**64, "c7090101" + "00" * 8),  # ext 1, two's complement, minimal
        (1.0, "cb3ff0000000000000"),
        (-0.0, "cb8000000000000000"),
        ("a", "a161"),
        (b"a", "c40161"),
        ([1, "a"], "9201a161"),
        ((1, "a"), "9201a161"),  # list and tuple share a key
        ({"b": 1, "a": 2}, "82a16102a16201"),  # sorted keys
        ({1: 2}, "d5030102"),  # non-str keys: ext 3
        ({2, 1}, "d5040102"),  # sets: ext 4, sorted members
        ("\ud800", "c70302eda080"),  # lone surrogate: ext 2
        (uuid.UUID(int=1), "d80d" + "00" * 15 + "01"),
        (decimal.Decimal("1.0"), "d60ca3312e30"),
    ],
)
def test_canonical_bytes_follow_the_spec(value: Any, hex_bytes: str) -> None:
    assert canonical_bytes(value).hex() == hex_bytes
    assert reference_bytes(value).hex() == hex_bytes


def test_key_names_scheme_and_algorithm() -> None:
    key = apply(hasher="sha256").cache_key({"a": 1})
    scheme, algorithm, digest = key.split(":")
    assert (scheme, algorithm) == ("fk1", "sha256")
    assert len(digest) == 64
    assert key == cache_key({"a": 1})
    assert apply(hasher="blake2b").cache_key({"a": 1}).startswith("fk1:blake2b:")


def test_cache_key_before_apply_uses_the_resolved_default_and_applies_nothing() -> None:
    assert flujo_tuning.current() is None
    assert cache_key("x").startswith("fk1:blake3:")
    assert flujo_tuning.current() is None
    assert cache_key("x") == flujo_tuning.apply().cache_key("x")


# ---------------------------------------------------------------- collisions that plague naive keys


class _Color(enum.Enum):
    RED = 1


class _Size(enum.Enum):
    SMALL = 1


@dataclasses.dataclass
class _A:
    x: int


@dataclasses.dataclass
class _B:
    x: int


COLLISION_PAIRS: list[tuple[Any, Any]] = [
    ("1", 1),
    ("null", None),
    (["a,b"], ["a", "b"]),
    ({"a:b": "c"}, {"a": "b:c"}),
    (True, 1),
    (1, 1.0),
    (True, 1.0),
    ("a", b"a"),
    (0.0, -0.0),
    ([1], {1}),
    ({"1": "a"}, {1: "a"}),
    (_Color.RED, 1),
    (_Color.RED, _Size.SMALL),
    (_A(1), _B(1)),
    (_A(1), {"x": 1}),
    (uuid.UUID(int=1), str(uuid.UUID(int=1))),
    (uuid.UUID(int=1), uuid.UUID(int=1).bytes),
    (datetime.date(2024, 1, 2), "2024-01-02"),
    (decimal.Decimal("1.0"), decimal.Decimal("1.00")),
    (decimal.Decimal("1"), 1),
    (pathlib.PurePosixPath("a"), "a"),
    (["x", ["y"]], [["x"], "y"]),
    ([[]], [[], []]),
    ({"a": [1, 2]}, {"a": [1], "": [2]}),
    ("", []),
    ([None], []),
]


@pytest.mark.parametrize(
    ("left", "right"), COLLISION_PAIRS, ids=[f"{a!r}-vs-{b!r}" for a, b in COLLISION_PAIRS]
)
def test_values_naive_walkers_confuse_get_different_keys(left: Any, right: Any) -> None:
    assert canonical_bytes(left) != canonical_bytes(right)
    assert cache_key(left) != cache_key(right)


def test_deep_values_are_never_truncated() -> None:
    deep_a: Any = "a"
    deep_b: Any = "b"
    for _ in range(100):
        deep_a, deep_b = [deep_a], [deep_b]
    assert cache_key(deep_a) != cache_key(deep_b)


def test_dict_and_set_order_do_not_matter() -> None:
    assert cache_key({"a": 1, "b": 2}) == cache_key({"b": 2, "a": 1})
    assert cache_key({3, 1, 2}) == cache_key({1, 2, 3}) == cache_key(frozenset({2, 3, 1}))
    assert cache_key({1: "x", "1": "y"}) == cache_key({"1": "y", 1: "x"})


# ---------------------------------------------------------------- errors


def test_unsupported_type_raises_type_error_with_its_path() -> None:
    with pytest.raises(
        TypeError, match=r"cannot make a cache key from builtins\.object .* at value\['steps'\]\[3\]"
    ):
        cache_key({"steps": [1, 2, 3, object()]})


def test_unsupported_type_inside_a_dataclass_names_the_field() -> None:
    with pytest.raises(TypeError, match=r"at value\[0\]\.x$"):
        canonical_bytes([_A(object())])  # type: ignore[arg-type]


def test_no_fallback_to_repr_for_objects_with_reprs() -> None:
    class Pretty:
        def __repr__(self) -> str:
            return "Pretty()"

    with pytest.raises(TypeError, match=r"Pretty"):
        cache_key(Pretty())


def test_cycles_raise() -> None:
    loop: list[Any] = []
    loop.append({"again": loop})
    with pytest.raises(ValueError, match=r"cycle: a container contains itself at value\[0\]\['again'\]"):
        cache_key(loop)


def test_self_referencing_dataclass_raises() -> None:
    @dataclasses.dataclass
    class Node:
        next: Any = None

    node = Node()
    node.next = node
    with pytest.raises(ValueError, match="cycle"):
        canonical_bytes(node)


def test_nesting_beyond_the_limit_raises_instead_of_truncating() -> None:
    value: Any = 0
    for _ in range(MAX_DEPTH + 1):
        value = [value]
    with pytest.raises(ValueError, match=f"nesting deeper than {MAX_DEPTH} levels"):
        cache_key(value)


def test_the_same_object_twice_is_not_a_cycle() -> None:
    shared = [1]
    assert canonical_bytes([shared, shared]) == canonical_bytes([[1], [1]])


# ---------------------------------------------------------------- registration


class Money:
    def __init__(self, cents: int, currency: str) -> None:
        self.cents = cents
        self.currency = currency


def test_registered_encoder_makes_a_type_keyable() -> None:
    register_encoder(Money, lambda m: [m.cents, m.currency])
    try:
        assert cache_key(Money(100, "EUR")) == cache_key(Money(100, "EUR"))
        assert cache_key(Money(100, "EUR")) != cache_key(Money(100, "USD"))
        assert cache_key(Money(100, "EUR")) != cache_key([100, "EUR"])
    finally:
        unregister_encoder(Money)
    with pytest.raises(TypeError, match="Money"):
        cache_key(Money(1, "EUR"))


def test_registered_name_is_part_of_the_key() -> None:
    register_encoder(Money, lambda m: m.cents, name="billing.Money")
    try:
        renamed = canonical_bytes(Money(1, "EUR"))
    finally:
        unregister_encoder(Money)
    assert b"billing.Money" in renamed


def test_builtin_types_cannot_be_re_registered() -> None:
    with pytest.raises(TypeError, match="float already has a canonical encoding"):
        register_encoder(float, repr)


def test_failing_encoder_is_reported_with_path() -> None:
    def broken(m: Money) -> Any:
        raise RuntimeError("boom")

    register_encoder(Money, broken)
    try:
        with pytest.raises(
            TypeError, match=r"encoder registered for .*Money failed: RuntimeError\('boom'\) at value\['m'\]"
        ):
            cache_key({"m": Money(1, "EUR")})
    finally:
        unregister_encoder(Money)


def test_encoder_returning_its_input_is_caught() -> None:
    register_encoder(Money, lambda m: m)
    try:
        with pytest.raises(ValueError, match="cycle"):
            cache_key(Money(1, "EUR"))
    finally:
        unregister_encoder(Money)


# ---------------------------------------------------------------- golden vectors


def test_golden_file_covers_every_value() -> None:
    assert len(GOLDEN) >= 200
    assert [v["label"] for v in GOLDEN] == [label for label, _ in VALUES]


@pytest.mark.parametrize(("label", "value"), VALUES, ids=[label for label, _ in VALUES])
def test_golden_vector(label: str, value: Any) -> None:
    vector = next(v for v in GOLDEN if v["label"] == label)
    data = canonical_bytes(value)
    assert reference_bytes(value) == data
    assert len(data) == vector["length"]
    if "bytes" in vector:
        assert data.hex() == vector["bytes"]
    for name in HASHERS:
        chosen = load_hasher(name)
        if chosen is None:  # xxhash is optional
            continue
        assert KeyMaker(chosen, 256)(value) == vector["keys"][name]
        assert KeyMaker(chosen, 256, encoder="reference")(value) == vector["keys"][name]


def test_golden_keys_without_msgspec_and_orjson(hide_module: Callable[..., None]) -> None:
    hide_module("msgspec")
    hide_module("orjson")
    hide_module("flujo_tuning.cache_keys._fk1native")
    sha256 = hasher_component.LOADERS["sha256"]().backend
    maker = KeyMaker(sha256, 256)
    assert not maker.accelerated
    assert maker.encoder == "reference"
    for (label, value), vector in zip(VALUES, GOLDEN, strict=True):
        assert maker(value) == vector["keys"]["sha256"], label


def test_fast_path_is_used_for_json_like_golden_values() -> None:
    simple = [
        value
        for label, value in VALUES
        if label.startswith(("step input", "chat", "dict nested", "list nested"))
    ]
    assert simple
    for value in simple:
        assert accelerated_bytes(value) is not None


# ---------------------------------------------------------------- properties

_NAN_BITS = st.integers(min_value=0, max_value=2**64 - 1).map(
    lambda n: struct.unpack(">d", n.to_bytes(8, "big"))[0]
)
_TEXT = st.text(alphabet=st.characters(), max_size=12) | st.text(
    alphabet=st.characters(categories=["Cs", "Ll", "Nd"]), max_size=4
)
_OFFSETS = st.timedeltas(min_value=datetime.timedelta(hours=-23), max_value=datetime.timedelta(hours=23)).map(
    lambda d: datetime.timezone(datetime.timedelta(minutes=d // datetime.timedelta(minutes=1)))
)
_HASHABLE_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | _NAN_BITS
    | _TEXT
    | st.binary(max_size=8)
    | st.decimals(allow_nan=True, allow_infinity=True).filter(lambda d: not d.is_snan())  # sNaN: unhashable
    | st.uuids()
    | st.dates()
    | st.times(timezones=st.none() | _OFFSETS)
    | st.datetimes(timezones=st.none() | _OFFSETS)
    | st.timedeltas()
    | st.sampled_from(list(_Color) + list(_Size))
    | st.builds(pathlib.PurePosixPath, st.text(max_size=5))
    | st.builds(pathlib.PureWindowsPath, st.text(alphabet="ab/", max_size=5))
)
_LEAVES = _HASHABLE_LEAVES | st.binary(max_size=8).map(bytearray) | st.just(decimal.Decimal("sNaN"))
_HASHABLE = st.recursive(
    _HASHABLE_LEAVES, lambda c: st.tuples(c, c) | st.frozensets(c, max_size=3), max_leaves=6
)
VALUES_STRATEGY = st.recursive(
    _LEAVES,
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=4).map(tuple)
        | st.dictionaries(_TEXT, children, max_size=4)
        | st.dictionaries(_HASHABLE, children, max_size=3)
        | st.sets(_HASHABLE, max_size=4)
        | st.frozensets(_HASHABLE, max_size=3)
        | st.builds(_A, children)
    ),
    max_leaves=12,
)
JSON_LIKE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats()
    | st.text(max_size=20)
    | st.binary(max_size=8),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=6), children, max_size=5)
    ),
    max_leaves=25,
)


def spec_equal_form(value: Any) -> Any:  # noqa: PLR0911, PLR0912 - one branch per kind
    """An independent statement of the spec's equality: equal forms <=> same canonical bytes."""
    if value is None or isinstance(value, bool):
        return ("const", value)
    if isinstance(value, enum.Enum):
        return ("enum", f"{type(value).__module__}.{type(value).__qualname__}", spec_equal_form(value.value))
    if isinstance(value, int):
        return ("int", int(value))
    if isinstance(value, float):
        return ("float", struct.pack(">d", value))
    if isinstance(value, str):
        return ("str", str(value))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return ("bytes", bytes(value))
    if isinstance(value, (list, tuple)):
        return ("seq", tuple(spec_equal_form(v) for v in value))
    if isinstance(value, dict):
        return ("dict", frozenset((spec_equal_form(k), spec_equal_form(v)) for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return ("set", frozenset(spec_equal_form(v) for v in value))
    if isinstance(value, datetime.datetime):
        return ("datetime", value.replace(tzinfo=None, fold=0).isoformat(), value.utcoffset())
    if isinstance(value, datetime.date):
        return ("date", value.isoformat())
    if isinstance(value, datetime.time):
        return ("time", value.replace(tzinfo=None, fold=0).isoformat(), value.utcoffset())
    if isinstance(value, datetime.timedelta):
        return ("timedelta", value.days, value.seconds, value.microseconds)
    if isinstance(value, decimal.Decimal):
        return ("decimal", str(value))
    if isinstance(value, uuid.UUID):
        return ("uuid", value.bytes)
    if isinstance(value, pathlib.PurePath):
        return ("path", isinstance(value, pathlib.PureWindowsPath), str(value))
    if dataclasses.is_dataclass(value):
        fields = tuple((f.name, spec_equal_form(getattr(value, f.name))) for f in dataclasses.fields(value))
        return ("dataclass", type(value).__qualname__, fields)
    raise AssertionError(f"no spec form for {type(value)}")


def shuffled_copy(value: Any) -> Any:  # noqa: PLR0911 - one return per kind
    """A different Python object with the same spec-equal form (orders reversed, lists as tuples)."""
    if isinstance(value, enum.Enum):
        return value
    if isinstance(value, dict):
        return {shuffled_copy(k): shuffled_copy(v) for k, v in reversed(list(value.items()))}
    if isinstance(value, (set, frozenset)):
        return type(value)(shuffled_copy(v) for v in reversed(list(value)))
    if isinstance(value, list):
        return tuple(shuffled_copy(v) for v in value)
    if isinstance(value, tuple):
        return tuple(shuffled_copy(v) for v in value)
    if isinstance(value, _A):
        return _A(shuffled_copy(value.x))
    if isinstance(value, bytearray):
        return bytes(value)
    return value


PROPERTY_SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(VALUES_STRATEGY, VALUES_STRATEGY)
def test_distinct_values_never_share_canonical_bytes(left: Any, right: Any) -> None:
    same_form = spec_equal_form(left) == spec_equal_form(right)
    assert (canonical_bytes(left) == canonical_bytes(right)) is same_form


@PROPERTY_SETTINGS
@given(VALUES_STRATEGY)
def test_equal_values_always_share_canonical_bytes(value: Any) -> None:
    copy = shuffled_copy(value)
    assert spec_equal_form(copy) == spec_equal_form(value)
    assert canonical_bytes(copy) == canonical_bytes(value)


@PROPERTY_SETTINGS
@given(VALUES_STRATEGY)
def test_fast_path_bytes_are_identical_to_the_reference(value: Any) -> None:
    fast = accelerated_bytes(value)
    assert fast is None or fast == reference_bytes(value)


@PROPERTY_SETTINGS
@given(JSON_LIKE)
def test_fast_path_takes_json_like_values_and_matches_the_reference(value: Any) -> None:
    fast = accelerated_bytes(value)
    if fast is None:  # the only JSON-like values the fast path may refuse: lone surrogates
        assert _has_surrogate(value)
    else:
        assert fast == reference_bytes(value)


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return False


def test_nan_payloads_and_signs_are_kept() -> None:
    quiet = struct.unpack(">d", bytes.fromhex("7ff8000000000000"))[0]
    negative = struct.unpack(">d", bytes.fromhex("fff8000000000000"))[0]
    assert math.isnan(quiet)
    assert math.isnan(negative)
    assert canonical_bytes(quiet) != canonical_bytes(negative)
    assert canonical_bytes(float("nan")) == canonical_bytes(float("nan"))


_SEED_PROBE = """
import json, sys
sys.path.insert(0, {root!r})
from tests.golden.values import VALUES, Color
from flujo_tuning import canonical_bytes
extra = [{{"k%d" % i: i for i in range(50)}}, set("abcdefghijklmnop"), {{1, "1", 2.5, (1, 2)}}]
extra.append({{Color.RED: 1, 5: 2}})
print(json.dumps([canonical_bytes(v).hex() for v in [value for _, value in VALUES] + extra]))
"""


def test_bytes_are_the_same_in_processes_with_different_hash_seeds() -> None:
    root = str(Path(__file__).resolve().parents[2])
    code = _SEED_PROBE.format(root=root)
    outputs = set()
    for seed in ("0", "1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        )
        outputs.add(run.stdout)
    assert len(outputs) == 1


def test_stdlib_profile_makes_the_same_keys_without_third_party_encoders() -> None:
    value = {"messages": [{"role": "user", "content": "hi"}], "n": 1}
    fast = apply(hasher="sha256")
    assert fast.choices["key_encoder"] != "reference"
    fast_key = fast.cache_key(value)
    stdlib = apply("stdlib")
    assert stdlib.choices["key_encoder"] == "reference"
    assert stdlib.cache_key(value) == fast_key


def test_registration_applies_to_subclasses_of_a_registered_container() -> None:
    class Row(list):  # type: ignore[type-arg]
        pass

    class SpecialRow(Row):
        pass

    register_encoder(Row, lambda r: {"row": list(r)}, name="Row")
    try:
        assert canonical_bytes(SpecialRow([1])) == canonical_bytes(Row([1]))
        assert canonical_bytes(Row([1])) != canonical_bytes([1])
    finally:
        unregister_encoder(Row)
    assert canonical_bytes(SpecialRow([1])) == canonical_bytes([1])  # plain list subclass again


def test_tzinfo_kinds_with_the_same_offset_share_a_key() -> None:
    class Plus2(datetime.tzinfo):
        def utcoffset(self, dt: datetime.datetime | None) -> datetime.timedelta:
            return datetime.timedelta(hours=2)

        def dst(self, dt: datetime.datetime | None) -> datetime.timedelta:
            return datetime.timedelta(0)

        def tzname(self, dt: datetime.datetime | None) -> str:
            return "PLUS2"

    fixed = datetime.timezone(datetime.timedelta(hours=2))
    custom = datetime.datetime(2024, 5, 6, 12, tzinfo=Plus2())
    assert canonical_bytes(custom) == canonical_bytes(datetime.datetime(2024, 5, 6, 12, tzinfo=fixed))
    utc_same_instant = datetime.datetime(2024, 5, 6, 10, tzinfo=datetime.timezone.utc)
    assert canonical_bytes(custom) != canonical_bytes(utc_same_instant)  # offsets are data


def test_canonical_bytes_follow_the_current_tuning(monkeypatch: pytest.MonkeyPatch) -> None:
    import flujo_tuning.cache_keys.accelerated as accelerated_module
    import flujo_tuning.cache_keys.maker as keys_module

    value = {"a": [1, 2]}
    expected = reference_bytes(value)
    apply("stdlib")  # no third-party encoder anywhere: the fast path must not be consulted
    monkeypatch.setattr(keys_module, "accelerated_bytes", lambda obj: pytest.fail("fast path used"))
    monkeypatch.setattr(
        accelerated_module.Accelerator, "encode", lambda self, obj: pytest.fail("fast path used")
    )
    assert canonical_bytes(value) == expected


def test_cache_keys_never_shrink_the_scratch_buffers_users_get() -> None:
    tuning = flujo_tuning.apply(buffer_size="64KiB")
    deep = {"steps": [{"name": "summarise", "args": [[1, 2], [3]]}]}  # deeper than the quick check
    tuning.cache_key(deep)
    buffer = tuning.buffers.acquire()
    try:
        assert len(buffer) >= 64 * 1024
    finally:
        tuning.buffers.release(buffer)
    assert len(tuning.buffers.acquire()) >= 64 * 1024


@pytest.mark.parametrize("label", list(SUBCLASS_TWINS))
def test_builtin_subclasses_encode_as_their_base_type(label: str) -> None:
    value = dict(VALUES)[label]
    twin = SUBCLASS_TWINS[label]

    def types(obj: Any) -> list[type]:
        inner = obj.values() if isinstance(obj, dict) else obj if isinstance(obj, list) else []
        return [type(obj), *(type(item) for item in inner)]

    assert types(value) != types(twin)  # the value really holds subclasses
    assert reference_bytes(value) == reference_bytes(twin) == canonical_bytes(value)
    assert cache_key(value) == cache_key(twin)


@pytest.mark.parametrize(
    ("cls", "encoder", "message"),
    [
        ("Money", repr, r"register_encoder\(\) needs a class, got 'Money'"),
        (Money, "not callable", r"register_encoder\(\) needs a callable encoder, got 'not callable'"),
        (dict, repr, "dict already has a canonical encoding; it cannot be replaced"),
    ],
)
def test_register_encoder_checks_its_input(cls: Any, encoder: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        register_encoder(cls, encoder)


def test_unregistering_an_unknown_type_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        unregister_encoder(Money)
