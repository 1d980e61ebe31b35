"""The package's folders are its layers, and imports only go down (DESIGN.md, docs/architecture.md):

    tools -> integrations -> runtime -> config, cache_keys -> components -> _errors

A module may import its own layer and the layers below it, never one above (type-only imports
included: a backwards type import is the first step of a cycle)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "flujo_tuning"

#: Layer of each part of the package, and what each layer may import.
LAYER_OF = {
    "_errors": "base",
    "components": "components",
    "cache_keys": "cache_keys",
    "config": "config",
    "runtime": "runtime",
    "integrations": "integrations",
    "tools": "tools",
}
MAY_IMPORT = {
    "base": {"base"},
    "components": {"base", "components"},
    "cache_keys": {"base", "components", "cache_keys"},
    "config": {"base", "config"},
    "runtime": {"base", "components", "cache_keys", "config", "runtime"},
    "integrations": {"base", "runtime", "integrations"},
    # The public face (top-level modules) and the tools sit on everything.
    "public": {"base", "components", "cache_keys", "config", "runtime", "integrations", "tools", "public"},
    "tools": {"base", "components", "cache_keys", "config", "runtime", "tools", "public"},
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "public"
    return LAYER_OF.get(parts[1], "public")


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every flujo_tuning import in *path*."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            names = [f"{target}.{alias.name}" for alias in node.names]
            # "from . import x" names a module x when there is one
            for name in names:
                candidate = PACKAGE.parent / Path(*name.split("."))
                is_module = candidate.with_suffix(".py").exists() or candidate.is_dir()
                found.append((node.lineno, name if is_module else target))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return [(line, name) for line, name in found if name.partition(".")[0] == "flujo_tuning"]


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_only_go_down(path: Path) -> None:
    layer = _layer(_module_name(path))
    wrong = [
        f"line {line}: {target} ({_layer(target)})"
        for line, target in _imports(path)
        if _layer(target) not in MAY_IMPORT[layer]
    ]
    assert wrong == [], f"{path.relative_to(PACKAGE)} is in layer {layer!r} but imports from above"


def test_the_layer_map_covers_every_folder() -> None:
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == set(LAYER_OF) - {"_errors"}


def test_no_module_is_longer_than_about_500_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE)): n
        for path in MODULES
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert long == {}


def test_the_checker_sees_a_backward_import() -> None:
    """The rule can fail: a components module importing the runtime is reported."""
    assert _layer("flujo_tuning.runtime.apply") == "runtime"
    assert "runtime" not in MAY_IMPORT[_layer("flujo_tuning.components.codec")]


def test_no_module_but_the_tunings_own_reads_its_private_fields() -> None:
    """Other modules use Tuning's public face (facts, loop_class, task_factory, ...)."""
    import re

    from flujo_tuning.runtime.tuning import Tuning

    private = [name for name in Tuning.__dataclass_fields__ if name.startswith("_")]
    pattern = re.compile(r"\.(" + "|".join(map(re.escape, private)) + r")\b")
    owner = PACKAGE / "runtime" / "tuning.py"
    readers = [
        f"{path.relative_to(PACKAGE.parent)}:{number}"
        for path in [*MODULES, *sorted((PACKAGE.parent / "tests").rglob("*.py"))]
        if path != owner and path != Path(__file__)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if pattern.search(line)
    ]
    assert private  # the check has something to look for
    assert readers == []
