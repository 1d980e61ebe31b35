"""``make demo``: apply a profile, show where each setting came from and what was decided.

The demo is an application, so it may do what the library never does: it configures structlog to
print every event on its own console. A library user's events follow their own set-up instead
(docs/decisions.md).
"""

from __future__ import annotations

import asyncio
import sys

import structlog

import flujo_tuning


def _show_events_on_the_console() -> None:
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty()),
        ],
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
    )


def _qualified_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


async def _pipeline_step(tuning: flujo_tuning.Tuning) -> str:
    await asyncio.sleep(0)  # stands in for an agent call
    payload = tuning.codec.dumps({"step": "summarise", "tokens": 42})
    loop = _qualified_name(type(asyncio.get_running_loop()))
    return f"loop {loop}, {len(payload)}-byte payload, digest {tuning.hasher.hexdigest(payload)[:16]}"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    profile = args[0] if args else None
    _show_events_on_the_console()
    try:
        settings = flujo_tuning.resolve(profile)
        print(f"== settings for {settings.selection()}")
        width = max(len(name) for name in settings.provenance)
        for name, value in settings.values().items():
            print(f"  {name:<{width}}  {value!s:<10}  from {settings.provenance[name]}")
        print("== apply(): one event per decision")
        tuning = flujo_tuning.apply(profile)
    except flujo_tuning.ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 1
    print(f"== {tuning!r}")
    print(f"== one pipeline step under flujo_tuning.run(): {flujo_tuning.run(_pipeline_step(tuning))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
