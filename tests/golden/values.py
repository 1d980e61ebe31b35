"""The values of the fk1 golden vectors. Labels are stable; never change a value under a label."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import pathlib
import struct
import uuid
from typing import Any

import pydantic


class Color(enum.Enum):
    RED = "red"
    GREEN = 2


class Level(enum.IntEnum):
    LOW = 1


class Mode(str, enum.Enum):
    FAST = "fast"


@dataclasses.dataclass(frozen=True)
class Point:
    x: int
    y: float


@dataclasses.dataclass
class Step:
    name: str
    inputs: dict[str, Any]
    after: list[Any] = dataclasses.field(default_factory=list)


class Message(pydantic.BaseModel):
    role: str
    content: str
    tokens: int | None = None


class Loose(pydantic.BaseModel, extra="allow"):
    a: int


class MyInt(int):
    pass


class MyStr(str):
    __slots__ = ()


class MyFloat(float):
    pass


class MyBytes(bytes):
    pass


class MyDict(dict[str, Any]):
    pass


class MyList(list[Any]):
    pass


def _float(bits: str) -> float:
    value: float = struct.unpack(">d", bytes.fromhex(bits))[0]
    return value


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    return value


def _values() -> list[tuple[str, Any]]:
    v: list[tuple[str, Any]] = [("none", None), ("true", True), ("false", False)]
    ints = [0, 1, 7, 31, 32, 127, 128, 200, 255, 256, 1000, 65535, 65536, 2**31 - 1, 2**31, 2**32 - 1, 2**32]
    ints += [2**53, 2**63 - 1, 2**63, 2**64 - 1, 2**64, 2**100, 10**40]
    ints += [-1, -5, -31, -32, -33, -100, -128, -129, -1000, -32768, -32769, -(2**31), -(2**31) - 1]
    ints += [-(2**63), -(2**63) - 1, -(2**64), -(2**100), -(10**40)]
    v += [(f"int {n}", n) for n in ints]
    floats = {
        "0.0": 0.0, "-0.0": -0.0, "1.0": 1.0, "-1.0": -1.0, "1.5": 1.5, "0.1": 0.1, "1e-7": 1e-7,
        "1e16": 1e16, "1e300": 1e300, "5e-324": 5e-324, "max": 1.7976931348623157e308,
        "inf": float("inf"), "-inf": float("-inf"), "nan": float("nan"),
        "-nan": _float("fff8000000000000"), "nan payload": _float("7ff8000000000001"),
        "pi": 3.141592653589793, "2**53": 9007199254740992.0, "third": 1 / 3,
    }  # fmt: skip
    v += [(f"float {k}", x) for k, x in floats.items()]
    strings = {
        "empty": "", "a": "a", "1": "1", "null": "null", "true": "true", "comma": "a,b", "colon": "a:b",
        "31": "x" * 31, "32": "x" * 32, "255": "y" * 255, "256": "y" * 256, "65535": "z" * 65535,
        "65536": "z" * 65536, "accents": "d\u00e9j\u00e0 vu", "cjk": "\u6f22\u5b57", "emoji": "\U0001f600",
        "nul": "a\x00b", "newline": "line\nbreak", "surrogate": "\ud800", "surrogates": "a\udc80\udfffb",
        "bidi": "\u202eabc", "combining": "e\u0301", "precomposed": "\u00e9",
    }  # fmt: skip
    v += [(f"str {k}", s) for k, s in strings.items()]
    v += [
        ("bytes empty", b""), ("bytes 1", b"1"), ("bytes a", b"a"), ("bytes 255", b"\xff" * 255),
        ("bytes 256", bytes(range(256))), ("bytes 65536", b"\x00" * 65536), ("bytearray a", bytearray(b"a")),
        ("memoryview a", memoryview(b"a")), ("bytes utf8 of str a", b"a"),
    ]  # fmt: skip
    v += [
        ("list empty", []), ("tuple empty", ()), ("list 1", [1]), ("tuple 1", (1,)), ("list str 1", ["1"]),
        ("list a,b", ["a,b"]), ("list a b", ["a", "b"]), ("list 15", list(range(15))), ("list 16", list(range(16))),
        ("list 70000", [0] * 70000), ("list nested", [[1, [2, [3, []]]], ()]), ("list mixed", [1, 1.0, True, "1", b"1", None]),
        ("list of lists", [[1], [2]]), ("tuple nested", ((1, 2), (3,))), ("depth 100", _nested(100)),
        ("depth 256", _nested(255)),
    ]  # fmt: skip
    v += [
        ("dict empty", {}), ("dict a", {"a": 1}), ("dict a:b", {"a:b": "c"}), ("dict a b:c", {"a": "b:c"}),
        ("dict order 1", {"a": 1, "b": 2}), ("dict order 2", {"b": 2, "a": 1}),
        ("dict 15", {f"k{i:02}": i for i in range(15)}), ("dict 16", {f"k{i:02}": i for i in range(16)}),
        ("dict unicode keys", {"\u00e9": 1, "e": 2, "z": 3, "\U0001f600": 4}), ("dict int key", {1: "a"}),
        ("dict str 1 key", {"1": "a"}), ("dict mixed keys", {1: "int", "1": "str", 1.5: "float", None: "none"}),
        ("dict tuple key", {(1, 2): "t"}), ("dict bool key", {True: "t"}), ("dict surrogate key", {"\ud800": 1}),
        ("dict nested", {"x": {"y": {"z": [1, {"w": None}]}}}), ("dict null", {"a": None}),
        ("dict null str", {"a": "null"}), ("dict enum key", {Color.RED: 1}), ("dict str enum key", {Mode.FAST: 1}),
        ("dict 'fast' key", {"fast": 1}),
    ]  # fmt: skip
    v += [
        ("set empty", set()), ("frozenset empty", frozenset()), ("set 1", {1}), ("frozenset 1", frozenset({1})),
        ("set ints", {3, 1, 2}), ("set strs", {"b", "a", "c"}), ("set mixed", {1, "1", 1.5, None, (1,)}),
        ("set 100", set(range(100))), ("frozenset nested", frozenset({frozenset({1}), frozenset()})),
    ]  # fmt: skip
    v += [
        ("enum red", Color.RED), ("enum green", Color.GREEN), ("intenum low", Level.LOW), ("strenum fast", Mode.FAST),
        ("dataclass point", Point(1, 2.0)), ("dataclass point other", Point(2, 1.0)),
        ("dataclass step", Step("s", {"q": [1, 2]}, [Point(0, 0.0)])), ("dict like point", {"x": 1, "y": 2.0}),
        ("pydantic message", Message(role="user", content="hi")),
        ("pydantic message tokens", Message(role="user", content="hi", tokens=3)),
        ("pydantic extra", Loose(a=1, b=2)),  # type: ignore[call-arg]
        ("dict like message", {"role": "user", "content": "hi", "tokens": None}),
    ]  # fmt: skip
    utc = datetime.timezone.utc
    ist = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
    v += [
        ("datetime naive", datetime.datetime(2024, 5, 6, 7, 8, 9, 123456)),
        ("datetime utc", datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=utc)),
        ("datetime +05:30", datetime.datetime(2024, 5, 6, 12, 38, 9, tzinfo=ist)),
        ("datetime min", datetime.datetime.min), ("datetime max", datetime.datetime.max),
        ("datetime fold", datetime.datetime(2024, 11, 3, 1, 30, fold=1)),
        ("date", datetime.date(2024, 5, 6)), ("date min", datetime.date.min),
        ("time", datetime.time(7, 8, 9, 10)), ("time utc", datetime.time(7, 8, tzinfo=utc)),
        ("time midnight", datetime.time()), ("timedelta", datetime.timedelta(days=1, seconds=2, microseconds=3)),
        ("timedelta negative", datetime.timedelta(microseconds=-1)), ("timedelta zero", datetime.timedelta()),
        ("str of date", "2024-05-06"),
    ]  # fmt: skip
    v += [
        (f"decimal {d}", decimal.Decimal(d))
        for d in ["0", "-0", "1", "1.0", "1.00", "-1.5", "1E+2", "100", "0.1", "NaN", "-NaN", "sNaN", "Infinity", "-Infinity", "3.14159265358979323846264338327950288"]
    ]  # fmt: skip
    v += [
        ("uuid nil", uuid.UUID(int=0)), ("uuid 1", uuid.UUID(int=1)),
        ("uuid v4", uuid.UUID("12345678-1234-4678-9234-567812345678")),
        ("str of uuid", "12345678-1234-4678-9234-567812345678"), ("bytes of uuid 1", uuid.UUID(int=1).bytes),
        ("posix path", pathlib.PurePosixPath("/srv/data/file.txt")), ("posix relative", pathlib.PurePosixPath("a/b")),
        ("windows path", pathlib.PureWindowsPath("C:/Users/x")), ("str of posix path", "/srv/data/file.txt"),
        ("str None", "None"), ("str []", "[]"), ("str {}", "{}"), ("list null", [None]), ("list str null", ["null"]),
        ("dict empty key", {"": ""}), ("int 12345", 12345), ("int -12345", -12345), ("float 2.5", 2.5),
        ("float -2.5", -2.5), ("float 1e-300", 1e-300), ("tuple of list", ([1],)), ("list of tuple", [(1,)]),
        ("step input", {"step": "summarise", "model": "gpt-x", "temperature": 0.2, "max_tokens": 256, "seed": 7}),
        ("chat", {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}),
    ]  # fmt: skip
    # Subclasses of the builtin types are encoded as their base type (docs/cache-keys.md).
    v += [
        ("int subclass 5", MyInt(5)), ("int subclass 2**70", MyInt(2**70)), ("str subclass a", MyStr("a")),
        ("float subclass 1.5", MyFloat(1.5)), ("bytes subclass a", MyBytes(b"a")),
        ("dict subclass a", MyDict(a=1)), ("list subclass 1", MyList([1])),
        ("dict of subclasses", {"n": MyInt(5), "s": MyStr("a"), "f": MyFloat(1.5)}),
    ]  # fmt: skip
    return v


#: Subclass label -> the plain value it must encode exactly like.
SUBCLASS_TWINS: dict[str, Any] = {
    "int subclass 5": 5, "int subclass 2**70": 2**70, "str subclass a": "a", "float subclass 1.5": 1.5,
    "bytes subclass a": b"a", "dict subclass a": {"a": 1}, "list subclass 1": [1],
    "dict of subclasses": {"n": 5, "s": "a", "f": 1.5},
}  # fmt: skip


VALUES: list[tuple[str, Any]] = _values()
