"""``python -m flujo_tuning.bench``: the same as ``flujo-tuning bench`` (a path users type)."""

from .tools.bench import main

__all__ = ["main"]

if __name__ == "__main__":
    raise SystemExit(main())
