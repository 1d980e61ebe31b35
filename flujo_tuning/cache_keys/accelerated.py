"""The msgspec encoder of cache keys: for values made only of builtin types whose msgpack form
*is* the canonical form, two C passes prove the types, then msgspec writes the same bytes the
reference would."""

from __future__ import annotations

import functools
import io
import pickle
import threading
from typing import Any

from ..components.backends import Unavailable, import_backend

__all__ = ["Accelerator", "default_accelerator", "load_accelerator"]

#: Types whose msgpack encoding by msgspec equals the canonical encoding.
_LEAVES = frozenset({str, int, float, bool, type(None), bytes})


_CONTAINERS = frozenset({dict, list, tuple})
_LEAVES_AND_CONTAINERS = _LEAVES | _CONTAINERS
#: Values at most this deep and this wide are checked in Python; larger ones by the C walks.
_SMALL_DEPTH = 2
_SMALL_WIDTH = 32


def _small_and_safe(obj: Any, depth: int) -> bool:
    t = type(obj)
    if t is dict:
        if len(obj) > _SMALL_WIDTH or not _LEAVES.issuperset(map(type, obj)):
            return False
        values: Any = obj.values()
    elif t is list or t is tuple:
        if len(obj) > _SMALL_WIDTH:
            return False
        values = obj
    else:
        return t in _LEAVES
    kinds = set(map(type, values))
    if kinds <= _LEAVES:
        return True
    if depth == 0 or not kinds <= _LEAVES_AND_CONTAINERS:
        return False
    return all(_small_and_safe(v, depth - 1) for v in values if type(v) in _CONTAINERS)


class _UnsafeError(Exception):
    """The value holds a type whose msgpack form differs from its canonical form."""


def _reject(obj: Any) -> Any:
    if type(obj) is bytes or type(obj) is bytearray:
        return None  # bytes are fine for msgspec; orjson just cannot print them
    raise _UnsafeError


class _TypeCheck(pickle.Pickler):
    """A C walk over the whole value: pickle calls this hook for every non-builtin object."""

    def reducer_override(self, obj: Any) -> Any:
        raise _UnsafeError


class _Discard(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        return len(data)


class Accelerator:
    """The msgspec + orjson fast path; see the module docstring for why its bytes are canonical."""

    #: Returned by :meth:`flat` when msgspec refused a flat value (big int, non-str key...).
    REFUSED = b""  # no canonical encoding is empty

    def __init__(self) -> None:
        msgpack = import_backend("msgspec.msgpack")
        orjson = import_backend("orjson")
        encoder = msgpack.Encoder(order="deterministic")
        self._encode = encoder.encode
        self._encode_into = encoder.encode_into
        self._orjson_dumps = orjson.dumps
        self._orjson_options = (
            orjson.OPT_PASSTHROUGH_SUBCLASS
            | orjson.OPT_PASSTHROUGH_DATACLASS
            | orjson.OPT_PASSTHROUGH_DATETIME
        )
        self._local = threading.local()

    def flat(self, obj: Any) -> bytes | None:
        """Encode a small, shallow value of safe types; None if it is not (or not provably) one.

        Small values are checked in Python: cheaper than starting two C walks.
        Non-str keys of leaf types pass the check; msgspec refuses them (REFUSED).
        """
        if not _small_and_safe(obj, _SMALL_DEPTH):
            return None
        try:
            data: bytes = self._encode(obj)
        except Exception:
            return self.REFUSED
        return data

    def only_builtin_types(self, obj: Any) -> bool:
        """Two C walks: orjson refuses sets, bytes-likes aside every non-JSON type and subclasses;
        pickle calls our hook for every non-builtin object (which catches Enum and UUID)."""
        try:
            self._orjson_dumps(obj, default=_reject, option=self._orjson_options)
            checker = getattr(self._local, "checker", None)
            if checker is None:
                checker = self._local.checker = _TypeCheck(_Discard(), protocol=5)
            checker.clear_memo()
            checker.dump(obj)
        except Exception:
            return False
        return True

    def encode_into(self, obj: Any, buffer: bytearray) -> bool:
        """Write the canonical bytes of *obj* into *buffer*; False where the fast path does not apply."""
        if not self.only_builtin_types(obj):
            return False
        try:
            self._encode_into(obj, buffer)
        except Exception:  # e.g. an int beyond 64 bits: the reference knows what to do
            return False
        return True

    def encode(self, obj: Any) -> bytes | None:
        data = self.flat(obj)
        if data is not None:
            return data or None
        buffer = bytearray()
        return bytes(buffer) if self.encode_into(obj, buffer) else None


def load_accelerator() -> Accelerator | None:
    """The fast path, or None when msgspec or orjson is missing or broken."""
    try:
        return Accelerator()
    except (Unavailable, AttributeError):
        return None


@functools.cache
def default_accelerator() -> Accelerator | None:
    """The msgspec encoder for module-level calls, built once."""
    return load_accelerator()
