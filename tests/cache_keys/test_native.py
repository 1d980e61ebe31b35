"""The native fk1 encoder (flujo_tuning/cache_keys/_fk1native.c): byte identity with the reference, memory
safety, threads, the key_encoder decision, and the fallback where it is not built."""

from __future__ import annotations

import gc
import importlib
import json
import shutil
import subprocess
import sys
import sysconfig
import threading
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import flujo_tuning
from flujo_tuning import apply
from flujo_tuning.cache_keys.maker import MAX_DEPTH, KeyMaker, reference_bytes
from flujo_tuning.cache_keys.native import load_native

from ..conftest import load_hasher
from ..golden.values import VALUES
from .test_keys import GOLDEN, HASHERS, JSON_LIKE, PROPERTY_SETTINGS, VALUES_STRATEGY

ROOT = Path(__file__).resolve().parents[2]


def _compiler_available() -> bool:
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    return shutil.which(compiler) is not None


@pytest.fixture
def native() -> ModuleType:
    module = load_native()
    if module is None:
        # The default install builds it wherever a C compiler exists: a missing module there is a
        # broken build, not a reason to skip.
        assert not _compiler_available(), (
            "a C compiler is here but flujo_tuning.cache_keys._fk1native was not built"
        )
        pytest.skip("no C compiler: the native encoder was not built (the fallback is tested below)")
    return module


#: The property tests cannot take the fixture (hypothesis runs many examples per test function):
#: they skip on the same condition, and fail the same way where a compiler was there but no build.
requires_native = pytest.mark.skipif(
    load_native() is None and not _compiler_available(),
    reason="no C compiler: the native encoder was not built (the fallback is tested below)",
)


def _native_or_reference(native: ModuleType, value: Any) -> bytes:
    data: bytes | None = native.encode(value)
    return data if data is not None else reference_bytes(value)


# ---------------------------------------------------------------- byte identity


def test_every_golden_vector_is_byte_identical(native: ModuleType) -> None:
    encoded = 0
    for (label, value), vector in zip(VALUES, GOLDEN, strict=True):
        data = native.encode(value)
        if data is None:
            continue
        encoded += 1
        assert len(data) == vector["length"], label
        if "bytes" in vector:
            assert data.hex() == vector["bytes"], label
        assert data == reference_bytes(value), label
    assert encoded >= 140  # every vector made of builtin types only (151 of 216 today)


def test_every_golden_key_is_identical_for_every_hasher(native: ModuleType) -> None:
    for name in HASHERS:
        chosen = load_hasher(name)
        if chosen is None:  # xxhash is optional
            continue
        maker = KeyMaker(chosen, 256)
        assert maker.encoder == "native"
        for (label, value), vector in zip(VALUES, GOLDEN, strict=True):
            assert maker(value) == vector["keys"][name], (name, label)


def test_builtin_values_are_encoded_natively_and_others_handed_back(native: ModuleType) -> None:
    handled = [None, True, 2**200, -(2**70), 1.5, "é", "\ud800", b"x", bytearray(b"x"), [1], (1,), {1: "a"}]
    for value in handled:
        assert native.encode(value) == reference_bytes(value), value
    for value in [
        {1, 2},
        frozenset(),
        memoryview(b"x"),
        [1, {2}],
        {"a": object()},
        type("S", (str,), {})("x"),
    ]:
        assert native.encode(value) is None


@requires_native
@PROPERTY_SETTINGS
@given(VALUES_STRATEGY)
def test_native_bytes_equal_the_reference_for_any_value(value: Any) -> None:
    native = load_native()
    assert native is not None
    assert _native_or_reference(native, value) == reference_bytes(value)


@requires_native
@PROPERTY_SETTINGS
@given(JSON_LIKE)
def test_json_like_values_are_always_taken_natively(value: Any) -> None:
    native = load_native()
    assert native is not None
    data = native.encode(value)
    assert data is not None  # surrogates included: the native pass writes ext 2 itself
    assert data == reference_bytes(value)


_KEYS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4) | st.binary(max_size=4)


@requires_native
@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        _KEYS,
        lambda c: st.lists(c, max_size=3).map(tuple) | st.dictionaries(_KEYS, c, max_size=4),
        max_leaves=10,
    )
)
def test_non_str_keys_huge_ints_nan_and_surrogates(value: Any) -> None:
    native = load_native()
    assert native is not None
    data = native.encode(value)
    assert data is not None
    assert data == reference_bytes(value)


