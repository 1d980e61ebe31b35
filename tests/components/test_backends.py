"""Each optional backend's oldest tested release: declared once, enforced at run time, and the
same floor pyproject.toml declares (the floors CI leg installs exactly those releases)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from flujo_tuning import ConfigError, apply, reset
from flujo_tuning.components.backends import TESTED_MINIMUM, release

ROOT = Path(__file__).resolve().parents[2]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: backend -> (setting, value that asks for it, the version attribute it reports)
REQUESTS = {
    "uvloop": ("event_loop", "uvloop", "__version__"),
    "rloop": ("event_loop", "rloop", "__version__"),
    "orjson": ("codec", "orjson", "__version__"),
    "msgspec": ("codec", "msgspec", "__version__"),
    "blake3": ("hasher", "blake3", "__version__"),
    "xxhash": ("hasher", "xxh3_128", "VERSION"),
}


def _older(minimum: str) -> str:
    """A release just below *minimum* (``0.18.6`` -> ``0.18.5``, ``0.19`` -> ``0.18.99``)."""
    parts = list(release(minimum) or ())
    while parts and parts[-1] == 0:
        parts.pop()
    if parts[-1] > 0 and len(parts) > 2:
        parts[-1] -= 1
        return ".".join(map(str, parts))
    parts[-1] -= 1
    return ".".join(map(str, [*parts, 99]))


def test_every_backend_we_probe_has_a_tested_minimum() -> None:
    assert set(REQUESTS) | {"winloop"} == set(TESTED_MINIMUM)


@pytest.mark.parametrize("backend", sorted(REQUESTS))
def test_an_older_backend_falls_back_naming_both_versions(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = pytest.importorskip(backend)
    setting, value, attribute = REQUESTS[backend]
    old = _older(TESTED_MINIMUM[backend])
    monkeypatch.setattr(module, attribute, old)
    decision = apply(**{setting: value}).decision(setting)  # type: ignore[arg-type]
    assert decision.fallback is True
    assert decision.choice != value
    assert decision.reason.startswith(f"{backend} {old} is older than the tested {TESTED_MINIMUM[backend]}")


@pytest.mark.parametrize("backend", sorted(REQUESTS))
def test_strict_mode_refuses_an_older_backend(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    module = pytest.importorskip(backend)
    setting, value, attribute = REQUESTS[backend]
    old = _older(TESTED_MINIMUM[backend])
    monkeypatch.setattr(module, attribute, old)
    with pytest.raises(ConfigError, match=rf"{backend} {old} is older than the tested"):
        apply(strict=True, **{setting: value})


@pytest.mark.parametrize("version", ["minimum", "newer", "unparsable"])
def test_the_minimum_itself_a_newer_one_and_an_unknown_one_are_used(
    version: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import orjson

    given = {"minimum": TESTED_MINIMUM["orjson"], "newer": "99.0", "unparsable": "dev"}[version]
    monkeypatch.setattr(orjson, "__version__", given)
    decision = apply(codec="orjson", strict=True).decision("codec")
    assert (decision.choice, decision.fallback) == ("orjson", False)
    assert f"orjson {given}" in decision.reason


def test_an_old_msgspec_also_leaves_cache_keys_to_other_encoders(monkeypatch: pytest.MonkeyPatch) -> None:
    import msgspec

    expected = apply(codec="orjson").cache_key({"a": [1, 2]})
    reset()  # the same settings again would return the same Tuning
    monkeypatch.setattr(msgspec, "__version__", "0.18.5")  # no Encoder(order=...) before 0.18.6
    monkeypatch.setitem(sys.modules, "flujo_tuning.cache_keys._fk1native", None)
    tuning = apply(codec="orjson")
    assert tuning.decision("key_encoder").choice == "reference"
    assert tuning.cache_key({"a": [1, 2]}) == expected


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("0.19.0", (0, 19)), ("0.19", (0, 19)), ("3.10.7", (3, 10, 7)), ("0.21.0rc1", (0, 21)), ("x", None)],
)
def test_release_reads_the_numeric_part(text: str, parsed: tuple[int, ...] | None) -> None:
    assert release(text) == parsed


def _declared_floors() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    texts = [
        *project["dependencies"],
        *(t for extra in project["optional-dependencies"].values() for t in extra),
    ]
    floors: dict[str, str] = {}
    for text in texts:
        requirement = Requirement(text)
        for spec in requirement.specifier:
            if spec.operator == ">=":
                floors.setdefault(requirement.name, spec.version)
                assert floors[requirement.name] == spec.version, f"{requirement.name}: two floors"
    return floors


def test_pyproject_declares_exactly_the_tested_minimums() -> None:
    declared = _declared_floors()
    assert {name: declared[name] for name in TESTED_MINIMUM} == dict(TESTED_MINIMUM)


def test_the_decisions_page_lists_every_tested_minimum() -> None:
    page = (ROOT / "docs" / "decisions.md").read_text(encoding="utf-8")
    for backend, minimum in TESTED_MINIMUM.items():
        assert f"| {backend} | {minimum} |" in page


def _floors_script() -> object:
    spec = importlib.util.spec_from_file_location("floors", ROOT / ".ci" / "floors.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_floors_leg_pins_every_declared_floor() -> None:
    floors = _floors_script().floors(["xxhash", "server", "plot", "ray"])  # type: ignore[attr-defined]
    declared = _declared_floors()
    library = {"pydantic", "pydantic-settings", "structlog", "rich", "orjson", "msgspec", "blake3", "tomlkit"}
    extras = {"xxhash", "uvicorn", "uvicorn-worker", "gunicorn", "matplotlib", "ray"}
    assert library | extras | {"uvloop"} <= set(floors)
    assert {name: floors[name] for name in floors} == {name: declared[name] for name in floors}
    assert "pytest" not in floors  # test tools are not pinned: the floors are the library's
    assert ("tomli" in floors) == (sys.version_info < (3, 11))


def test_the_floors_script_refuses_an_unknown_extra() -> None:
    with pytest.raises(SystemExit, match="no extra 'servers'"):
        _floors_script().floors(["servers"])  # type: ignore[attr-defined]
