"""The reference implementation of the fk1 canonical encoding (the spec is docs/cache-keys.md).

Pure Python and dependency-free on purpose: it defines the bytes. The accelerated path in
keys.py must produce exactly these bytes, and tests prove it.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import functools
import hashlib
import pathlib
import struct
import sys
import uuid
from collections.abc import Callable
from types import CodeType
from typing import Any

__all__ = ["MAX_DEPTH", "encode", "register_encoder", "registered", "unregister_encoder"]

#: Deeper nesting raises ValueError (never truncates): cache-key inputs are never this deep, and
#: a limit keeps the recursion far from Python's own.
MAX_DEPTH = 256

# Extension type codes (msgpack "ext"), see docs/cache-keys.md.
EXT_BIG_INT = 1
EXT_SURROGATE_STR = 2
EXT_DICT = 3
EXT_SET = 4
EXT_ENUM = 5
EXT_DATACLASS = 6
EXT_PYDANTIC = 7
EXT_DATETIME = 8
EXT_DATE = 9
EXT_TIME = 10
EXT_TIMEDELTA = 11
EXT_DECIMAL = 12
EXT_UUID = 13
EXT_PATH = 14
EXT_REGISTERED = 15

_FLOAT = struct.Struct(">Bd").pack
_U16 = struct.Struct(">BH").pack
_U32 = struct.Struct(">BI").pack

_BUILTIN_TYPES = frozenset(
    {type(None), bool, int, float, str, bytes, bytearray, memoryview, list, tuple, dict, set, frozenset}
)

#: type -> (name, encoder); the encoder returns a value this module can encode.
_REGISTERED: dict[type, tuple[str, Callable[[Any], Any]]] = {}


def register_encoder(cls: type, encoder: Callable[[Any], Any], *, name: str | None = None) -> None:
    """Teach cache keys a new type: *encoder* turns an instance into supported values.

    *name* (default ``module.QualName``) is part of the key, so two types never collide and a
    renamed class can keep its keys by passing its old name.
    """
    if not isinstance(cls, type):
        raise TypeError(f"register_encoder() needs a class, got {cls!r}")
    if not callable(encoder):
        raise TypeError(f"register_encoder() needs a callable encoder, got {encoder!r}")
    if cls in _BUILTIN_TYPES:
        raise TypeError(f"{cls.__name__} already has a canonical encoding; it cannot be replaced")
    _REGISTERED[cls] = (name or _type_name(cls), encoder)


def unregister_encoder(cls: type) -> None:
    """Forget the encoder registered for *cls* (KeyError if there is none)."""
    del _REGISTERED[cls]


def registered() -> list[tuple[str, str, str]]:
    """What registered encoders contribute to keys, for the fingerprint: (name in the key, class,
    encoder identity), sorted. Two processes that register different encoders, or the same encoder
    for a different class, get different fingerprints."""
    return sorted(
        (name, _type_name(cls), _callable_identity(encoder)) for cls, (name, encoder) in _REGISTERED.items()
    )


def _callable_identity(fn: Any) -> str:
    """Where *fn* is defined and a digest of its code: stable across processes of one install,
    different when the function's code changes (a deploy with a new encoder)."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    where = f"{getattr(fn, '__module__', None) or type(fn).__module__}."
    where += getattr(fn, "__qualname__", None) or type(fn).__qualname__
    # A plain function, a method, or an instance whose class defines __call__ in Python.
    code = getattr(fn, "__code__", None) or getattr(vars(type(fn)).get("__call__"), "__code__", None)
    if not isinstance(code, CodeType):
        return where
    digest = hashlib.blake2b(digest_size=6)
    _digest_code(code, digest)
    return f"{where}:{digest.hexdigest()}"


def _digest_code(code: CodeType, digest: Any) -> None:
    digest.update(code.co_code)
    digest.update(repr(code.co_names).encode())
    for const in code.co_consts:
        if isinstance(const, CodeType):
            _digest_code(const, digest)  # a nested function or comprehension
        else:
            digest.update(_const_repr(const).encode())


def _const_repr(const: Any) -> str:
    # A frozenset's repr follows string hashing, which differs per process: sort it.
    if isinstance(const, frozenset):
        return "frozenset(" + ",".join(sorted(map(_const_repr, const))) + ")"
    if isinstance(const, tuple):
        return "(" + ",".join(map(_const_repr, const)) + ")"
    return repr(const)


