"""What apply() decided, and the one event per decision that says so."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from ._events import emit

__all__ = ["APPLIED_EVENT", "DECISION_EVENT", "Component", "Decision", "log_decisions"]

Component = Literal[
    "event_loop", "task_factory", "codec", "hasher", "key_encoder", "buffer_size", "perf_debug", "flujo"
]

DECISION_EVENT = "flujo_tuning.decision"
APPLIED_EVENT = "flujo_tuning.applied"


@dataclass(frozen=True)
class Decision:
    """One component's outcome: what was asked, from where, what is in force, and why."""

    component: Component
    #: What the settings asked for, e.g. ``"auto"``.
    requested: str
    #: What is in force, e.g. ``"uvloop"``.
    choice: str
    #: The provenance of the setting, e.g. ``"env FLUJO_CODEC"``.
    source: str
    #: One sentence: why this choice.
    reason: str
    #: True when the choice differs from an explicit request (the request could not be honoured).
    fallback: bool = False
    #: False when apply() ran inside a running loop that differs from the choice: that loop is kept
    #: (a running loop is never swapped), so the choice applies to new loops only.
    in_effect: bool = True

    def as_event(self) -> dict[str, Any]:
        return asdict(self)


def log_decisions(decisions: Iterable[Decision]) -> None:
    for decision in decisions:
        level = "warning" if decision.fallback or not decision.in_effect else "info"
        emit(DECISION_EVENT, level, **decision.as_event())
