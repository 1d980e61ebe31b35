"""``make demo``: apply a profile, show where each setting came from and what was decided.

The decision events are printed by structlog's default configuration (this demo configures
nothing); an application routes them wherever its own structlog set-up says.
"""

from __future__ import annotations

import asyncio
import sys

import flujo_tuning


async def _pipeline_step(tuning: flujo_tuning.Tuning) -> str:
    await asyncio.sleep(0)  # stands in for an agent call
    payload = tuning.codec.dumps({"step": "summarise", "tokens": 42})
    loop = type(asyncio.get_running_loop()).__name__
    return f"{loop} loop, {len(payload)}-byte payload, digest {tuning.hasher.hexdigest(payload)[:16]}"


def main() -> int:
    profile = sys.argv[1] if len(sys.argv) > 1 else None
    try:
        settings = flujo_tuning.resolve(profile)
        print(f"== settings for profile {settings.profile!r} (chain: {' -> '.join(settings.profile_chain)})")
        width = max(len(name) for name in settings.provenance)
        for name, value in settings.values().items():
            print(f"  {name:<{width}}  {value!s:<10}  from {settings.provenance[name]}")
        print("== apply(): one structlog event per decision")
        tuning = flujo_tuning.apply(profile)
    except flujo_tuning.ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 1
    print(f"== {tuning!r}")
    print(f"== one pipeline step under flujo_tuning.run(): {flujo_tuning.run(_pipeline_step(tuning))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
