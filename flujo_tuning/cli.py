"""The ``flujo-tuning`` command's entry point (``flujo_tuning.cli:main``, named in pyproject.toml and
in deploy scripts): a promise kept whatever moves inside the package."""

from .tools.cli import main

__all__ = ["main"]
