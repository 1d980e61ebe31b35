"""Hashers: published test vectors, the auto order, refusing a broken backend."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from flujo_tuning import ConfigError, apply
from flujo_tuning.components import hasher as hasher_component

from ..conftest import replace_module

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
