"""pydantic-settings sources that know where their values came from.

Every source used by :func:`flujo_tuning.resolve` records what it returned and can describe the
origin of each key, so provenance and error messages never have to guess.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic_settings import (
    EnvSettingsSource,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    TomlConfigSettingsSource,
)

from .._errors import ConfigError, did_you_mean, typo_of

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


#: A bare value TOML cannot take, such as ``buffer_size = 64KiB`` (a size, a name, a path).
_BARE_VALUE = re.compile(r"^\s*([A-Za-z_][\w-]*)\s*=\s*([^\s\"'\[{#=][^\s#]*)\s*(#.*)?$")


def _unquoted_value_hint(path: Path, line: int) -> str:
    """'; quote the value: key = "..."' when line *line* of *path* holds a bare word TOML rejects."""
    try:
        text = path.read_text(encoding="utf-8").splitlines()[line - 1]
    except (OSError, UnicodeDecodeError, IndexError):
        return ""
    found = _BARE_VALUE.match(text)
    if found is None or found.group(2) in ("true", "false") or _is_toml_number(found.group(2)):
        return ""
    return f'; quote the value: {found.group(1)} = "{found.group(2)}"'


def _is_toml_number(text: str) -> bool:
    try:
        float(text.replace("_", ""))
    except ValueError:
        return False
    return True


def read_toml(settings_cls: type[BaseSettings], path: Path) -> dict[str, Any]:
    """The whole TOML document at *path*, read by pydantic-settings' TOML source; each failure
    becomes a ConfigError naming the file (and line and column, for bad TOML).

    Only the source's public face is used (its constructor and ``toml_data``), so every
    pydantic-settings release we declare reads files the same way.
    """
    check_config_file(path)
    try:
        return dict(TomlConfigSettingsSource(settings_cls, toml_file=path).toml_data)
    except TOMLDecodeError as exc:
        found = _LINE_COLUMN.search(str(exc))
        where = f"{path}:{found.group(1)}:{found.group(2)}" if found else str(path)
        reason = _LINE_COLUMN.sub("", str(exc)).strip()
        hint = _unquoted_value_hint(path, int(found.group(1))) if found else ""
        raise ConfigError(f"{where}: invalid TOML: {reason}{hint}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid UTF-8 (byte {exc.start} is {exc.object[exc.start]:#04x})"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read file: {exc.strerror or exc}") from None


def _toml_lines(path: Path) -> Iterator[tuple[int, str | None, str | None, str]]:
    """Each line of *path* as (1-based number, table it is in, table it opens or None, text).

    TOML parsers do not report positions; this scan serves error messages only, so an unreadable
    file yields nothing."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return
    current: str | None = None
    for number, line in enumerate(lines, start=1):
        header = _TABLE_HEADER.match(line)
        opened = header.group(1).replace('"', "").replace("'", "").replace(" ", "") if header else None
        current = opened or current
        yield number, current, opened, line


def locate_key(path: Path | None, key: str, table: str | None = None) -> int | None:
    """Best-effort 1-based line of ``key = ...`` in *path*, inside ``[table]`` when given."""
    if path is None:
        return None
    pattern = re.compile(rf"^\s*([\"']?){re.escape(key)}\1\s*=")
    for number, current, opened, line in _toml_lines(path):
        if opened is None and (table is None or current == table) and pattern.match(line):
            return number
    return None


