"""Finding profiles by name and following their ``extends`` chains.

Profiles are looked up, first match wins, in: the ``profile_dirs`` of ``[tool.flujo_tuning]``
(relative to that pyproject.toml), inline ``[tool.flujo_tuning.profiles.NAME]`` tables, then the
profiles shipped with the package.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import ConfigError, did_you_mean
from .sources import ProfileSource, PyprojectSource, locate_key

if TYPE_CHECKING:
    from pydantic_settings import BaseSettings

__all__ = ["ProfileCatalog", "ProfileInfo", "shipped_profiles_dir"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
#: What a profile name may be, in words (for errors).
NAME_RULE = "letters, digits, '_', '.' and '-', starting with a letter or digit (a name, not a path)"


def valid_profile_name(name: str) -> bool:
    """Whether *name* can name a profile (a file stem in a profile folder, never a path)."""
    return bool(_NAME.match(name)) and ".." not in name


def shipped_profiles_dir() -> Path:
    """Shipped profiles: ``flujo_tuning/_profiles`` in the wheel, ``profiles/`` in a checkout."""
    package = Path(__file__).resolve().parent.parent  # flujo_tuning/
    installed = package / "_profiles"
    return installed if installed.is_dir() else package.parent / "profiles"


@dataclass(frozen=True)
class ProfileInfo:
    """What a profile is and where it is defined (for listings and ``flujo-tuning profiles``)."""

    name: str
    description: str
    extends: str | None
    origin: str
    path: Path | None


class ProfileCatalog:
    """All profiles selectable from one pyproject.toml (or none), looked up lazily and once each."""

    def __init__(self, settings_cls: type[BaseSettings], pyproject: PyprojectSource) -> None:
        self._settings_cls = settings_cls
        self._pyproject = pyproject
        self._cache: dict[str, ProfileSource | None] = {}
        self._dirs = self._profile_dirs()
        self._inline = self._inline_tables()

    def _profile_dirs(self) -> list[Path]:
        raw = self._pyproject.table.get("profile_dirs", [])
        where = self._pyproject.describe("profile_dirs")
        if isinstance(raw, str) or not isinstance(raw, list) or not all(isinstance(d, str) for d in raw):
            raise ConfigError(f"{where}: must be a list of directory paths, got {raw!r}")
        if not raw or self._pyproject.path is None:
            return []
        base = self._pyproject.path.parent
        dirs = []
        for entry in raw:
            directory = (base / entry).resolve()
            if not directory.is_dir():
                raise ConfigError(f"{where}: profile directory {entry!r} ({directory}) does not exist")
            dirs.append(directory)
        return dirs

    def _inline_tables(self) -> dict[str, Any]:
        raw = self._pyproject.table.get("profiles", {})
        if not isinstance(raw, dict):
            meant = (
                f" (did you mean 'profile', as in profile = {raw!r}? 'profiles' holds inline "
                "[tool.flujo_tuning.profiles.NAME] tables)"
                if isinstance(raw, (str, list))
                else ""
            )
            where = self._pyproject.describe("profiles")
            raise ConfigError(f"{where}: must be a table of profile tables, got {raw!r}{meant}")
        for name, table in raw.items():
            if not isinstance(table, dict):
                raise ConfigError(
                    f"{self._pyproject.describe('profiles')}: profile {name!r} must be a table, got {table!r}"
                )
        return raw

    def locations(self) -> list[str]:
        """Where profiles are looked for, in order, for error messages and listings."""
        found = [f"profile_dirs entry {d}" for d in self._dirs]
        if self._pyproject.path is not None:
            found.append(f"[tool.flujo_tuning.profiles] in {self._pyproject.path}")
        found.append(f"shipped profiles in {shipped_profiles_dir()}")
        return found

    def names(self) -> list[str]:
        """Every selectable profile name, sorted."""
        names = set(self._inline)
        for directory in [*self._dirs, shipped_profiles_dir()]:
            names.update(p.stem for p in directory.glob("*.toml"))
        return sorted(names)

    def project_names(self) -> list[str]:
        """The profiles the project itself defines (profile_dirs and inline tables), sorted."""
        names = set(self._inline)
        for directory in self._dirs:
            names.update(p.stem for p in directory.glob("*.toml"))
        return sorted(names)

    def find(self, name: str) -> ProfileSource | None:
        """The profile called *name*, or None."""
        if name not in self._cache:
            self._cache[name] = self._load(name)
        return self._cache[name]

    def _load(self, name: str) -> ProfileSource | None:
        if not valid_profile_name(name):
            return None
        for directory in self._dirs:
            path = directory / f"{name}.toml"
            if path.exists():
                return ProfileSource.from_file(self._settings_cls, name, path, str(path))
        if name in self._inline:
            table = f"tool.flujo_tuning.profiles.{name}"
            return ProfileSource(
                self._settings_cls,
                name,
                self._inline[name],
                f"pyproject.toml [{table}], {self._pyproject.path}",
                path=self._pyproject.path,
                table=table,
            )
        shipped = shipped_profiles_dir() / f"{name}.toml"
        if shipped.exists():
            # An installed user has no profiles/ folder: name the real file in listings, and
            # the short "shipped profile" in provenance.
            return ProfileSource.from_file(
                self._settings_cls, name, shipped, f"shipped ({shipped})", label=f"shipped profile {name!r}"
            )
        return None

    def get(self, name: str, wanted_by: str) -> ProfileSource:
        """The profile called *name*, or a ConfigError that lists what exists and where we looked."""
        found = self.find(name)
        if found is not None:
            return found
        available = self.names()
        raise ConfigError(
            f"unknown profile {name!r} (selected by {wanted_by}){did_you_mean(name, available)}; "
            f"available profiles: {', '.join(available)}; looked in: {'; '.join(self.locations())}"
        )

    def chain(self, name: str, wanted_by: str) -> list[ProfileSource]:
        """The profile and the ones it extends, most specific first; cycles are errors."""
        chain = [self.get(name, wanted_by)]
        while (parent_name := chain[-1].extends) is not None:
            current = chain[-1]
            names = [p.name for p in chain]
            if parent_name in names:
                loop = " -> ".join([*names, parent_name])
                raise ConfigError(f"profile 'extends' cycle: {loop} ({current.describe('extends')})")
            parent = self.find(parent_name)
            if parent is None:
                line = locate_key(current.path, "extends", current.table)
                at = f"{current.path}:{line}" if current.path and line else current.label
                raise ConfigError(
                    f"{at}: profile {current.name!r} extends {parent_name!r}, which does not exist"
                    f"{did_you_mean(parent_name, self.names())}; "
                    f"chain: {' -> '.join([*names, parent_name])}; "
                    f"available profiles: {', '.join(self.names())}"
                )
            chain.append(parent)
        return chain

    def stack(self, names: list[str], wanted_by: str) -> list[ProfileSource]:
        """Profiles merged left to right, highest priority first: the last name's chain, then the
        ones before it, each profile counted once at its first place (shared parents stay below
        every profile of the stack, so ``default`` under ``ephemeral`` cannot undo ``throughput``)."""
        if len(names) == 1:
            return self.chain(names[0], wanted_by)
        lowest_first: list[ProfileSource] = []
        for name in names:
            for profile in reversed(self.chain(name, wanted_by)):
                if all(profile.name != kept.name for kept in lowest_first):
                    lowest_first.append(profile)
        return list(reversed(lowest_first))

    def info(self, name: str) -> ProfileInfo:
        profile = self.get(name, "listing")
        return ProfileInfo(profile.name, profile.description, profile.extends, profile.origin, profile.path)
