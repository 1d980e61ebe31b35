"""Cache keys under load of random values: no collisions, byte-identical fast path, hidden packages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings

from flujo_tuning.cache_keys.maker import (
    KeyMaker,
    accelerated_bytes,
    canonical_bytes,
    reference_bytes,
)
from flujo_tuning.cache_keys.native import load_native
from flujo_tuning.components import hasher as hasher_component

from ..cache_keys.test_keys import GOLDEN, VALUES_STRATEGY, spec_equal_form
from ..golden.values import VALUES

MANY = settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@MANY
@given(VALUES_STRATEGY, VALUES_STRATEGY)
def test_no_collisions_between_random_values(
    count: Callable[[str, int], None], left: Any, right: Any
) -> None:
    collide = canonical_bytes(left) == canonical_bytes(right)
    equal = spec_equal_form(left) == spec_equal_form(right)
    count("cache-key pairs compared", 1)
    if collide and not equal:  # pragma: no cover - would be a bug
        count("cache-key collisions", 1)
    assert collide is equal


@MANY
@given(VALUES_STRATEGY)
def test_fast_path_matches_the_reference(count: Callable[[str, int], None], value: Any) -> None:
    fast = accelerated_bytes(value)
    if fast is not None:
        count("fast-path encodings compared with the reference", 1)
        assert fast == reference_bytes(value)


@MANY
@given(VALUES_STRATEGY)
def test_native_encoder_matches_the_reference(count: Callable[[str, int], None], value: Any) -> None:
    native = load_native()
    assert native is not None, "the native encoder is not built in this environment"
    data = native.encode(value)
    if data is not None:
        count("native encodings compared with the reference", 1)
        assert data == reference_bytes(value)


def test_golden_vectors_identical_with_optional_packages_hidden(
    hide_module: Callable[..., None], count: Callable[[str, int], None]
) -> None:
    hide_module("msgspec")
    hide_module("orjson")
    hide_module("blake3")
    hide_module("xxhash")
    hide_module("flujo_tuning.cache_keys._fk1native")
    sha256 = hasher_component.LOADERS["sha256"]().backend
    maker = KeyMaker(sha256, 256)
    assert not maker.accelerated
    same = sum(
        maker(value) == vector["keys"]["sha256"] for (_, value), vector in zip(VALUES, GOLDEN, strict=True)
    )
    count("golden vectors identical without optional packages", same)
    count("golden vectors", len(GOLDEN))
    assert same == len(GOLDEN)
