"""The candidates calibrate measures: profiles, and with ``search`` one component changed at a time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast, get_args

if TYPE_CHECKING:
    from ...components.decision import Component
from .report import CandidateResult

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
RECORDED = ("event_loop", "task_factory", "codec", "hasher", "buffer_size", "perf_debug", "asyncio_debug")
RECORDED_FLUJO = ("state_backend", "tracing")


def _settings_values(settings: Any) -> dict[str, Any]:
    values = settings.values()
    return {k: (int(values[k]) if k == "buffer_size" else values[k]) for k in RECORDED + RECORDED_FLUJO}


def _candidate(name: str, profile: str, overrides: dict[str, str]) -> tuple[CandidateResult, dict[str, str]]:
    from ..._errors import ConfigError
    from ...config.settings import resolve

    result = CandidateResult(name, profile, dict(overrides))
    try:
        settings = resolve(profile, **overrides)
    except ConfigError as exc:
        result.stage, result.error = "settings", str(exc)
        return result, {}
    result.settings = _settings_values(settings)
    return result, settings.environ()


def _search_variations(current: str) -> list[tuple[str, dict[str, str]]]:
    """The current profile with one component changed, where that changes what runs here."""
    from ...config.settings import ResolvedSettings
    from ...runtime.apply import preview

    base = preview(current)
    variations: list[tuple[str, dict[str, str]]] = []
    for component in SEARCHED:
        if component == "buffer_size":
            options: Sequence[str] = SEARCHED_BUFFER_SIZES
        else:
            options = [
                v for v in get_args(ResolvedSettings.model_fields[component].annotation) if v != "auto"
            ]
        for value in options:
            if value in NOT_SEARCHED:
                continue
            try:
                varied = preview(current, **{component: value})
            except Exception:  # a value this machine cannot take is no candidate
                continue
            decision = varied.decision(cast("Component", component))
            if decision.fallback or decision.choice == base.decision(cast("Component", component)).choice:
                continue
            variations.append((f"{current}+{component}={value}", {component: value}))
    return variations


def _candidates(
    current: str, profiles: Sequence[str] | None, search: bool
) -> list[tuple[CandidateResult, dict[str, str]]]:
    from ...config.settings import profile_catalog

    names = list(profiles) if profiles else [n for n in profile_catalog().names() if n not in NOT_BY_DEFAULT]
    for required in (current, "stdlib"):  # the two every ratio is taken against
        if required not in names:
            names.insert(0, required)
    chosen: list[tuple[str, str, dict[str, str]]] = [(name, name, {}) for name in dict.fromkeys(names)]
    if search:
        chosen += [(name, current, overrides) for name, overrides in _search_variations(current)]
    return [_candidate(name, profile, overrides) for name, profile, overrides in chosen]
