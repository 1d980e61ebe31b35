"""``import flujo_tuning`` is cheap and has no side effects."""

from __future__ import annotations

import json
import subprocess
import sys

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
    public = {name for name in dir(flujo_tuning) if not name.startswith("_")}
    assert public == set(flujo_tuning.__all__)
    for name in flujo_tuning.__all__:
        assert getattr(flujo_tuning, name) is not None


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="does_not_exist"):
        flujo_tuning.does_not_exist  # noqa: B018


def test_public_functions_are_not_shadowed_by_submodules() -> None:
    import importlib
    import pkgutil

    for module in pkgutil.walk_packages(flujo_tuning.__path__, "flujo_tuning."):
        if not module.name.endswith(("_demo", "__main__")):
            importlib.import_module(module.name)
    assert callable(flujo_tuning.apply)
    assert callable(flujo_tuning.resolve)
    assert callable(flujo_tuning.cache_key)
    assert flujo_tuning.perf.__name__ == "flujo_tuning.perf"
