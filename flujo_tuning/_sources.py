"""pydantic-settings sources that know where their values came from.

Every source used by :func:`flujo_tuning.resolve` records what it returned and can describe the
origin of each key, so provenance and error messages never have to guess.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic_settings import (
    EnvSettingsSource,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    PyprojectTomlConfigSettingsSource,
    TomlConfigSettingsSource,
)

from ._errors import ConfigError, did_you_mean, typo_of

if TYPE_CHECKING:
    from pydantic_settings import BaseSettings

if sys.version_info >= (3, 11):
    from tomllib import TOMLDecodeError
else:  # pragma: no cover - exercised on Python 3.10 only
    from tomli import TOMLDecodeError

#: Configuration files larger than this are refused before parsing: no real profile is this big,
#: and parsing a huge file would stall process start-up.
MAX_CONFIG_BYTES = 1024 * 1024

_LINE_COLUMN = re.compile(r"\(at line (\d+), column (\d+)\)")
_TABLE_HEADER = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+")


def check_config_file(path: Path) -> None:
    """Refuse a configuration path that is missing, a directory or too large, naming it."""
    try:
        if path.is_dir():
            raise ConfigError(f"{path}: is a directory, expected a TOML file")
        size = path.stat().st_size
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read file: {exc.strerror or exc}") from None
    if size > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{path}: file is {size} bytes; configuration files are limited to "
            f"{MAX_CONFIG_BYTES} bytes (1 MiB)"
        )


def read_toml_checked(path: Path, reader: Callable[[Path], dict[str, Any]]) -> dict[str, Any]:
    """Run a pydantic-settings TOML reader on *path*, turning each failure into a ConfigError."""
    check_config_file(path)
    try:
        return reader(path)
    except TOMLDecodeError as exc:
        found = _LINE_COLUMN.search(str(exc))
        where = f"{path}:{found.group(1)}:{found.group(2)}" if found else str(path)
        reason = _LINE_COLUMN.sub("", str(exc)).strip()
        raise ConfigError(f"{where}: invalid TOML: {reason}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid UTF-8 (byte {exc.start} is {exc.object[exc.start]:#04x})"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read file: {exc.strerror or exc}") from None


def locate_key(path: Path | None, key: str, table: str | None = None) -> int | None:
    """Best-effort 1-based line of ``key = ...`` in *path*, inside ``[table]`` when given.

    TOML parsers do not report positions of keys; this scan only serves error messages.
    """
    if path is None:
        return None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    pattern = re.compile(rf"^\s*([\"']?){re.escape(key)}\1\s*=")
    current: str | None = None
    for number, line in enumerate(lines, start=1):
        header = _TABLE_HEADER.match(line)
        if header:
            current = header.group(1).replace('"', "").replace("'", "").replace(" ", "")
            continue
        if (table is None or current == table) and pattern.match(line):
            return number
    return None


SourceKind = Literal["argument", "env", "dotenv", "pyproject", "profile"]


class Labelled:
    """What every source of ours adds to its pydantic-settings parent: a kind, a record of what it
    provided, and the origin of each key for provenance and error messages."""

    #: Which layer this is; rules that depend on the layer test this, never the label's text.
    kind: ClassVar[SourceKind]
    #: Human-readable provenance, e.g. ``"env FLUJO_CODEC"``; see :meth:`label_for`.
    label: str = "unknown"
    #: What the last call returned (empty before it).
    provided: dict[str, Any]

    def label_for(self, key: str) -> str:
        """Provenance string for *key*."""
        return self.label

    def describe(self, key: str) -> str:
        """Where *key* was written, for error messages."""
        return f"{self.label}: key {key!r}"

    def record(self, data: dict[str, Any]) -> dict[str, Any]:
        self.provided = dict(data)
        return data


class LabelledSource(Labelled, PydanticBaseSettingsSource):
    """A source of ours made from values it holds (arguments, a profile table)."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        self.provided = {}

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        # Not used: every subclass overrides __call__.
        return None, field_name, False  # pragma: no cover


def origin(sources: Iterable[Labelled], key: str) -> Labelled | None:
    """The highest-precedence source that provided *key* (sources are given highest first)."""
    return next((source for source in sources if key in source.provided), None)


