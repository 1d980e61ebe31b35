"""cache_key against the naive walker it replaces and the raw lower bound, small and medium inputs."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
import pytest

import flujo_tuning
from flujo_tuning.keys import reference_bytes

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


@pytest.mark.parametrize("size", list(INPUTS))
def test_naive_walker(benchmark: Any, compare: Compare, size: str) -> None:
    benchmark(naive_key, INPUTS[size])
    compare(benchmark, f"cache_key {size}", "naive repr walker + sha256", baseline=True)


@pytest.mark.parametrize("size", list(INPUTS))
def test_raw_lower_bound(benchmark: Any, compare: Compare, size: str) -> None:
    benchmark(raw_lower_bound, INPUTS[size])
    compare(benchmark, f"cache_key {size}", "sha256(orjson sorted) lower bound")


@pytest.mark.parametrize("size", list(INPUTS))
def test_cache_key_default_profile(benchmark: Any, compare: Compare, size: str) -> None:
    tuning = flujo_tuning.apply("default")
    assert tuning._key_maker.accelerated
    key = benchmark(tuning.cache_key, INPUTS[size])
    assert key.startswith("fk1:")
    compare(benchmark, f"cache_key {size}", f"cache_key, default profile ({tuning.hasher.name})")


@pytest.mark.parametrize("size", list(INPUTS))
def test_cache_key_reference_path(benchmark: Any, compare: Compare, size: str) -> None:
    tuning = flujo_tuning.apply("stdlib")
    assert not tuning._key_maker.accelerated
    benchmark(tuning.cache_key, INPUTS[size])
    compare(benchmark, f"cache_key {size}", "cache_key, stdlib profile (pure Python, sha256)")


@pytest.mark.parametrize("size", list(INPUTS))
def test_reference_encoding_alone(benchmark: Any, compare: Compare, size: str) -> None:
    benchmark(reference_bytes, INPUTS[size])
    compare(benchmark, f"cache_key {size}", "reference encoding only (no hash)")