@pytest.mark.parametrize("n", [0, 1, 15, 16, 31, 32, 255, 256, 65535, 65536])
def test_every_length_form_matches_the_reference(native: ModuleType, n: int) -> None:
    """fix/8/16/32-bit headers of str, bin, array, map and ext at each boundary."""
    values = [
        "x" * n,
        b"x" * n,
        bytearray(b"x" * n),
        [0] * n,
        {f"k{i}": 0 for i in range(n)},
        {1: "x" * n},  # ext 3 whose body is about n bytes
        2 ** (8 * n) if n <= 256 else 1,  # ext 1 of about n bytes
    ]
    for value in values:
        assert native.encode(value) == reference_bytes(value)


def test_nan_payloads_negative_zero_and_huge_ints(native: ModuleType) -> None:
    nans = [float.fromhex("nan"), -float("nan"), float("inf"), -float("inf"), -0.0, 0.0]
    ints = [2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**5000, -(10**5000), -32, -33]
    for value in [*nans, *ints, {"n": nans, "i": ints}]:
        assert native.encode(value) == reference_bytes(value)


def test_nesting_up_to_the_limit_is_native_and_beyond_it_the_reference_raises(native: ModuleType) -> None:
    value: Any = 1
    for _ in range(MAX_DEPTH):
        value = [value]
    assert native.encode(value) == reference_bytes(value)
    deeper = [value]
    assert native.encode(deeper) is None  # handed back: the reference says why
    with pytest.raises(ValueError, match="nesting deeper"):
        flujo_tuning.cache_key(deeper)


def test_cycles_are_handed_back_and_raise(native: ModuleType) -> None:
    looped: list[Any] = [1]
    looped.append(looped)
    mapping: dict[str, Any] = {}
    mapping["self"] = [mapping]
    for value in (looped, mapping):
        assert native.encode(value) is None
        with pytest.raises(ValueError, match="cycle"):
            flujo_tuning.cache_key(value)


def test_deep_python_recursion_limit_does_not_matter(native: ModuleType) -> None:
    value: Any = "x"
    for _ in range(MAX_DEPTH):
        value = {"k": value}
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(100)  # the native pass does not recurse in Python
    try:
        data = native.encode(value)
    finally:
        sys.setrecursionlimit(limit)
    assert data == reference_bytes(value)


def test_a_hasher_that_keeps_a_view_never_sees_its_bytes_overwritten(native: ModuleType) -> None:
    import hashlib

    kept: list[memoryview] = []

    class Keeper:
        def __init__(self, data: Any) -> None:
            kept.append(memoryview(data))  # an export of our scratch buffer

        def hexdigest(self) -> str:
            return "00"

    first = "x" * 10_000  # beyond the stack array: hashed in the thread's scratch buffer
    assert native.key(first, Keeper, "p:") == "p:00"
    snapshot = bytes(kept[0])
    assert snapshot == reference_bytes(first)
    second = "y" * 20_000  # must not be written into the buffer the kept view still shows
    assert (
        native.key(second, hashlib.sha256, "k:") == "k:" + hashlib.sha256(reference_bytes(second)).hexdigest()
    )
    assert bytes(kept[0]) == snapshot
    kept[0].release()
    assert native.key("small", Keeper, "p:") == "p:00"  # small values: a bytes object, may be kept


def test_key_checks_its_arguments(native: ModuleType) -> None:
    with pytest.raises(TypeError, match="3 arguments"):
        native.key(1)
    with pytest.raises(TypeError, match="prefix"):
        native.key(1, len, b"p")

    class NotHex:
        def __init__(self, data: Any) -> None:
            pass

        def hexdigest(self) -> bytes:
            return b"00"

    with pytest.raises(TypeError, match="hexdigest"):
        native.key(1, NotHex, "p:")


def test_key_or_hands_unsupported_values_to_the_fallback(native: ModuleType) -> None:
    import hashlib

    seen: list[Any] = []

    def fallback(obj: Any) -> str:
        seen.append(obj)
        return "fallback"

    assert native.key_or(hashlib.sha256, "p:", fallback, {1, 2}) == "fallback"
    assert seen == [{1, 2}]
    expected = "p:" + hashlib.sha256(reference_bytes([1, 2])).hexdigest()
    assert native.key_or(hashlib.sha256, "p:", fallback, [1, 2]) == expected
    assert len(seen) == 1
    with pytest.raises(TypeError, match="4 arguments"):
        native.key_or(hashlib.sha256, "p:", fallback)


# ---------------------------------------------------------------- memory and threads


