"""``python -m flujo_tuning``: the same as the ``flujo-tuning`` command."""

from .tools.cli import main

raise SystemExit(main())