def provenance(sources: Iterable[Labelled], keys: Iterable[str]) -> dict[str, str]:
    """Key -> the label of the source whose value won, or ``"default"``."""
    ordered = list(sources)
    found = {key: origin(ordered, key) for key in keys}
    return {key: source.label_for(key) if source else "default" for key, source in found.items()}


def check_keys(
    data: Mapping[str, Any],
    allowed: Iterable[str],
    where: str,
    path: Path | None = None,
    table: str | None = None,
) -> None:
    """Raise ConfigError for the first key of *data* not in *allowed*, with a suggestion."""
    allowed = sorted(allowed)
    for key in data:
        if key not in allowed:
            line = locate_key(path, key, table)
            at = f"{path}:{line}" if path is not None and line else where
            raise ConfigError(
                f"{at}: unknown key {key!r} in {where}{did_you_mean(key, allowed)}; "
                f"accepted keys: {', '.join(allowed)}"
            )


class ArgumentSource(LabelledSource):
    """Keyword arguments given to resolve()/apply(), or a command's options (*labels*)."""

    kind = "argument"
    label = "argument"

    def __init__(
        self,
        settings_cls: type[BaseSettings],
        values: Mapping[str, Any],
        labels: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(settings_cls)
        self._inner = InitSettingsSource(settings_cls, dict(values))
        #: Per-key provenance for values that came from somewhere more specific, e.g. a CLI option.
        self._labels = dict(labels or {})

    def label_for(self, key: str) -> str:
        return self._labels.get(key, self.label)

    def describe(self, key: str) -> str:
        return self._labels.get(key, f"argument {key}")

    def __call__(self) -> dict[str, Any]:
        return self.record(self._inner())


class FlujoEnvSource(Labelled, EnvSettingsSource):
    """``FLUJO_*`` environment variables, read once when the source is made."""

    kind = "env"

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        self.provided = {}

    def variable(self, key: str) -> str:
        return f"{self.env_prefix}{key}".upper()

    def label_for(self, key: str) -> str:
        return f"env {self.variable(key)}"

    def describe(self, key: str) -> str:
        return f"environment variable {self.variable(key)}"

    def raw(self, name: str) -> str | None:
        """The value of any environment variable in this source's snapshot."""
        value = self.env_vars.get(name if self.case_sensitive else name.lower())
        return value

    def names(self) -> list[str]:
        """Every variable in the snapshot that starts with the prefix, upper-cased."""
        prefix = self.env_prefix.lower()
        return sorted(name.upper() for name in self.env_vars if name.lower().startswith(prefix))

    def __call__(self) -> dict[str, Any]:
        return self.record(super().__call__())


PROFILE_META_KEYS = frozenset({"description", "extends"})
PYPROJECT_META_KEYS = frozenset({"profile_dirs", "profiles"})


class PyprojectSource(Labelled, PyprojectTomlConfigSettingsSource):
    """The ``[tool.flujo_tuning]`` table of one pyproject.toml, or nothing when *path* is None."""

    kind = "pyproject"

    def __init__(self, settings_cls: type[BaseSettings], path: Path | None) -> None:
        self.path = path.resolve() if path is not None else None
        #: Tables of this file whose names are near misses of ours, as messages (never silent).
        self.near_misses: list[str] = []
        if self.path is not None:
            check_config_file(self.path)
        super().__init__(settings_cls, toml_file=self.path)
        self.table: dict[str, Any] = dict(self.toml_data)
        self.label = f"pyproject.toml [tool.flujo_tuning] ({self.path})"
        self.provided = {}
        allowed = set(settings_cls.model_fields) | PYPROJECT_META_KEYS
        check_keys(self.table, allowed, "[tool.flujo_tuning]", self.path, "tool.flujo_tuning")

    def _read_files(self, files: Any, deep_merge: bool = False) -> dict[str, Any]:
        # Without a path the parent would look in the current directory; we already searched.
        return {} if self.path is None else super()._read_files(files, deep_merge)

    def _read_file(self, file_path: Path | Any) -> dict[str, Any]:
        document = read_toml_checked(Path(file_path), super()._read_file)
        tool = document.get("tool", {})
        if not isinstance(tool, dict):
            raise ConfigError(f"{file_path}: 'tool' must be a table, got {type(tool).__name__}")
        self.near_misses = [_misnamed_table(Path(file_path), name) for name in tool if _is_misnamed(name)]
        table = tool.get("flujo_tuning", {})
        if not isinstance(table, dict):
            line = locate_key(Path(file_path), "flujo_tuning", "tool")
            at = f"{file_path}:{line}" if line else str(file_path)
            raise ConfigError(
                f"{at}: [tool.flujo_tuning] must be a table, got {type(table).__name__} {table!r}"
            )
        return document

    def describe(self, key: str) -> str:
        line = locate_key(self.path, key, "tool.flujo_tuning")
        return f"{self.path}:{line} key {key!r}" if line else f"{self.path} [tool.flujo_tuning] key {key!r}"

    def __call__(self) -> dict[str, Any]:
        return self.record({k: v for k, v in super().__call__().items() if k not in PYPROJECT_META_KEYS})


def _is_misnamed(name: str) -> bool:
    """``flujo-tuning``, ``FlujoTuning``, ``flujo_tunning``... but not ours, nor ``flujo`` itself."""
    if name == "flujo_tuning":
        return False
    folded = name.lower().replace("-", "_").replace(".", "_").replace(" ", "_")
    return folded in ("flujo_tuning", "flujotuning") or typo_of(folded, ["flujo_tuning"]) is not None


def _misnamed_table(path: Path, name: str) -> str:
    line = locate_table(path, f"tool.{name}")
    at = f"{path}:{line}" if line else str(path)
    return f"{at}: table [tool.{name}] is not read by flujo_tuning (did you mean [tool.flujo_tuning]?)"


def locate_table(path: Path, table: str) -> int | None:
    """Best-effort 1-based line of the header of *table* (or of a sub-table of it) in *path*."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for number, line in enumerate(lines, start=1):
        header = _TABLE_HEADER.match(line)
        if header:
            name = header.group(1).replace('"', "").replace("'", "").replace(" ", "")
            if name == table or name.startswith(table + "."):
                return number
    return None


class ProfileSource(LabelledSource):
    """One profile: a TOML file or an inline ``[tool.flujo_tuning.profiles.NAME]`` table.

    The file is read once, when the source is made, so resolution sees one consistent snapshot.
    """

    kind = "profile"

    def __init__(
        self,
        settings_cls: type[BaseSettings],
        name: str,
        data: Mapping[str, Any],
        origin: str,
        *,
        path: Path | None = None,
        table: str | None = None,
        label: str | None = None,
    ) -> None:
        super().__init__(settings_cls)
        self.name = name
        self.origin = origin
        self.path = path
        self.table = table
        self.label = label or f"profile {name!r} ({origin})"
        self.raw: dict[str, Any] = dict(data)
        allowed = (set(settings_cls.model_fields) - {"profile"}) | PROFILE_META_KEYS
        check_keys(self.raw, allowed, f"profile {name!r}", path, table)
        self.description = self._meta_str("description") or ""
        self.extends = self._meta_str("extends")
        self._inner = InitSettingsSource(
            settings_cls, {k: v for k, v in self.raw.items() if k not in PROFILE_META_KEYS}
        )

    @classmethod
    def from_file(
        cls, settings_cls: type[BaseSettings], name: str, path: Path, origin: str, label: str | None = None
    ) -> ProfileSource:
        reader = _ProfileFileReader(settings_cls, path)
        return cls(settings_cls, name, reader.toml_data, origin, path=path, label=label)

    def _meta_str(self, key: str) -> str | None:
        value = self.raw.get(key)
        if value is None or isinstance(value, str):
            return value
        raise ConfigError(f"{self.describe(key)}: must be a string, got {type(value).__name__} {value!r}")

    def describe(self, key: str) -> str:
        line = locate_key(self.path, key, self.table)
        if self.path is not None and line:
            return f"{self.path}:{line} key {key!r} (profile {self.name!r})"
        return f"{self.label}: key {key!r}"

    def __call__(self) -> dict[str, Any]:
        return self.record(self._inner())


class _ProfileFileReader(TomlConfigSettingsSource):
    """Reads one profile file with pydantic-settings' TOML source, errors mapped to ConfigError."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path) -> None:
        check_config_file(path)
        super().__init__(settings_cls, toml_file=path)

    def _read_file(self, file_path: Path | Any) -> dict[str, Any]:
        return read_toml_checked(Path(file_path), super()._read_file)