def test_no_reference_or_memory_leak_over_many_calls(native: ModuleType) -> None:
    import hashlib

    medium = {"messages": [{"role": "user", "content": "x" * 300, "n": i} for i in range(40)]}
    values = [
        {"q": 5, "prompt": "classify the ticket", "temperature": 0.1},
        medium,
        {1: "a", (2, 3): [b"b", 2**80]},
        "\ud800 surrogate",
        [{1, 2}],  # handed back
    ]
    counts = [sys.getrefcount(v) for v in values]

    def burst(n: int) -> None:
        for _ in range(n):
            for value in values:
                native.encode(value)
                native.key(value, hashlib.sha256, "fk1:sha256:")

    burst(200)  # warm caches (UTF-8 of str objects, the thread's buffer)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    burst(3000)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert [sys.getrefcount(v) for v in values] == counts
    assert after - before < 64 * 1024, f"grew by {after - before} bytes over 30,000 calls"


def test_threads_share_nothing(native: ModuleType) -> None:
    import hashlib

    # Large values: encoded in each thread's scratch buffer and hashed with the GIL released.
    values = [{"t": t, "blob": "y" * (5000 + 1000 * t), "rows": list(range(t * 50))} for t in range(8)]
    expected = [KeyMaker(_sha256(), 256, encoder="reference")(v) for v in values]
    errors: list[str] = []
    barrier = threading.Barrier(len(values))

    def work(index: int) -> None:
        barrier.wait()
        for _ in range(300):
            got = native.key(values[index], hashlib.sha256, "fk1:sha256:")
            if got != expected[index]:
                errors.append(f"thread {index}: {got}")
                return

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(values))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def _sha256() -> Any:
    chosen = load_hasher("sha256")
    assert chosen is not None
    return chosen


_DEV_MODE_PROGRAM = """
import json, sys, warnings
sys.path.insert(0, {root!r})
from flujo_tuning.cache_keys.maker import KeyMaker, reference_bytes
from flujo_tuning.cache_keys.native import load_native
from flujo_tuning.components.hasher import LOADERS
from tests.golden.values import VALUES
native = load_native()
assert native is not None
assert sys.flags.dev_mode
golden = json.loads(open({golden!r}).read())
sha256 = LOADERS["sha256"]().backend
maker = KeyMaker(sha256, 256)
for _ in range(20):
    for (label, value), vector in zip(VALUES, golden, strict=True):
        data = native.encode(value)
        assert data is None or data == reference_bytes(value), label
        assert maker(value) == vector["keys"]["sha256"], label
big = {{"rows": ["z" * 100] * 500}}
for _ in range(200):
    assert maker(big) == KeyMaker(sha256, 256, encoder="reference")(big)
print("ok", flush=True)
"""


def test_golden_vectors_under_python_dev_mode(native: ModuleType) -> None:
    """-X dev: debug memory allocators (PYTHONMALLOC=debug checks every PyMem block we write)."""
    program = _DEV_MODE_PROGRAM.format(
        root=str(ROOT), golden=str(ROOT / "tests" / "golden" / "fk1_vectors.json")
    )
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error", "-c", program],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout == "ok\n"


# ---------------------------------------------------------------- decision and fallback


def test_the_default_install_here_uses_the_native_encoder(native: ModuleType) -> None:
    tuning = apply()
    decision = tuning.decision("key_encoder")
    assert decision.choice == "native"
    assert decision.requested == "auto"
    assert "C encoder" in decision.reason
    assert tuning.choices["key_encoder"] == "native"


def test_stdlib_profile_keeps_keys_on_the_reference() -> None:
    decision = apply("stdlib").decision("key_encoder")
    assert (decision.requested, decision.choice) == ("reference", "reference")
    assert decision.source == "the codec setting (shipped profile 'stdlib')"


def test_without_the_native_module_msgspec_makes_the_same_keys(hide_module: Callable[..., None]) -> None:
    with_native = apply()
    keys = [with_native.cache_key(value) for _, value in VALUES]
    fingerprint = with_native.fingerprint
    flujo_tuning.reset()
    hide_module("flujo_tuning.cache_keys._fk1native")
    assert load_native() is None
    tuning = apply()
    decision = tuning.decision("key_encoder")
    assert decision.choice == "msgspec"
    assert "not built at install" in decision.reason
    assert not decision.fallback
    assert [tuning.cache_key(value) for _, value in VALUES] == keys
    assert tuning.fingerprint == fingerprint  # the encoder never changes a key


def test_an_out_of_date_native_build_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    stale = types.ModuleType("flujo_tuning.cache_keys._fk1native")
    stale.__file__ = "/old/build/_fk1native.so"
    stale.API_VERSION = 1  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "flujo_tuning.cache_keys._fk1native", stale)
    assert load_native() is None
    decision = apply().decision("key_encoder")
    assert decision.choice == "msgspec"
    assert "/old/build/_fk1native.so is out of date (reinstall to rebuild it)" in decision.reason


