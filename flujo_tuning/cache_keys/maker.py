"""Cache keys: ``fk1:<hasher>:<hex digest of the canonical bytes>``.

The canonical encoding (docs/cache-keys.md) is defined by the pure-Python reference in
``reference``. Three encoders write those bytes, the fastest available chosen per Tuning:

* ``native``: our C extension ``_fk1native`` (built at install where a compiler exists): one
  pass that checks the types and writes the bytes of values made of builtin types, hashed where
  they were written. Anything else is handed back to the next encoder (``native``).
* ``msgspec``: values made only of builtin types, proven by two C passes (``accelerated``).
* ``reference``: the pure-Python reference, for everything else.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from ..components.buffers import ScratchBuffers
from . import reference
from .accelerated import default_accelerator, load_accelerator
from .native import default_native, native_status
from .reference import MAX_DEPTH, register_encoder, unregister_encoder

if TYPE_CHECKING:
    from ..components.hasher import Hasher

__all__ = [
    "ENCODERS",
    "MAX_DEPTH",
    "SCHEME",
    "KeyEncoder",
    "KeyMaker",
    "accelerated_bytes",
    "canonical_bytes",
    "reference_bytes",
    "register_encoder",
    "unregister_encoder",
]

#: The encoding version, first part of every key.
SCHEME = "fk1"

#: The key encoders, fastest first.
KeyEncoder = Literal["native", "msgspec", "reference"]
ENCODERS: tuple[KeyEncoder, ...] = ("native", "msgspec", "reference")


def reference_bytes(obj: Any) -> bytes:
    """The canonical bytes from the pure-Python reference implementation."""
    return reference.encode(obj)


def accelerated_bytes(obj: Any) -> bytes | None:
    """The canonical bytes from the fastest encoder that takes *obj*, or None where only the
    reference does."""
    native = default_native()
    data: bytes | None = native.encode(obj) if native is not None else None
    if data is not None:
        return data
    fast = default_accelerator()
    return fast.encode(obj) if fast is not None else None


def canonical_bytes(obj: Any) -> bytes:
    """The canonical fk1 encoding of *obj*, by the fastest encoder that takes it (no Tuning needed)."""
    fast = accelerated_bytes(obj)
    return fast if fast is not None else reference.encode(obj)


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
        self._native, self.unavailable = native_status() if encoder == "native" else (None, "")
        self._fast = load_accelerator() if encoder != "reference" else None
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
        return data if data is not None else reference.encode(obj)

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
        return self.prefix + self._new_hash(reference.encode(obj)).hexdigest()  # type: ignore[no-any-return]
