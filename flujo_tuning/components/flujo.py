"""Flujo's own performance-relevant runtime settings, set through its public configuration.

Measured on real Flujo 0.6.11 (docs/benchmarks.md): what moves a run is Flujo's own
configuration (its SQLite state backend, lockfile and tracing), not our loop, codec or hasher.
Flujo reads ``FLUJO_STATE_URI`` when a runner is made and ``FLUJO_DISABLE_TRACING`` when tracing
is set up, so apply() sets them in ``os.environ``, which Flujo then reads like any other variable.

Rules: nothing is set when Flujo is not installed (the decision says so); a value the user set
for Flujo is never overwritten (the decision names it); giving up durability is never silent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .decision import Decision

__all__ = ["PINNED", "STATE_URI", "TRACING_OFF", "FlujoFacts", "OwnFile", "decide"]

STATE_URI = "FLUJO_STATE_URI"
TRACING_OFF = "FLUJO_DISABLE_TRACING"
#: The state_backend value that names Flujo's own default file explicitly.
PINNED = "pinned"


@dataclass(frozen=True)
class OwnFile:
    """The FLUJO_STATE_URI naming the SQLite file Flujo uses when none is set, found by Flujo's rules."""

    #: The URI, or None when it cannot be pinned here.
    uri: str | None
    #: Where the file is, or why it cannot be pinned.
    note: str


@dataclass(frozen=True)
class FlujoFacts:
    """What the decision depends on, gathered by the caller (components never read the environment)."""

    #: Flujo's version, or None when it is not installed.
    version: str | None
    #: The values of Flujo's variables that the user (not flujo_tuning) has set.
    user_env: Mapping[str, str] = field(default_factory=dict)
    #: Flujo's own state file here (state_backend "pinned").
    own_file: OwnFile = OwnFile(None, "not looked for")


def _wanted(state_backend: str, tracing: str, own_file: OwnFile) -> dict[str, str]:
    wanted = {}
    if state_backend == "memory":
        wanted[STATE_URI] = "memory://"
    elif state_backend == PINNED:
        if own_file.uri is not None:
            wanted[STATE_URI] = own_file.uri
    elif state_backend != "keep":
        wanted[STATE_URI] = state_backend
    if tracing == "off":
        wanted[TRACING_OFF] = "1"
    return wanted


def _consequence(name: str, value: str, own_file: OwnFile) -> str:
    if name == STATE_URI and value == own_file.uri:
        return (
            f"{name}={value}: Flujo's own state file ({own_file.note}), named so that one open backend "
            "serves every run instead of one opened and shut down per run; as durable as Flujo's "
            "default; its connections are closed before Python waits for threads at exit"
        )
    if name == STATE_URI and value == "memory://":
        return f"{name}={value}: runs are kept in memory only and cannot be resumed after a crash"
    if name == STATE_URI:
        return f"{name}={value}: Flujo's state goes to that SQLite database"
    return f"{name}={value}: Flujo records no traces"


def decide(
    state_backend: str, tracing: str, source: str, facts: FlujoFacts
) -> tuple[Decision, dict[str, str]]:
    """The decision, and the variables apply() sets (empty when there is nothing to set)."""
    requested = f"state_backend={state_backend}, tracing={tracing}"
    wanted = _wanted(state_backend, tracing, facts.own_file)
    unpinned = state_backend == PINNED and facts.own_file.uri is None
    if not wanted:
        reason = "Flujo's own state backend and tracing settings are left as they are"
        if unpinned:
            reason = f"Flujo's state file is not pinned: {facts.own_file.note}; tracing is left as it is"
        return Decision("flujo", requested, "keep", source, reason), {}
    if facts.version is None:
        would = ", ".join(f"{k}={v}" for k, v in wanted.items())
        reason = f"Flujo is not installed: nothing to set (installed, it would get {would})"
        return Decision("flujo", requested, "keep", source, reason), {}
    clauses = []
    to_set = {}
    for name, value in wanted.items():
        if name in facts.user_env:
            clauses.append(f"{name} is already set to {facts.user_env[name]!r} by the environment: kept")
        else:
            to_set[name] = value
            clauses.append(_consequence(name, value, facts.own_file))
    if unpinned:
        clauses.append(f"Flujo's state file is not pinned: {facts.own_file.note}")
    choice = ", ".join(f"{k}={v}" for k, v in to_set.items()) or "keep"
    reason = f"Flujo {facts.version}: " + "; ".join(clauses)
    return Decision("flujo", requested, choice, source, reason), to_set