def test_without_any_compiled_encoder_the_reference_makes_the_keys(hide_module: Callable[..., None]) -> None:
    hide_module("flujo_tuning.cache_keys._fk1native")
    hide_module("msgspec")
    decision = apply(codec="orjson").decision("key_encoder")
    assert decision.choice == "reference"
    assert "msgspec/orjson are unavailable" in decision.reason


def test_explain_shows_the_key_encoder() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flujo_tuning", "explain", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    decisions = {d["component"]: d for d in json.loads(done.stdout)["decisions"]}
    assert decisions["key_encoder"]["choice"] in {"native", "msgspec", "reference"}


# ------------------------------------------------------------ free-threaded builds, failed loads


def test_the_module_declares_that_it_needs_the_gil() -> None:
    """Py_mod_gil is only read by 3.13+ headers; the slot must be there for the day it matters."""
    source = (ROOT / "flujo_tuning" / "cache_keys" / "_fk1native.c").read_text(encoding="utf-8")
    assert "{Py_mod_gil, Py_MOD_GIL_USED}" in source
    assert "PyModuleDef_Init(&module_def)" in source  # slots need multi-phase initialisation


def _simulate_free_threading(monkeypatch: pytest.MonkeyPatch, gil_enabled: bool) -> list[str]:
    """A free-threaded build as keys sees one; returns the modules imported meanwhile."""
    real = sysconfig.get_config_var
    monkeypatch.setattr(
        sysconfig, "get_config_var", lambda name: 1 if name == "Py_GIL_DISABLED" else real(name)
    )
    monkeypatch.setattr(sys, "_is_gil_enabled", lambda: gil_enabled, raising=False)
    monkeypatch.delitem(sys.modules, "flujo_tuning.cache_keys._fk1native", raising=False)
    imported: list[str] = []
    real_import = importlib.import_module

    def recording(name: str, package: str | None = None) -> ModuleType:
        imported.append(name)
        return real_import(name, package)

    monkeypatch.setattr(importlib, "import_module", recording)
    return imported


def test_a_free_threaded_python_never_imports_it(monkeypatch: pytest.MonkeyPatch) -> None:
    before = apply().cache_key({"a": [1, 2.5]})
    flujo_tuning.reset()
    imported = _simulate_free_threading(monkeypatch, gil_enabled=False)
    tuning = apply()
    decision = tuning.decision("key_encoder")
    assert decision.choice == "msgspec"
    assert "free-threaded" in decision.reason
    assert "turn the GIL back on for the whole process" in decision.reason
    assert "flujo_tuning.cache_keys._fk1native" not in imported
    assert "flujo_tuning.cache_keys._fk1native" not in sys.modules
    assert tuning.cache_key({"a": [1, 2.5]}) == before


def test_a_free_threaded_python_with_the_gil_on_uses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    _simulate_free_threading(monkeypatch, gil_enabled=True)  # PYTHON_GIL=1: importing changes nothing
    assert apply().decision("key_encoder").choice == "native"


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (RuntimeWarning("GIL re-enabled"), "failed to import (RuntimeWarning: GIL re-enabled)"),
        (ImportError("undefined symbol: PyFoo"), "failed to import (ImportError: undefined symbol: PyFoo)"),
        (SystemError("initialization failed"), "failed to import (SystemError: initialization failed)"),
        (
            ModuleNotFoundError("No module named 'libc_extra'", name="libc_extra"),
            "failed to import (ModuleNotFoundError: No module named 'libc_extra')",
        ),
    ],
    ids=["warning-as-error", "broken-build", "init-error", "missing-dependency"],
)
def test_every_failure_to_load_falls_back_with_its_reason(
    hide_module: Callable[..., None], error: BaseException, said: str
) -> None:
    keys = [apply().cache_key(value) for _, value in VALUES]
    flujo_tuning.reset()
    hide_module("flujo_tuning.cache_keys._fk1native", error)
    tuning = apply(strict=True)  # not a fallback of a requested backend: strict accepts it
    decision = tuning.decision("key_encoder")
    assert decision.choice == "msgspec"
    assert f"the native encoder {said}" in decision.reason
    assert [tuning.cache_key(value) for _, value in VALUES] == keys


def test_the_constants_it_shares_with_the_reference_are_equal(native: ModuleType) -> None:
    """One source per fact: the C file repeats these numbers, this test holds them to Python's."""
    from flujo_tuning.cache_keys import reference
    from flujo_tuning.cache_keys.maker import SCHEME
    from flujo_tuning.cache_keys.native import NATIVE_API

    for name in ("MAX_DEPTH", "EXT_BIG_INT", "EXT_SURROGATE_STR", "EXT_DICT"):
        assert getattr(native, name) == getattr(reference, name), name
    assert native.API_VERSION == NATIVE_API
    assert f"fk{native.SCHEME_VERSION}" == SCHEME