def locate_table(path: Path, table: str) -> int | None:
    """Best-effort 1-based line of the header of *table* (or of a sub-table of it) in *path*."""
    for number, _, opened, _ in _toml_lines(path):
        if opened is not None and (opened == table or opened.startswith(table + ".")):
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
        #: Snapshot names (as the parent keys them) whose value came from the .env file.
        self._from_dotenv: frozenset[str] = frozenset()

    def defer_to(self, dotenv: Mapping[str, str | None]) -> None:
        """Leave to the .env source every variable whose value equals the file's.

        ``import flujo`` copies the file into os.environ (never over a variable already set): a
        value the environment shares with the file came from the file, whatever the import order.
        """
        missing = object()
        self._from_dotenv = frozenset(
            name for name, value in self.env_vars.items() if dotenv.get(name, missing) == value
        )

    def _key(self, name: str) -> str:
        return name if self.case_sensitive else name.lower()

    def variable(self, key: str) -> str:
        return f"{self.env_prefix}{key}".upper()  # env_var() of the settings, for this source's prefix

    def label_for(self, key: str) -> str:
        return f"env {self.variable(key)}"

    def describe(self, key: str) -> str:
        return f"environment variable {self.variable(key)}"

    def raw(self, name: str) -> str | None:
        """The value of any environment variable in this source's snapshot."""
        key = self._key(name)
        return None if key in self._from_dotenv else self.env_vars.get(key)

    def names(self) -> list[str]:
        """Every variable in the snapshot that starts with the prefix, upper-cased."""
        prefix = self.env_prefix.lower()
        return sorted(
            name.upper()
            for name in self.env_vars
            if name.lower().startswith(prefix) and name not in self._from_dotenv
        )

    def __call__(self) -> dict[str, Any]:
        found = super().__call__()
        return self.record(
            {k: v for k, v in found.items() if self._key(self.variable(k)) not in self._from_dotenv}
        )


PROFILE_META_KEYS = frozenset({"description", "extends"})
PYPROJECT_META_KEYS = frozenset({"profile_dirs", "profiles"})


class PyprojectSource(LabelledSource):
    """The ``[tool.flujo_tuning]`` table of one pyproject.toml, or nothing when *path* is None.

    The file is read once, when the source is made: the whole document, so that a misnamed table
    (``[tool.flujo-tuning]``) is reported rather than silently ignored.
    """

    kind = "pyproject"

    def __init__(self, settings_cls: type[BaseSettings], path: Path | None) -> None:
        super().__init__(settings_cls)
        self.path = path.resolve() if path is not None else None
        #: Tables of this file whose names are near misses of ours, as messages (never silent).
        self.near_misses: list[str] = []
        self.table: dict[str, Any] = self._read_table(settings_cls, self.path) if self.path else {}
        self.label = f"pyproject.toml [tool.flujo_tuning] ({self.path})"
        allowed = set(settings_cls.model_fields) | PYPROJECT_META_KEYS
        check_keys(self.table, allowed, "[tool.flujo_tuning]", self.path, "tool.flujo_tuning")
        self._inner = InitSettingsSource(
            settings_cls, {k: v for k, v in self.table.items() if k not in PYPROJECT_META_KEYS}
        )

    def _read_table(self, settings_cls: type[BaseSettings], path: Path) -> dict[str, Any]:
        document = read_toml(settings_cls, path)
        tool = document.get("tool", {})
        if not isinstance(tool, dict):
            raise ConfigError(f"{path}: 'tool' must be a table, got {type(tool).__name__}")
        self.near_misses = [_misnamed_table(path, name) for name in tool if _is_misnamed(name)]
        table = tool.get("flujo_tuning", {})
        if not isinstance(table, dict):
            line = locate_key(path, "flujo_tuning", "tool")
            at = f"{path}:{line}" if line else str(path)
            raise ConfigError(
                f"{at}: [tool.flujo_tuning] must be a table, got {type(table).__name__} {table!r}"
            )
        return table

    def describe(self, key: str) -> str:
        line = locate_key(self.path, key, "tool.flujo_tuning")
        return f"{self.path}:{line} key {key!r}" if line else f"{self.path} [tool.flujo_tuning] key {key!r}"

    def __call__(self) -> dict[str, Any]:
        return self.record(self._inner())


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
        return cls(settings_cls, name, read_toml(settings_cls, path), origin, path=path, label=label)

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
