"""Hashers for cache keys: blake3, sha256, blake2b (256-bit), and the non-cryptographic xxh3_128.

``auto`` takes the first available of blake3, sha256, blake2b: measured on our machines, blake3 is
2x sha256 from 12 KB up and level with it below 1 KB; sha256 (hardware-accelerated on CPUs with
SHA extensions) beats blake2b from 1 KB up. ``xxh3_128`` is never chosen by ``auto``: it is not
collision-resistant, so a crafted input can collide on purpose.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .backends import Candidate, Unavailable, choose, import_backend, module_version
from .decision import Decision

__all__ = ["AUTO_ORDER", "Hasher", "decide"]

AUTO_ORDER = ("blake3", "sha256", "blake2b")

# Known digests of b"abc": a backend that disagrees is broken and must not make keys.
_KNOWN_ABC = {
    "blake3": "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85",
    "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    "blake2b": "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319",
    "xxh3_128": "06b05ab6733a618578af5f94892f3950",
}


@dataclass(frozen=True, eq=False)
class Hasher:
    """``digest(data) -> bytes`` and ``hexdigest(data) -> str`` over bytes-like data."""

    name: str
    version: str
    cryptographic: bool
    digest: Callable[[Any], bytes]
    hexdigest: Callable[[Any], str]
    #: The hash object constructor (``new(data).hexdigest()``), for hot paths that skip a call.
    new: Callable[[Any], Any]


def _checked(hasher: Hasher) -> Candidate[Hasher]:
    try:
        got = hasher.hexdigest(b"abc")
    except Exception as exc:
        raise Unavailable(f"{hasher.name} failed its first call ({type(exc).__name__}: {exc})") from exc
    if got != _KNOWN_ABC[hasher.name]:
        raise Unavailable(f"{hasher.name} gave a wrong digest for a known test vector")
    kind = "cryptographic" if hasher.cryptographic else "non-cryptographic"
    return Candidate(hasher.name, hasher, f"{hasher.name} {hasher.version} ({kind})")


def _from_constructor(name: str, version: str, make: Callable[[Any], Any], crypto: bool) -> Hasher:
    def digest(data: Any) -> bytes:
        result: bytes = make(data).digest()
        return result

    def hexdigest(data: Any) -> str:
        result: str = make(data).hexdigest()
        return result

    return Hasher(name, version, crypto, digest, hexdigest, make)


def _load_blake3() -> Candidate[Hasher]:
    module = import_backend("blake3")
    return _checked(_from_constructor("blake3", module_version(module), module.blake3, True))


def _load_sha256() -> Candidate[Hasher]:
    return _checked(_from_constructor("sha256", "hashlib", hashlib.sha256, True))


def _load_blake2b() -> Candidate[Hasher]:
    def blake2b_256(data: Any) -> Any:
        return hashlib.blake2b(data, digest_size=32)

    return _checked(_from_constructor("blake2b", "hashlib", blake2b_256, True))


def _load_xxh3_128() -> Candidate[Hasher]:
    module = import_backend("xxhash")
    return _checked(_from_constructor("xxh3_128", module_version(module), module.xxh3_128, False))


LOADERS = {
    "blake3": _load_blake3,
    "sha256": _load_sha256,
    "blake2b": _load_blake2b,
    "xxh3_128": _load_xxh3_128,
}


def decide(requested: str, source: str, strict: bool) -> tuple[Decision, Hasher]:
    return choose("hasher", requested, source, AUTO_ORDER, LOADERS, strict=strict)
