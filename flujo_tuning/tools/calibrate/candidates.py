"""The candidates calibrate measures: profiles, and with ``search`` one component changed at a time."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast, get_args

from .report import CalibrationError, CandidateResult

#: Where a pyproject.toml may be named (None: FLUJO_PYPROJECT's, else the nearest one).
PathLike = str | os.PathLike[str] | None

if TYPE_CHECKING:
    from ...components.decision import Component

#: The components ``search`` varies, one at a time.
SEARCHED = ("event_loop", "task_factory", "codec", "hasher", "buffer_size")
#: Buffer sizes ``search`` tries.
SEARCHED_BUFFER_SIZES = ("1KiB", "64KiB", "1MiB")
#: Profiles measured only when named: ``debug`` runs asyncio's debug mode (measured 30x slower),
#: it is for finding problems, and one slow candidate makes every round long.
NOT_BY_DEFAULT = frozenset({"debug"})
#: Never chosen by a search: not collision-resistant (see docs/decisions.md, hasher).
NOT_SEARCHED = frozenset({"xxh3_128"})

#: What a written profile records: the settings that tune (not strict or disable_uvloop, which are
#: operational switches of a deployment, not measured choices).
RECORDED = (
    "event_loop",
    "task_factory",
    "task_factory_scope",
    "codec",
    "hasher",
    "buffer_size",
    "perf_debug",
    "asyncio_debug",
)
RECORDED_FLUJO = ("state_backend", "tracing")


def _settings_values(settings: Any) -> dict[str, Any]:
    values = settings.values()
    return {k: (int(values[k]) if k == "buffer_size" else values[k]) for k in RECORDED + RECORDED_FLUJO}


def gives_up(settings: Mapping[str, Any]) -> list[str]:
    """What these settings trade for speed, in words (empty: nothing)."""
    lost = []
    if settings.get("state_backend") == "memory":
        lost.append("crash recovery (Flujo's state is kept in memory: runs cannot be resumed after a crash)")
    if settings.get("tracing") == "off":
        lost.append("Flujo's tracing (no traces are recorded)")
    return lost


@dataclass
class Planned:
    """A candidate before measuring: its result (filled as it runs), the variables its worker gets,
    and what it would run here (two candidates with the same ``runs`` are the same candidate)."""

    result: CandidateResult
    environ: dict[str, str] = field(default_factory=dict)
    runs: tuple[tuple[str, str], ...] = ()
    reasons: dict[str, str] = field(default_factory=dict)


def _candidate(name: str, profile: str, overrides: dict[str, str], pyproject: PathLike) -> Planned:
    from ..._errors import ConfigError
    from ...config.settings import resolve
    from ...runtime.apply import preview_settings

    result = CandidateResult(name, profile, dict(overrides))
    try:
        settings = resolve(profile, pyproject=pyproject, **overrides)
    except ConfigError as exc:
        result.stage, result.error = "settings", str(exc)
        return Planned(result)
    try:
        decided = preview_settings(settings)  # what apply() would do in the candidate's process
    except ConfigError as exc:
        result.stage, result.error = "apply", str(exc)
        return Planned(result)
    result.settings = _settings_values(settings)
    result.sources = {key: settings.provenance[key] for key in result.settings}
    result.gives_up = gives_up(result.settings)
    runs = (*sorted(decided.choices.items()), ("asyncio_debug", str(settings.asyncio_debug)))
    reasons: dict[str, str] = {d.component: d.reason for d in decided.decisions}
    return Planned(result, settings.environ(), runs, reasons)


def _search_variations(
    current: str, pyproject: PathLike = None, experimental: bool = False
) -> list[tuple[str, dict[str, str]]]:
    """The current profile with one component changed, where that changes what runs here
    (experimental loops only when asked for)."""
    from ...components.event_loop import EXPERIMENTAL
    from ...config.settings import ResolvedSettings
    from ...runtime.apply import preview

    base = preview(current, pyproject=pyproject)
    variations: list[tuple[str, dict[str, str]]] = []
    for component in SEARCHED:
        if component == "buffer_size":
            options: Sequence[str] = SEARCHED_BUFFER_SIZES
        else:
            options = [
                v for v in get_args(ResolvedSettings.model_fields[component].annotation) if v != "auto"
            ]
        for value in options:
            if value in NOT_SEARCHED or (value in EXPERIMENTAL and not experimental):
                continue
            try:
                varied = preview(current, pyproject=pyproject, **{component: value})
            except Exception:  # a value this machine cannot take is no candidate
                continue
            decision = varied.decision(cast("Component", component))
            if decision.fallback or decision.choice == base.decision(cast("Component", component)).choice:
                continue
            variations.append((f"{current}+{component}={value}", {component: value}))
    return variations


def check_profile_names(names: Sequence[str], pyproject: PathLike) -> None:
    """Refuse an unknown profile before anything is measured, with a did-you-mean."""
    from ..._errors import did_you_mean
    from ...config.settings import profile_catalog

    known = profile_catalog(pyproject).names()
    for name in names:
        if name not in known:
            raise CalibrationError(
                f"--profiles: unknown profile {name!r}{did_you_mean(name, known)}; "
                f"available: {', '.join(known)}"
            )


def _candidates(
    current: str,
    profiles: Sequence[str] | None,
    search: bool,
    pyproject: PathLike = None,
    *,
    experimental: bool = False,
) -> list[Planned]:
    """Every candidate, the current profile and ``stdlib`` first (the references of the ratios);
    a candidate that runs exactly what an earlier one runs is marked ``same_as`` it."""
    from ...config.settings import profile_catalog

    if profiles:
        check_profile_names(profiles, pyproject)
    names = (
        list(profiles)
        if profiles
        else [n for n in profile_catalog(pyproject).names() if n not in NOT_BY_DEFAULT]
    )
    names = list(dict.fromkeys([current, "stdlib", *names]))
    chosen: list[tuple[str, str, dict[str, str]]] = [(name, name, {}) for name in names]
    if search:
        chosen += [
            (name, current, overrides)
            for name, overrides in _search_variations(current, pyproject, experimental)
        ]
    planned = [_candidate(name, profile, overrides, pyproject) for name, profile, overrides in chosen]
    first: dict[tuple[tuple[str, str], ...], Planned] = {}
    for candidate in planned:
        if candidate.result.failed:
            continue
        earlier = first.setdefault(candidate.runs, candidate)
        if earlier is not candidate:
            candidate.result.same_as = earlier.result.name
            candidate.result.same_because = _why_same(earlier, candidate)
    return planned


#: How the A/A control is named: the current profile, measured a second time.
CONTROL_SUFFIX = " (A/A control)"


def with_control(planned: list[Planned]) -> list[Planned]:
    """*planned*, plus the current profile (the first) again as its A/A control: a process of its
    own, measured in the same rounds, so the report knows how much one configuration differs from
    itself in this session (what a winner must beat)."""
    current = planned[0] if planned else None
    if current is None or current.result.failed:
        return planned
    result = CandidateResult(
        current.result.name + CONTROL_SUFFIX,
        current.result.profile,
        dict(current.result.overrides),
        settings=dict(current.result.settings),
        sources=dict(current.result.sources),
        gives_up=list(current.result.gives_up),
        control=True,
    )
    return [*planned, Planned(result, dict(current.environ), current.runs, dict(current.reasons))]


def _why_same(earlier: Planned, later: Planned) -> str:
    """Why two candidates run the same here: the settings that differ, and what decides them."""
    a, b = earlier.result.settings, later.result.settings
    differ = [key for key in b if a.get(key) != b.get(key)]
    if not differ:
        return "the same settings"
    because = ""
    if set(differ) <= set(RECORDED_FLUJO):
        because = f": {later.reasons.get('flujo', '')}"
    verb = "differs" if len(differ) == 1 else "differ"
    return f"{', '.join(differ)} {verb} but decide nothing on this machine{because}"
