"""The ``.env`` file: the same one Flujo loads, read by pydantic-settings' dotenv source.

``import flujo`` runs python-dotenv's ``load_dotenv()``, which copies a ``.env`` file into
``os.environ``. Without this source, whether ``FLUJO_CODEC=json`` in that file reached resolve()
would depend on whether Flujo was imported first. python-dotenv looks for the file upward from
the working directory in an interactive session, under a debugger, with ``python -c`` or in a frozen
app, and otherwise upward from the directory of the module that calls it, which for Flujo is its
own ``flujo/infra`` package directory (so a ``.env`` beside a virtual environment kept inside the
project is found). We follow the same rules without importing Flujo; without Flujo installed, we
look upward from the working directory. ``FLUJO_DOTENV`` names a file explicitly, or ``none``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic_settings import DotEnvSettingsSource, EnvSettingsSource

from .sources import Labelled, check_config_file

if TYPE_CHECKING:
    from pydantic_settings import BaseSettings

__all__ = ["DotenvSource", "find_dotenv"]


def _interactive() -> bool:
    main = sys.modules.get("__main__")
    return hasattr(sys, "ps1") or hasattr(sys, "ps2") or main is None or not hasattr(main, "__file__")


def _search_start() -> Path:
    if _interactive() or sys.gettrace() is not None or getattr(sys, "frozen", False):
        return Path.cwd()
    spec = importlib.util.find_spec("flujo")
    if spec is not None and spec.origin:
        return Path(spec.origin).parent / "infra"  # where Flujo's load_dotenv() call lives
    return Path.cwd()


def find_dotenv() -> Path | None:
    """The ``.env`` file Flujo would load here, or None."""
    start = _search_start().resolve()
    for directory in (start, *start.parents):
        candidate = directory / ".env"
        if candidate.is_file():
            return candidate
    return None


class DotenvSource(Labelled, DotEnvSettingsSource):
    """``FLUJO_*`` settings in one ``.env`` file, below the environment itself."""

    kind = "dotenv"

    def __init__(self, settings_cls: type[BaseSettings], path: Path | None) -> None:
        self.path = path.resolve() if path is not None else None
        if self.path is not None:
            check_config_file(self.path)
        super().__init__(settings_cls, env_file=self.path)
        self.label = f".env ({self.path})"
        self.provided = {}

    def variable(self, key: str) -> str:
        return f"{self.env_prefix}{key}".upper()  # env_var() of the settings, for this source's prefix

    def describe(self, key: str) -> str:
        line = self._line_of(self.variable(key))
        return f"{self.path}:{line}: {self.variable(key)}" if line else f"{self.label}: {self.variable(key)}"

    def _line_of(self, variable: str) -> int | None:
        if self.path is None:
            return None
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return None
        for number, line in enumerate(lines, start=1):
            text = line.strip().removeprefix("export ").lstrip()
            if text.upper().startswith(variable + "=") or text.upper().startswith(variable + " ="):
                return number
        return None

    def names(self) -> list[str]:
        """Every variable of the file that starts with the prefix, upper-cased."""
        prefix = self.env_prefix.lower()
        return sorted(name.upper() for name in self.env_vars if name.lower().startswith(prefix))

    def __call__(self) -> dict[str, Any]:
        # The environment source's own rule: only our fields. Flujo's variables in the same file
        # are Flujo's business (DotEnvSettingsSource would add them as extras and fail).
        return self.record(EnvSettingsSource.__call__(self))


def dotenv_path(raw: str | None) -> tuple[Path | None, bool]:
    """The file to read: FLUJO_DOTENV's (explicit) or the one Flujo would load (found)."""
    if raw is not None and raw.strip():
        if raw.strip().lower() == "none":
            return None, True
        return Path(raw.strip()), True
    return find_dotenv(), False
