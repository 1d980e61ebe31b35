"""``make demo``: resolve the selected profile and show every setting with its source."""

from __future__ import annotations

import sys

import flujo_tuning


def main() -> int:
    profile = sys.argv[1] if len(sys.argv) > 1 else None
    try:
        settings = flujo_tuning.resolve(profile)
    except flujo_tuning.ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 1
    print(f"profile {settings.profile!r} (chain: {' -> '.join(settings.profile_chain)})")
    width = max(len(name) for name in settings.provenance)
    for name, value in settings.values().items():
        print(f"  {name:<{width}}  {value!s:<10}  from {settings.provenance[name]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