def encode(obj: Any) -> bytes:
    """The canonical bytes of *obj*; TypeError names the unsupported type and where it is."""
    out: list[bytes] = []
    try:
        _encode(obj, out, set(), 0)
    except _PathError as exc:
        raise exc.finish() from exc.__cause__
    return b"".join(out)


class _PathError(Exception):
    """Carries the failure up the recursion, collecting the path on the way (free on success)."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error
        self.path: list[str] = []

    def finish(self) -> Exception:
        where = "value" + "".join(reversed(self.path))
        error = self.error
        return type(error)(f"{error} at {where}")


_ARRAY = (0x90, 0xDC, 0xDD)  # fixarray, array16, array32
_MAP = (0x80, 0xDE, 0xDF)  # fixmap, map16, map32


def _count_header(out: list[bytes], n: int, codes: tuple[int, int, int]) -> None:
    fixed, code16, code32 = codes
    if n < 16:
        out.append(bytes((fixed | n,)))
    elif n < 0x10000:
        out.append(_U16(code16, n))
    else:
        out.append(_U32(code32, n))


def _int(out: list[bytes], n: int) -> None:
    if 0 <= n < 128:
        out.append(bytes((n,)))
    elif -32 <= n < 0:
        out.append(bytes((n & 0xFF,)))
    elif n > 0:
        _positive_int(out, n)
    else:
        _negative_int(out, n)


def _big_int(out: list[bytes], n: int) -> None:
    _ext(out, EXT_BIG_INT, n.to_bytes((n.bit_length() + 8) // 8, "big", signed=True))


def _positive_int(out: list[bytes], n: int) -> None:
    if n < 0x100:
        out.append(bytes((0xCC, n)))
    elif n < 0x10000:
        out.append(b"\xcd" + n.to_bytes(2, "big"))
    elif n < 0x100000000:
        out.append(b"\xce" + n.to_bytes(4, "big"))
    elif n < 0x10000000000000000:
        out.append(b"\xcf" + n.to_bytes(8, "big"))
    else:
        _big_int(out, n)


def _negative_int(out: list[bytes], n: int) -> None:
    if n >= -0x80:
        out.append(b"\xd0" + n.to_bytes(1, "big", signed=True))
    elif n >= -0x8000:
        out.append(b"\xd1" + n.to_bytes(2, "big", signed=True))
    elif n >= -0x80000000:
        out.append(b"\xd2" + n.to_bytes(4, "big", signed=True))
    elif n >= -0x8000000000000000:
        out.append(b"\xd3" + n.to_bytes(8, "big", signed=True))
    else:
        _big_int(out, n)


def _str(out: list[bytes], s: str) -> None:
    try:
        data = s.encode()
    except UnicodeEncodeError:  # lone surrogates: valid str, not valid UTF-8
        _ext(out, EXT_SURROGATE_STR, s.encode("utf-8", "surrogatepass"))
        return
    if len(data) < 32:
        out.append(bytes((0xA0 | len(data),)))  # fixstr
        out.append(data)
    else:
        _sized(out, data, _STR)


def _bin(out: list[bytes], data: bytes) -> None:
    _sized(out, data, _BIN)


_STR = (0xD9, 0xDA, 0xDB)  # str8, str16, str32
_BIN = (0xC4, 0xC5, 0xC6)  # bin8, bin16, bin32


def _sized(out: list[bytes], data: bytes, codes: tuple[int, int, int]) -> None:
    n = len(data)
    code8, code16, code32 = codes
    if n < 0x100:
        out.append(bytes((code8, n)))
    elif n < 0x10000:
        out.append(_U16(code16, n))
    else:
        out.append(_U32(code32, n))
    out.append(data)


_FIXEXT = {1: 0xD4, 2: 0xD5, 4: 0xD6, 8: 0xD7, 16: 0xD8}


def _ext(out: list[bytes], code: int, data: bytes) -> None:
    n = len(data)
    fixed = _FIXEXT.get(n)
    if fixed is not None:
        out.append(bytes((fixed, code)))
    elif n < 0x100:
        out.append(bytes((0xC7, n, code)))
    elif n < 0x10000:
        out.append(struct.pack(">BHB", 0xC8, n, code))
    else:
        out.append(struct.pack(">BIB", 0xC9, n, code))
    out.append(data)


def _sub(obj: Any, seen: set[int], depth: int) -> bytes:
    out: list[bytes] = []
    _encode(obj, out, seen, depth)
    return b"".join(out)


def _type_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _offset_us(offset: datetime.timedelta | None) -> int | None:
    if offset is None:
        return None
    return (offset.days * 86400 + offset.seconds) * 1_000_000 + offset.microseconds


def _encode(obj: Any, out: list[bytes], seen: set[int], depth: int) -> None:
    t = type(obj)
    # Exact builtin types first: the common case, in rough order of frequency.
    if t is str:
        _str(out, obj)
    elif t is int:
        _int(out, obj)
    elif obj is None:
        out.append(b"\xc0")
    elif obj is True:
        out.append(b"\xc3")
    elif obj is False:
        out.append(b"\xc2")
    elif t is float:
        out.append(_FLOAT(0xCB, obj))
    elif t is dict or t is list or t is tuple:
        _container(obj, t, out, seen, depth)
    elif t is bytes:
        _bin(out, obj)
    else:
        _other(obj, t, out, seen, depth)


def _container(obj: Any, t: type, out: list[bytes], seen: set[int], depth: int) -> None:
    if depth >= MAX_DEPTH:
        raise _PathError(ValueError(f"nesting deeper than {MAX_DEPTH} levels"))
    marker = id(obj)
    if marker in seen:
        raise _PathError(ValueError("cycle: a container contains itself"))
    seen.add(marker)
    depth += 1
    try:
        if issubclass(t, dict):
            _dict(obj, out, seen, depth)
        elif issubclass(t, (list, tuple)):
            _count_header(out, len(obj), _ARRAY)
            for index, item in enumerate(obj):
                try:
                    _encode(item, out, seen, depth)
                except _PathError as exc:
                    exc.path.append(f"[{index}]")
                    raise
        else:  # set or frozenset
            members = []
            for member in obj:
                try:
                    members.append(_sub(member, seen, depth))
                except _PathError as exc:
                    exc.path.append(f"<member {member!r:.40}>")
                    raise
            members.sort()
            _ext(out, EXT_SET, b"".join(members))
    finally:
        seen.discard(marker)


def _dict(obj: dict[Any, Any], out: list[bytes], seen: set[int], depth: int) -> None:
    if all(type(key) is str for key in obj):
        _count_header(out, len(obj), _MAP)
        for key in sorted(obj):
            _str(out, key)
            try:
                _encode(obj[key], out, seen, depth)
            except _PathError as exc:
                exc.path.append(f"[{key!r}]")
                raise
        return
    entries = []
    for key, value in obj.items():
        try:
            entries.append(_sub(key, seen, depth) + _sub(value, seen, depth))
        except _PathError as exc:
            exc.path.append(f"[{key!r}]")
            raise
    # Encoded entries start with their encoded key, and no encoding is a prefix of another.
    entries.sort()
    _ext(out, EXT_DICT, b"".join(entries))


def _fields(obj: Any, names: list[str], seen: set[int], depth: int) -> bytes:
    parts = []
    for name in names:
        try:
            parts.append(_sub(name, seen, depth) + _sub(getattr(obj, name), seen, depth))
        except _PathError as exc:
            exc.path.append(f".{name}")
            raise
    return b"".join(parts)


def _other(obj: Any, t: type, out: list[bytes], seen: set[int], depth: int) -> None:
    # Types whose encoding recurses into arbitrary values get the same depth and cycle guard
    # as containers (a dataclass may hold itself; a registered encoder may return its input).
    if isinstance(obj, (dict, list, tuple, set, frozenset)) and _registration(t) is None:
        _container(obj, t, out, seen, depth)
        return
    if depth >= MAX_DEPTH:
        raise _PathError(ValueError(f"nesting deeper than {MAX_DEPTH} levels"))
    marker = id(obj)
    if marker in seen:
        raise _PathError(ValueError(f"cycle: a {_type_name(t)} contains itself"))
    seen.add(marker)
    try:
        _leaf_or_record(obj, t, out, seen, depth + 1)
    finally:
        seen.discard(marker)


def _registration(t: type) -> tuple[str, Callable[[Any], Any]] | None:
    """The encoder registered for *t* or its nearest registered base class."""
    return next((_REGISTERED[c] for c in t.__mro__ if c in _REGISTERED), None) if _REGISTERED else None


def _leaf_or_record(obj: Any, t: type, out: list[bytes], seen: set[int], depth: int) -> None:
    registered = _registration(t)
    if registered is not None:
        name, encoder = registered
        try:
            value = encoder(obj)
        except Exception as exc:
            raise _PathError(TypeError(f"encoder registered for {name} failed: {exc!r}")) from exc
        _ext(out, EXT_REGISTERED, _sub(name, seen, depth) + _sub(value, seen, depth))
    elif isinstance(obj, enum.Enum):
        _ext(out, EXT_ENUM, _sub(_type_name(t), seen, depth) + _sub(obj.value, seen, depth))
    elif isinstance(obj, (int, str, float, bytes, bytearray, memoryview)):
        _builtin_subclass(obj, out)
    elif isinstance(obj, (datetime.date, datetime.time, datetime.timedelta)):
        _temporal(obj, out, seen, depth)
    elif isinstance(obj, decimal.Decimal):
        _ext(out, EXT_DECIMAL, _sub(str(obj), seen, depth))
    elif isinstance(obj, uuid.UUID):
        _ext(out, EXT_UUID, obj.bytes)
    elif isinstance(obj, pathlib.PurePath):
        flavour = "windows" if isinstance(obj, pathlib.PureWindowsPath) else "posix"
        _ext(out, EXT_PATH, _sub(flavour, seen, depth) + _sub(str(obj), seen, depth))
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        names = [field.name for field in dataclasses.fields(obj)]
        _ext(out, EXT_DATACLASS, _sub(_type_name(t), seen, depth) + _fields(obj, names, seen, depth))
    elif _is_pydantic_model(obj):
        names = list(type(obj).model_fields)
        extra = getattr(obj, "__pydantic_extra__", None) or {}
        body = _sub(_type_name(t), seen, depth) + _fields(obj, names, seen, depth)
        if extra:
            body += _sub(dict(extra), seen, depth)
        _ext(out, EXT_PYDANTIC, body)
    else:
        raise _PathError(
            TypeError(
                f"cannot make a cache key from {_type_name(t)} (supported: JSON types, bytes, sets, "
                "dataclasses, pydantic models, Enum, datetime types, Decimal, UUID, paths; "
                "or register an encoder with flujo_tuning.cache_keys.register_encoder)"
            )
        )


def _builtin_subclass(obj: Any, out: list[bytes]) -> None:
    """Subclasses of builtin scalars (not Enum, handled before) encode as their base type."""
    if isinstance(obj, int):  # bool cannot be subclassed
        _int(out, int(obj))
    elif isinstance(obj, str):
        _str(out, str(obj))
    elif isinstance(obj, float):
        out.append(_FLOAT(0xCB, float(obj)))
    elif isinstance(obj, memoryview):
        _bin(out, obj.tobytes())
    else:
        _bin(out, bytes(obj))


def _temporal(obj: Any, out: list[bytes], seen: set[int], depth: int) -> None:
    if isinstance(obj, datetime.datetime):
        stamp = (obj.year, obj.month, obj.day, obj.hour, obj.minute, obj.second, obj.microsecond)
        _ext(out, EXT_DATETIME, _sub((*stamp, _offset_us(obj.utcoffset())), seen, depth))
    elif isinstance(obj, datetime.date):
        _ext(out, EXT_DATE, _sub((obj.year, obj.month, obj.day), seen, depth))
    elif isinstance(obj, datetime.time):
        clock = (obj.hour, obj.minute, obj.second, obj.microsecond)
        _ext(out, EXT_TIME, _sub((*clock, _offset_us(obj.utcoffset())), seen, depth))
    else:
        _ext(out, EXT_TIMEDELTA, _sub((obj.days, obj.seconds, obj.microseconds), seen, depth))


def _is_pydantic_model(obj: Any) -> bool:
    pydantic = sys.modules.get("pydantic")  # never import pydantic just to say no
    return pydantic is not None and isinstance(obj, pydantic.BaseModel)
