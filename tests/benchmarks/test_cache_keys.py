"""cache_key against the naive walker it replaces and the raw floor, small and medium inputs.

Each size has two tables: ratios to the naive walker (targets: >= 5x small, >= 10x medium) and
ratios to the raw floor ``hasher(orjson.dumps(sort_keys))`` with the default profile's hasher
(targets: the key within 1.5x of the floor small, 1.3x medium; the ratio shown is floor/key, so
>= 0.67x and >= 0.77x).
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
import pytest

import flujo_tuning
from flujo_tuning.cache_keys.maker import KeyMaker, reference_bytes

from .conftest import Compare

SMALL = {
    "step": "summarise",
    "model": "gpt-x",
    "temperature": 0.2,
    "max_tokens": 256,
    "prompt": "Summarise.",
    "seed": 7,
}
MEDIUM = {
    "messages": [
        {
            "role": "user" if i % 2 else "assistant",
            "content": ("hello world " * 18)[: 200 + i],
            "name": f"agent-{i}",
        }
        for i in range(50)
    ],
    "model": "gpt-x",
    "temperature": 0.2,
    "max_tokens": 512,
    "metadata": {"run": "abc", "step": 3},
}
INPUTS = {"small": SMALL, "medium": MEDIUM}


def naive_walker(obj: Any, depth: int = 0) -> str:
    """The hand-written key this library replaces (kept here only as the thing to beat)."""
    if depth > 20:
        return "..."
    if isinstance(obj, dict):
        return "{" + ",".join(f"{k}:{naive_walker(v, depth + 1)}" for k, v in sorted(obj.items())) + "}"
    if isinstance(obj, (list, tuple)):
        return "[" + ",".join(naive_walker(v, depth + 1) for v in obj) + "]"
    return repr(obj)


def naive_key(obj: Any) -> str:
    return hashlib.sha256(naive_walker(obj).encode()).hexdigest()


def raw_lower_bound(obj: Any) -> str:
    return hashlib.sha256(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)).hexdigest()


def test_inputs_are_the_sizes_the_targets_name() -> None:
    assert 80 <= len(orjson.dumps(SMALL)) <= 160
    assert 11_000 <= len(orjson.dumps(MEDIUM)) <= 14_000


def _both(
    compare: Compare, benchmark: Any, size: str, name: str, *, naive: bool = False, floor: bool = False
) -> None:
    compare(benchmark, f"cache_key {size}: vs naive walker", name, baseline=naive)
    compare(benchmark, f"cache_key {size}: vs raw floor", name, baseline=floor)


@pytest.mark.parametrize("size", list(INPUTS))
def test_naive_walker(benchmark: Any, compare: Compare, size: str) -> None:
    benchmark(naive_key, INPUTS[size])
    _both(compare, benchmark, size, "naive repr walker + sha256", naive=True)


@pytest.mark.parametrize("size", list(INPUTS))
def test_raw_lower_bound(benchmark: Any, compare: Compare, size: str) -> None:
    benchmark(raw_lower_bound, INPUTS[size])
    compare(benchmark, f"cache_key {size}: vs naive walker", "sha256(orjson sorted)")


@pytest.mark.parametrize("size", list(INPUTS))
def test_raw_floor_default_hasher(benchmark: Any, compare: Compare, size: str) -> None:
    hasher = flujo_tuning.preview("default").hasher
    new = hasher.new

    def floor(obj: Any) -> str:
        return new(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)).hexdigest()  # type: ignore[no-any-return]

    benchmark(floor, INPUTS[size])
    _both(compare, benchmark, size, f"raw floor: {hasher.name}(orjson sorted)", floor=True)


@pytest.mark.parametrize("size", list(INPUTS))
def test_cache_key_default_profile(benchmark: Any, compare: Compare, size: str) -> None:
    tuning = flujo_tuning.apply("default")
    assert tuning.decision("key_encoder").choice == "native"
    key = benchmark(tuning.cache_key, INPUTS[size])
    assert key.startswith("fk1:")
    _both(compare, benchmark, size, f"cache_key, default profile (native, {tuning.hasher.name})")


@pytest.mark.parametrize("size", list(INPUTS))
def test_cache_key_native_sha256(benchmark: Any, compare: Compare, size: str) -> None:
    """The naive walker hashes with sha256: the same hasher, for a like-for-like ratio."""
    tuning = flujo_tuning.apply(hasher="sha256")
    assert tuning.decision("key_encoder").choice == "native"
    benchmark(tuning.cache_key, INPUTS[size])
    compare(benchmark, f"cache_key {size}: vs naive walker", "cache_key, native, sha256")


@pytest.mark.parametrize("size", list(INPUTS))
def test_cache_key_msgspec_encoder(benchmark: Any, compare: Compare, size: str) -> None:
    hasher = flujo_tuning.preview("default").hasher
    maker = KeyMaker(hasher, 4096, encoder="msgspec")
    assert maker.encoder == "msgspec"
    benchmark(maker, INPUTS[size])
    _both(compare, benchmark, size, f"cache_key, msgspec encoder (before the native one, {hasher.name})")


@pytest.mark.parametrize("size", list(INPUTS))
def test_cache_key_reference_path(benchmark: Any, compare: Compare, size: str) -> None:
    tuning = flujo_tuning.apply("stdlib")
    assert tuning.choices["key_encoder"] == "reference"
    benchmark(tuning.cache_key, INPUTS[size])
    compare(benchmark, f"cache_key {size}: vs naive walker", "cache_key, stdlib profile (reference, sha256)")


@pytest.mark.parametrize("size", list(INPUTS))
def test_reference_encoding_alone(benchmark: Any, compare: Compare, size: str) -> None:
    benchmark(reference_bytes, INPUTS[size])
    compare(benchmark, f"cache_key {size}: vs naive walker", "reference encoding only (no hash)")
