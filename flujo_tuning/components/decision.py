"""What a component decided: the vocabulary every layer above speaks."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

__all__ = ["COMPONENTS", "Component", "Decision"]

Component = Literal[
    "event_loop", "task_factory", "codec", "hasher", "key_encoder", "buffer_size", "perf_debug", "flujo"
]

#: Every component, in the order apply() decides and logs them (the one list: derived from the type).
COMPONENTS: tuple[Component, ...] = get_args(Component)


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
