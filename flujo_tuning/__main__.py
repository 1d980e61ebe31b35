"""``python -m flujo_tuning``: the same as the ``flujo-tuning`` command."""

from .cli import main

raise SystemExit(main())
