"""The settings model and :func:`resolve`: layered sources, validated, with provenance.

Precedence, highest first: keyword arguments, ``FLUJO_*`` environment variables, the ``.env``
file Flujo would load (``config.dotenv``), the ``[tool.flujo_tuning]`` table of pyproject.toml, the
selected profile and the profiles it extends, then the defaults below.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal, get_args

from pydantic import ByteSize, Field, PrivateAttr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from .._errors import ConfigError, ConfigWarning, did_you_mean, typo_of, warn_at_caller
from .dotenv import DotenvSource, dotenv_path
from .profiles import ProfileCatalog
from .sources import ArgumentSource, FlujoEnvSource, Labelled, PyprojectSource, origin, provenance

__all__ = [
    "ENV_PREFIX",
    "MAX_BUFFER_SIZE",
    "MIN_BUFFER_SIZE",
    "ResolvedSettings",
    "accepted",
    "env_var",
    "find_pyproject",
    "profile_stack",
    "resolve",
]

EventLoopName = Literal["auto", "uvloop", "asyncio", "winloop", "rloop"]
TaskFactoryName = Literal["default", "eager"]
TaskFactoryScope = Literal["run", "process"]
CodecName = Literal["auto", "orjson", "msgspec", "json"]
HasherName = Literal["auto", "blake3", "blake2b", "sha256", "xxh3_128"]
TracingName = Literal["keep", "off"]

MIN_BUFFER_SIZE = 256
MAX_BUFFER_SIZE = 64 * 1024 * 1024

#: The prefix of our environment variables (and of Flujo's: not every FLUJO_* variable is ours).
ENV_PREFIX = "FLUJO_"


def env_var(name: str) -> str:
    """The environment variable of setting *name*: ``codec`` -> ``FLUJO_CODEC``."""
    return f"{ENV_PREFIX}{name.upper()}"


#: Environment variables read by resolve() that are not settings fields.
EXTRA_ENV_VARS = frozenset({"FLUJO_PYPROJECT", "FLUJO_DOTENV"})

_ACCEPTED_BOOLS = "true/false, 1/0, yes/no, on/off (any case)"
_ACCEPTED_STATE = "'keep', 'pinned', 'memory' (or 'memory://'), or a SQLite URI 'sqlite:///path'"
#: Value errors of ours that say more than "invalid" (shown; the others are said by "accepted").
_SPECIFIC = re.compile(r"whole number of bytes")
_ACCEPTED_PROFILE = "a profile name: shipped, in profile_dirs, or inline in [tool.flujo_tuning.profiles]"
_ACCEPTED_SIZES = f"a size from {MIN_BUFFER_SIZE} B to 64 MiB, e.g. 4096, '4KiB', '64 KB'"


class ResolvedSettings(BaseSettings):
    """Validated settings plus :attr:`provenance`: where each value came from.

    Build it with :func:`flujo_tuning.resolve`; it is immutable.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="forbid",
        frozen=True,
        env_ignore_empty=True,
        case_sensitive=False,
        validate_default=True,
    )

    profile: str = Field(
        default="default",
        description=(
            "The profile whose values fill what no higher source sets; several, separated by commas "
            "(a list in pyproject.toml or apply()), are merged left to right: the last one wins."
        ),
    )
    event_loop: EventLoopName = Field(
        default="auto",
        description=(
            "Event loop: auto picks uvloop (winloop on Windows) when available, else asyncio; rloop "
            "(experimental, not production-ready by its authors' word) only when named."
        ),
    )
    task_factory: TaskFactoryName = Field(
        default="default",
        description="Task factory: eager runs a task's first step at creation (Python 3.12+).",
    )
    task_factory_scope: TaskFactoryScope = Field(
        default="run",
        description=(
            "Which loops get the task factory: run = only loops flujo_tuning makes (flujo_tuning.run(), "
            "tuning.loop_factory, its uvicorn/gunicorn/Ray integrations, tuning.configure_loop); process = "
            "also every loop plain asyncio.run() makes (Python 3.10-3.13), those of servers and libraries "
            "you do not control included (eager tasks change what create_task does for their code too)."
        ),
    )
    codec: CodecName = Field(
        default="auto", description="JSON codec: auto prefers orjson, then msgspec, then json."
    )
    hasher: HasherName = Field(
        default="auto",
        description="Hasher for cache keys: auto picks blake3, else sha256, else blake2b (never xxh3_128).",
    )
    buffer_size: Annotated[ByteSize, Field(ge=MIN_BUFFER_SIZE, le=MAX_BUFFER_SIZE)] = Field(
        default=ByteSize(4096),
        description="Initial size of each per-thread scratch buffer (256 B to 64 MiB).",
    )
    perf_debug: bool = Field(
        default=False, description="Log one timing event per call of measured functions."
    )
    asyncio_debug: bool = Field(default=False, description="Run new event loops in asyncio debug mode.")
    strict: bool = Field(
        default=False, description="Fail instead of falling back when a requested backend is missing."
    )
    disable_uvloop: bool = Field(
        default=False,
        description="Never use uvloop or winloop, whatever the profile asks (FLUJO_DISABLE_UVLOOP).",
    )
    state_backend: str = Field(
        default="keep",
        description=(
            "Flujo's state backend (its FLUJO_STATE_URI): keep Flujo's own, pinned (Flujo's own file, "
            "named so that runners share one open backend: same file, durable, faster), memory (not "
            "durable: runs cannot be resumed after a crash), or a SQLite URI sqlite:///path."
        ),
    )
    tracing: TracingName = Field(
        default="keep", description="Flujo's tracing (its FLUJO_DISABLE_TRACING): keep Flujo's own, or off."
    )

    _provenance: Mapping[str, str] = PrivateAttr(default_factory=dict)
    _profile_chain: tuple[str, ...] = PrivateAttr(default=())
    _pyproject: Path | None = PrivateAttr(default=None)

    @field_validator("profile", mode="before")
    @classmethod
    def _one_text_for_a_stack(cls, value: Any) -> Any:
        # A stack (["throughput", "ephemeral"], or "throughput, ephemeral") reads as one text:
        # the names, merged left to right, separated by commas (what FLUJO_PROFILE takes).
        if isinstance(value, (list, tuple)) and all(isinstance(part, str) for part in value):
            return ",".join(part.strip() for part in value)
        if isinstance(value, str) and "," in value:
            return ",".join(part.strip() for part in value.split(","))
        return value

    @field_validator("*", mode="before")
    @classmethod
    def _normalise_text(cls, value: Any) -> Any:
        # Values from files and the environment are compared case-insensitively and without
        # surrounding blanks, so ``FLUJO_CODEC=" ORJSON "`` means orjson.
        if isinstance(value, str):
            return value.strip()
        return value

    @field_validator(
        "event_loop", "task_factory", "task_factory_scope", "codec", "hasher", "tracing", mode="before"
    )
    @classmethod
    def _lower_names(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @field_validator("buffer_size", mode="before")
    @classmethod
    def _whole_bytes(cls, value: Any) -> Any:
        # ByteSize drops a fraction of a byte without a word ("4096.5" -> 4096): refuse it instead,
        # reading the size with ByteSize's own pattern and unit table.
        if isinstance(value, str):
            found = ByteSize.byte_string_re.match(value)
            unit = (found.group(2) or "b").lower() if found else None
            if found and unit in ByteSize.byte_sizes:
                size = float(found.group(1)) * ByteSize.byte_sizes[unit]
                if size != int(size):
                    raise ValueError(f"not a whole number of bytes ({size:g})")
        if isinstance(value, float) and value != int(value):
            raise ValueError(f"{value!r} is not a whole number of bytes")
        return value

    @field_validator("state_backend")
    @classmethod
    def _state_backend(cls, value: str) -> str:
        lowered = value.lower()
        if lowered in ("keep", "memory", "pinned"):
            return lowered
        if lowered == "memory://":
            return "memory"
        if lowered.startswith("sqlite:///") and len(value) > len("sqlite:///"):
            return value
        raise ValueError("not a state backend")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        plan = _PLAN.get()
        if plan is None:  # constructed directly, not through resolve(): explicit values only
            return (init_settings, PyprojectSource(settings_cls, None))
        return plan

    @property
    def provenance(self) -> Mapping[str, str]:
        """Setting name -> where its value came from, e.g. ``"env FLUJO_CODEC"`` or ``"default"``."""
        return self._provenance

    @property
    def profile_chain(self) -> tuple[str, ...]:
        """The profiles whose values count, highest first: the selected profile (the last of a
        stack first), each followed by the profiles it extends that no later one does."""
        return self._profile_chain

    def selection(self) -> str:
        """What was selected, in words: ``profile 'throughput' (throughput -> default)``, or for a
        stack ``profiles throughput + ephemeral, merged left to right (values from ephemeral, then
        throughput, then default)``."""
        names = self.profile.split(",")
        if len(names) == 1:
            return f"profile {self.profile!r} ({' -> '.join(self.profile_chain)})"
        return (
            f"profiles {' + '.join(names)}, merged left to right "
            f"(values from {', then '.join(self.profile_chain)})"
        )

    def values(self) -> dict[str, Any]:
        """The settings as plain values (``buffer_size`` as an int), e.g. to pass back to resolve()."""
        return {name: getattr(self, name) for name in type(self).model_fields}

    @property
    def pyproject(self) -> Path | None:
        """The pyproject.toml these settings were read from, or None."""
        return self._pyproject

    def environ(self) -> dict[str, str]:
        """``FLUJO_*`` variables with which resolve() in another process returns these values.

        Every setting is given explicitly, so the other process's working directory and
        pyproject.toml do not matter; ``FLUJO_PYPROJECT`` names this pyproject.toml (an absolute
        path) so that a profile defined there can still be found by name.
        """
        env = {}
        for name, value in self.values().items():
            if name == "event_loop" and self.disable_uvloop and value in ("uvloop", "winloop"):
                continue  # as a variable it would contradict disable_uvloop; the profile says it
            text = str(value).lower() if isinstance(value, bool) else str(value)
            env[env_var(name)] = text
        if self._pyproject is not None:
            env["FLUJO_PYPROJECT"] = str(self._pyproject)
        return env


_PLAN: ContextVar[tuple[PydanticBaseSettingsSource, ...] | None] = ContextVar(
    "flujo_tuning_plan", default=None
)

SETTING_NAMES = tuple(ResolvedSettings.model_fields)


def find_pyproject(start: Path | None = None) -> Path | None:
    """The nearest pyproject.toml in *start* (default: the current directory) or its parents."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def accepted(name: str) -> str:
    """The values setting *name* accepts, in words: the one text used by error messages and the
    generated configuration docs."""
    annotation = ResolvedSettings.model_fields[name].annotation
    special = {"buffer_size": _ACCEPTED_SIZES, "state_backend": _ACCEPTED_STATE, "profile": _ACCEPTED_PROFILE}
    if name in special:
        return special[name]
    if annotation is bool:
        return _ACCEPTED_BOOLS
    choices = get_args(annotation)
    return "one of " + ", ".join(repr(c) for c in choices)


def _validation_message(exc: ValidationError, sources: list[Labelled]) -> str:
    problems = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "?"
        given_by = origin(sources, name)
        where = given_by.describe(name) if given_by is not None else f"setting {name!r}"
        value = error.get("input")
        hint = ""
        if isinstance(value, str) and get_args(ResolvedSettings.model_fields[name].annotation):
            hint = did_you_mean(
                value.lower(), [str(c) for c in get_args(ResolvedSettings.model_fields[name].annotation)]
            )
        # pydantic's literal_error message lists the choices, which "accepted" says once; a
        # value_error of ours says what is wrong when it knows more than "invalid" (ctx: the error).
        detail = f": {error['msg']}"
        if error["type"] == "literal_error" or (
            error["type"] == "value_error" and not _SPECIFIC.search(error["msg"])
        ):
            detail = ""
        detail = detail.replace(": Value error, ", ": ")
        problems.append(
            f"{where}: invalid value {value!r} for {name}{hint}{detail}; accepted: {accepted(name)}"
        )
    return "\n".join(problems)


def _env_near_misses(env: FlujoEnvSource | DotenvSource) -> list[str]:
    """Variables that look like a typo of one of ours (other programs' FLUJO_* names do not)."""
    known = {env.variable(name) for name in SETTING_NAMES} | EXTRA_ENV_VARS
    prefix = len(env.env_prefix)
    # Compare without the shared prefix, which would make every FLUJO_* name look alike.
    suffixes = {name[prefix:]: name for name in known}
    problems = []
    for name in env.names():
        if name in known:
            continue
        intended = typo_of(name[prefix:], suffixes)
        if intended is not None:
            where = (
                f"variable {name} in {env.path}"
                if isinstance(env, DotenvSource)
                else f"environment variable {name}"
            )
            problems.append(f"{where} is not a flujo_tuning setting (did you mean {suffixes[intended]!r}?)")
    return problems


def _report_near_misses(problems: list[str], strict: bool) -> None:
    for message in problems:
        if strict:
            raise ConfigError(message + "; strict mode makes this an error")
        warn_at_caller(message, ConfigWarning)


def _select_profile(
    arguments: ArgumentSource, env: FlujoEnvSource, dotenv: DotenvSource, pyproject: PyprojectSource
) -> tuple[list[str], str]:
    """The selected profile, or stack of profiles (merged left to right), and who selected it."""
    for source in (arguments, env, dotenv, pyproject):
        value = source().get("profile")
        if value is not None:
            where = source.describe("profile")
            return profile_stack(value, where), where
    return ["default"], "default"


def profile_stack(value: Any, where: str) -> list[str]:
    """``"throughput,ephemeral"`` or ``["throughput", "ephemeral"]`` -> the names, checked."""
    if isinstance(value, str):
        names = [part.strip() for part in value.split(",")]
    elif isinstance(value, (list, tuple)) and all(isinstance(part, str) for part in value):
        names = [part.strip() for part in value]
    else:
        raise ConfigError(f"{where}: profile must be a name or a list of names, got {value!r}")
    if not names or not all(names):
        raise ConfigError(
            f"{where}: profile must be a non-empty name, or names separated by commas, got {value!r}"
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ConfigError(f"{where}: profile {repeated[0]!r} is listed twice in {value!r}")
    return names


def _pyproject_path(
    explicit: str | os.PathLike[str] | None, env: FlujoEnvSource, given_by: str = "argument pyproject"
) -> Path | None:
    """The pyproject.toml to read: the one given (*given_by* names who gave it), FLUJO_PYPROJECT's,
    or the nearest one found; a given path that does not exist is an error naming its source."""
    found: tuple[Path, str] | None = None
    if explicit is not None:
        found = Path(explicit), given_by
    else:
        from_env = env.raw("FLUJO_PYPROJECT")
        if from_env and from_env.strip():
            found = Path(from_env.strip()), "env FLUJO_PYPROJECT"
    if found is None:
        return find_pyproject()
    path, source = found
    if not path.exists():
        raise ConfigError(f"{path}: pyproject file not found (given by {source})")
    if path.is_dir():
        raise ConfigError(
            f"{path}: is a directory, expected a pyproject.toml file (given by {source}): name the "
            f"file itself, e.g. {path / 'pyproject.toml'}"
        )
    return path


def resolve(
    profile: str | Sequence[str] | None = None,
    *,
    pyproject: str | os.PathLike[str] | None = None,
    **overrides: Any,
) -> ResolvedSettings:
    """Resolve settings from every source without applying anything.

    Raises :class:`flujo_tuning.ConfigError` naming the source of any bad value.
    """
    return resolve_labelled(profile, pyproject=pyproject, overrides=overrides)


def resolve_labelled(
    profile: str | Sequence[str] | None = None,
    *,
    pyproject: str | os.PathLike[str] | None = None,
    overrides: dict[str, Any] | None = None,
    labels: Mapping[str, str] | None = None,
) -> ResolvedSettings:
    """:func:`resolve`, where *labels* names the origin of given values (``"option --profile"``)."""
    overrides = dict(overrides or {})
    unknown = [key for key in overrides if key not in SETTING_NAMES or key == "profile"]
    if unknown:
        key = unknown[0]
        raise ConfigError(
            f"argument {key!r} is not a setting{did_you_mean(key, SETTING_NAMES)}; "
            f"accepted: profile, pyproject, {', '.join(n for n in SETTING_NAMES if n != 'profile')}"
        )
    if profile is not None:
        overrides["profile"] = profile

    arguments = ArgumentSource(ResolvedSettings, overrides, labels)
    env = FlujoEnvSource(ResolvedSettings)
    path = _pyproject_path(pyproject, env, (labels or {}).get("pyproject", "argument pyproject"))
    project = PyprojectSource(ResolvedSettings, path)
    dotenv_file, dotenv_explicit = dotenv_path(env.raw("FLUJO_DOTENV"))
    if dotenv_explicit and dotenv_file is not None and not dotenv_file.is_file():
        raise ConfigError(f"{dotenv_file}: .env file not found (given by env FLUJO_DOTENV)")
    dotenv = DotenvSource(ResolvedSettings, dotenv_file)
    env.defer_to(dotenv.env_vars)

    selected, selected_by = _select_profile(arguments, env, dotenv, project)
    chain = ProfileCatalog(ResolvedSettings, project).stack(selected, selected_by)

    sources: list[Labelled] = [arguments, env, dotenv, project, *chain]
    token = _PLAN.set((arguments, env, dotenv, project, *chain))
    try:
        settings = ResolvedSettings()
    except ValidationError as exc:
        raise ConfigError(_validation_message(exc, sources)) from None
    finally:
        _PLAN.reset(token)

    _check_disable_uvloop(settings, sources)
    near_misses = [*project.near_misses, *_env_near_misses(env), *_env_near_misses(dotenv)]
    _report_near_misses(near_misses, settings.strict)
    settings._provenance = MappingProxyType(provenance(sources, SETTING_NAMES))
    settings._profile_chain = tuple(p.name for p in chain)
    settings._pyproject = project.path
    return settings


def _check_disable_uvloop(settings: ResolvedSettings, sources: list[Labelled]) -> None:
    """An explicit uvloop/winloop request (argument, environment) contradicting disable_uvloop is an error.

    A request from a profile or pyproject.toml is simply overridden: the event-loop component
    decides that, and its Decision keeps what was asked.
    """
    if not settings.disable_uvloop or settings.event_loop not in ("uvloop", "winloop"):
        return
    asked = origin(sources, "event_loop")
    disabled = origin(sources, "disable_uvloop")
    if asked is not None and disabled is not None and asked.kind in ("argument", "env", "dotenv"):
        raise ConfigError(
            f"{asked.describe('event_loop')} asks for {settings.event_loop!r} but "
            f"{disabled.label_for('disable_uvloop')} sets disable_uvloop; remove one of them"
        )


def profile_catalog(
    pyproject: str | os.PathLike[str] | None = None, given_by: str = "argument pyproject"
) -> ProfileCatalog:
    """The profiles selectable from *pyproject* (or the one found from the current directory)."""
    env = FlujoEnvSource(ResolvedSettings)
    path = _pyproject_path(pyproject, env, given_by)
    return ProfileCatalog(ResolvedSettings, PyprojectSource(ResolvedSettings, path))
