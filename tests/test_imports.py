"""``import flujo_tuning`` is cheap and has no side effects."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import pytest

import flujo_tuning

_PROBE = """
import json, sys, asyncio, logging
before = set(sys.modules)
policy_before = asyncio.events._event_loop_policy
handlers_before = list(logging.getLogger().handlers)
import flujo_tuning
print(json.dumps({
    "new": sorted(set(sys.modules) - before),
    "policy_untouched": asyncio.events._event_loop_policy is policy_before,
    "logging_untouched": logging.getLogger().handlers == handlers_before,
}))
"""


def _probe() -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", _PROBE], check=True, capture_output=True, text=True)
    result: dict[str, object] = json.loads(out.stdout)
    return result


def test_import_loads_only_our_light_modules() -> None:
    new = _probe()["new"]
    assert isinstance(new, list)
    # Allow-list, not deny-list: anything heavy (pydantic, structlog, uvloop, orjson...) fails it.
    assert set(new) <= {"flujo_tuning", "flujo_tuning._errors"}
    assert "flujo_tuning" in new


def test_import_touches_neither_event_loop_policy_nor_logging() -> None:
    result = _probe()
    assert result["policy_untouched"] is True
    assert result["logging_untouched"] is True


def test_public_api_is_exactly_all() -> None:
    # What users can reach once every public name is loaded: no more, no less than __all__.
    import inspect

    for name in flujo_tuning.__all__:
        assert getattr(flujo_tuning, name) is not None
    reachable = {
        name
        for name, value in vars(flujo_tuning).items()
        if not name.startswith("_") and (not inspect.ismodule(value) or name in flujo_tuning.__all__)
    }
    assert reachable == set(flujo_tuning.__all__)
    assert set(flujo_tuning.__all__) <= set(dir(flujo_tuning))
    assert not hasattr(flujo_tuning, "TYPE_CHECKING")


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="does_not_exist"):
        flujo_tuning.does_not_exist  # noqa: B018


def test_public_functions_are_not_shadowed_by_submodules() -> None:
    import importlib
    import pkgutil

    for module in pkgutil.walk_packages(flujo_tuning.__path__, "flujo_tuning."):
        if module.name.endswith(("demo", "__main__")):
            continue
        with warnings.catch_warnings():  # the moved modules warn (tests/test_moved_modules.py)
            warnings.simplefilter("ignore", DeprecationWarning)
            importlib.import_module(module.name)
    assert callable(flujo_tuning.apply)
    assert callable(flujo_tuning.resolve)
    assert callable(flujo_tuning.cache_key)
    assert flujo_tuning.perf.__name__ == "flujo_tuning.perf"
