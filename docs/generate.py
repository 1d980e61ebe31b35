"""Regenerate the parts of docs/ that come from the code, so they cannot drift from it.

``python docs/generate.py`` rewrites the blocks between ``<!-- BEGIN GENERATED: NAME -->`` and
``<!-- END GENERATED: NAME -->``; ``--check`` only reports stale blocks (exit 1). The test suite
runs the check.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

DOCS = Path(__file__).resolve().parent


def settings_table() -> str:
    """Every setting with its variable, accepted values and default: all taken from the code."""
    from flujo_tuning.config.settings import ResolvedSettings, accepted, env_var

    rows = [
        "| setting | environment variable | accepted values | default | what it does |",
        "|---|---|---|---|---|",
    ]
    for name, field in ResolvedSettings.model_fields.items():
        default = str(field.default).lower() if isinstance(field.default, bool) else field.default
        rows.append(
            f"| `{name}` | `{env_var(name)}` | {accepted(name)} | `{default}` | {field.description} |"
        )
    return "\n".join(rows)


def profiles_sections() -> str:
    from flujo_tuning import resolve
    from flujo_tuning.config.profiles import shipped_profiles_dir

    parts = []
    for path in sorted(shipped_profiles_dir().glob("*.toml")):
        settings = resolve(path.stem)
        values = ", ".join(f"`{k} = {v}`" for k, v in settings.values().items() if k != "profile")
        parts.append(
            f"### {path.stem}\n\n```toml\n{path.read_text(encoding='utf-8').strip()}\n```\n\n"
            f"Resolves to (chain {' -> '.join(settings.profile_chain)}, with no other source set): {values}."
        )
    return "\n\n".join(parts)


GENERATORS: dict[str, tuple[str, Callable[[], str]]] = {
    "settings": ("configuration.md", settings_table),
    "profiles": ("profiles.md", profiles_sections),
}


def render(name: str, text: str) -> str:
    generated = GENERATORS[name][1]()
    pattern = re.compile(rf"(<!-- BEGIN GENERATED: {name} -->).*?(<!-- END GENERATED: {name} -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"docs: no GENERATED block {name!r} in {GENERATORS[name][0]}")
    return pattern.sub(lambda m: f"{m.group(1)}\n{generated}\n{m.group(2)}", text)


def stale() -> list[str]:
    """Names of generated blocks whose text differs from what the code generates now."""
    found = []
    for name, (page, _) in GENERATORS.items():
        text = (DOCS / page).read_text(encoding="utf-8")
        if render(name, text) != text:
            found.append(f"{page}: {name}")
    return found


def main() -> int:
    if "--check" in sys.argv:
        blocks = stale()
        for block in blocks:
            print(f"stale generated block: {block} (run: python docs/generate.py)")
        return 1 if blocks else 0
    for name, (page, _) in GENERATORS.items():
        path = DOCS / page
        path.write_text(render(name, path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
