"""Cache keys: ``fk1:<hasher>:<hex digest of the canonical bytes>``.

The canonical encoding (docs/cache-keys.md) is defined by flujo_tuning's pure-Python reference
in ``_canonical``. Three encoders write those bytes, the fastest available chosen per Tuning:

* ``native``: our C extension ``_fk1native`` (built at install where a compiler exists): one
  pass that checks the types and writes the bytes of values made of builtin types, hashed where
  they were written. Anything else is handed back to the next encoder.
* ``msgspec``: for values made only of builtin types whose msgpack form *is* the canonical form,
  two C passes prove the types, then msgspec writes the same bytes the reference would.
* ``reference``: the pure-Python reference, for everything else.
"""

from __future__ import annotations

import functools
import importlib
import io
import pickle
import sys
import sysconfig
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any, Literal

from . import _canonical
from ._canonical import MAX_DEPTH, register_encoder, unregister_encoder
from .components._registry import Unavailable, import_backend
from .components.buffers import ScratchBuffers
from .components.hasher import Hasher

__all__ = [
    "ENCODERS",
    "MAX_DEPTH",
    "SCHEME",
    "KeyEncoder",
    "KeyMaker",
    "accelerated_bytes",
    "canonical_bytes",
    "load_native",
    "reference_bytes",
    "register_encoder",
    "unregister_encoder",
]

#: The encoding version, first part of every key.
SCHEME = "fk1"

#: The key encoders, fastest first.
KeyEncoder = Literal["native", "msgspec", "reference"]
ENCODERS: tuple[KeyEncoder, ...] = ("native", "msgspec", "reference")

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


def reference_bytes(obj: Any) -> bytes:
    """The canonical bytes from the pure-Python reference implementation."""
    return _canonical.encode(obj)


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


class _Accelerator:
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


def _load_accelerator() -> _Accelerator | None:
    """The fast path, or None when msgspec or orjson is missing or broken."""
    try:
        return _Accelerator()
    except (Unavailable, AttributeError):
        return None


@functools.cache
def _default_accelerator() -> _Accelerator | None:
    """The msgspec encoder for module-level calls, built once."""
    return _load_accelerator()


#: The interface version this module expects of ``_fk1native`` (its ``API_VERSION``).
NATIVE_API = 2
NATIVE_MODULE = "flujo_tuning._fk1native"


def _gil_reason() -> str | None:
    """Why the native encoder must not be imported in this process, or None.

    Its walk relies on the GIL (it declares ``Py_MOD_GIL_USED``): on a free-threaded Python,
    importing it would turn the GIL back on for the whole host process.
    """
    if not sysconfig.get_config_var("Py_GIL_DISABLED"):  # None before 3.13 and on GIL builds
        return None
    is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
    if is_gil_enabled is not None and is_gil_enabled():
        return None  # the GIL is on already (PYTHON_GIL=1, or another module): nothing changes
    return (
        "this Python is free-threaded and the native encoder needs the GIL "
        "(importing it would turn the GIL back on for the whole process)"
    )


def _native_status() -> tuple[ModuleType | None, str]:
    """The native encoder and, where it cannot be used, why. Any failure to load it (not built, a
    broken build, a warning raised as an error) is a reason, never an exception."""
    gil = _gil_reason()
    if gil is not None:
        return None, gil
    try:
        module = importlib.import_module(NATIVE_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name == NATIVE_MODULE:
            return None, "the native encoder was not built at install (no C compiler?)"
        return None, f"the native encoder failed to import (ModuleNotFoundError: {exc})"
    except Exception as exc:
        return None, f"the native encoder failed to import ({type(exc).__name__}: {exc})"
    if getattr(module, "API_VERSION", None) != NATIVE_API:
        # An old build left beside newer sources (an editable install not rebuilt).
        return None, f"the native encoder at {module.__file__} is out of date (reinstall to rebuild it)"
    return module, ""


def load_native() -> ModuleType | None:
    """The native encoder, or None where it was not built (no compiler at install time) or is
    out of date."""
    return _native_status()[0]


@functools.cache
def _default_native() -> ModuleType | None:
    """The native encoder for module-level calls, looked up once (not an import per call)."""
    return load_native()


def accelerated_bytes(obj: Any) -> bytes | None:
    """The canonical bytes from the fastest encoder that takes *obj*, or None where only the
    reference does."""
    native = _default_native()
    data: bytes | None = native.encode(obj) if native is not None else None
    if data is not None:
        return data
    fast = _default_accelerator()
    return fast.encode(obj) if fast is not None else None


def canonical_bytes(obj: Any) -> bytes:
    """The canonical fk1 encoding of *obj*: identical on every machine, Python and install.

    Encoded the way the current Tuning encodes keys (so the stdlib profile uses no compiled
    encoder here either); without one, by the fastest encoder that takes the value.
    """
    from ._state import STATE

    if STATE.current is not None:
        return STATE.current._key_maker.canonical_bytes(obj)
    fast = accelerated_bytes(obj)
    return fast if fast is not None else _canonical.encode(obj)


class KeyMaker:
    """Makes ``fk1:<hasher>:<hex>`` keys with one hasher and one encoder (with fallbacks).

    The buffers are its own, never the ones ``tuning.buffers`` lends to users: encoding resizes a
    buffer to the encoded length, which must not shrink a buffer a user was promised. (The native
    encoder writes into a per-thread buffer of its own.)
    """

    def __init__(self, hasher: Hasher, buffer_size: int, *, encoder: KeyEncoder = "native") -> None:
        """*encoder* is the fastest one allowed; a faster one that is not available here falls
        back to the next (``encoder`` says which is used, ``unavailable`` why a faster one is not)."""
        self.prefix = f"{SCHEME}:{hasher.name}:"
        self.hasher = hasher
        self._new_hash = hasher.new
        buffers = ScratchBuffers(buffer_size)
        self._acquire = buffers.acquire
        self._release = buffers.release
        self._native, self.unavailable = _native_status() if encoder == "native" else (None, "")
        self._fast = _load_accelerator() if encoder != "reference" else None
        self.encoder: KeyEncoder = (
            "native" if self._native is not None else "msgspec" if self._fast is not None else "reference"
        )
        #: Makes one key. With the native encoder a C-level partial: no Python frame per key.
        self.make: Callable[[Any], str] = (
            functools.partial(self._native.key_or, self._new_hash, self.prefix, self._python_key)
            if self._native is not None
            else self._python_key
        )

    @property
    def accelerated(self) -> bool:
        return self.encoder != "reference"

    def canonical_bytes(self, obj: Any) -> bytes:
        """The canonical bytes, by the fastest encoder that takes *obj* (identical either way)."""
        data: bytes | None = self._native.encode(obj) if self._native is not None else None
        if data is None and self._fast is not None:
            data = self._fast.encode(obj)
        return data if data is not None else _canonical.encode(obj)

    def __call__(self, obj: Any) -> str:
        return self.make(obj)

    def _python_key(self, obj: Any) -> str:
        """The key by the msgspec encoder where it applies, else by the reference."""
        fast = self._fast
        if fast is not None:
            data = fast.flat(obj)
            if data:
                return self.prefix + self._new_hash(data).hexdigest()  # type: ignore[no-any-return]
            if data is None:  # deeper than one level: encode into this thread's scratch buffer
                buffer = self._acquire()
                try:
                    if fast.encode_into(obj, buffer):
                        return self.prefix + self._new_hash(buffer).hexdigest()  # type: ignore[no-any-return]
                finally:
                    self._release(buffer)
        return self.prefix + self._new_hash(_canonical.encode(obj)).hexdigest()  # type: ignore[no-any-return]
