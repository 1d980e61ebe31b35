"""Flujo's own performance-relevant runtime settings, set through its public configuration.

Measured on real Flujo 0.6.11 (docs/flujo.md): what moves a run is Flujo's own configuration (its
SQLite state backend and tracing), not our loop, codec or hasher. Flujo reads ``FLUJO_STATE_URI``
when a runner is made and ``FLUJO_DISABLE_TRACING`` when tracing is set up, and has no public
in-process setting for either, so a profile that changes them sets them in ``os.environ``, where
child processes inherit them: only profiles that ask for it do (``default`` sets nothing).

Rules: nothing is set when Flujo is not installed (the decision says so); a value the user set
for Flujo is never overwritten (the decision names it); giving up durability is never silent; the
pin and the exit fix are made only for Flujo versions they were tested with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .decision import Decision

__all__ = [
    "CLOSE_AT_EXIT",
    "PINNED",
    "STATE_URI",
    "TESTED_VERSIONS",
    "TRACING_OFF",
    "FlujoFacts",
    "FlujoPlan",
    "OwnFile",
    "decide",
]

STATE_URI = "FLUJO_STATE_URI"
TRACING_OFF = "FLUJO_DISABLE_TRACING"
#: The state_backend value that names Flujo's own default file explicitly.
PINNED = "pinned"
#: The Flujo releases the pin and the exit fix were tested with (tests/hosts/test_real_flujo.py).
TESTED_VERSIONS = ("0.6.11",)
#: The word in a decision's choice saying that Flujo's SQLite state is closed at exit.
CLOSE_AT_EXIT = "close_at_exit"


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
    #: The state_uri Flujo's own flujo.toml sets, and that file (Flujo's rules), or None.
    toml_uri: tuple[str, str] | None = None
    #: Whether this Python can run code before it waits for threads at exit.
    can_close_at_exit: bool = True


@dataclass(frozen=True)
class FlujoPlan:
    """What installing does for Flujo: the variables to set, and whether its state is closed at exit."""

    variables: Mapping[str, str] = field(default_factory=dict)
    close_at_exit: bool = False


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
            "default"
        )
    if name == STATE_URI and value == "memory://":
        return f"{name}={value}: runs are kept in memory only and cannot be resumed after a crash"
    if name == STATE_URI:
        return f"{name}={value}: Flujo's state goes to that SQLite database"
    return f"{name}={value}: Flujo records no traces"


def _inherited(to_set: Mapping[str, str]) -> str:
    names = " and ".join(to_set)
    clause = f"child processes inherit {names} from os.environ"
    if to_set.get(STATE_URI, "").lower().startswith("sqlite"):
        clause += " (a child that runs Flujo must call apply() or worker_init to exit by itself)"
    return clause


def _explicit_sqlite(to_set: Mapping[str, str], facts: FlujoFacts) -> tuple[str, str] | None:
    """The explicit SQLite state URI Flujo will use, and who set it (Flujo's precedence: environment
    first, then its flujo.toml), or None."""
    if STATE_URI in to_set:
        found: tuple[str, str] | None = (to_set[STATE_URI], "this decision")
    elif STATE_URI in facts.user_env:
        found = (facts.user_env[STATE_URI], "the environment")
    elif facts.toml_uri is not None:
        found = (facts.toml_uri[0], facts.toml_uri[1])
    else:
        found = None
    if found is None or not found[0].lower().startswith("sqlite"):
        return None
    return found


def _exit_clause(explicit: tuple[str, str], facts: FlujoFacts, tested: bool) -> tuple[bool, str]:
    uri, where = explicit
    if not tested:
        return False, (
            f"the explicit SQLite URI {uri} (from {where}) keeps Flujo 0.6.11 from exiting (a thread it "
            f"never closes); flujo_tuning closes it only for the Flujo versions it was tested with "
            f"({', '.join(TESTED_VERSIONS)}), not {facts.version}"
        )
    if not facts.can_close_at_exit:
        return False, (
            f"the explicit SQLite URI {uri} (from {where}) keeps Flujo from exiting, and this Python "
            "cannot close it before it waits for threads at exit"
        )
    return True, (
        f"{CLOSE_AT_EXIT}: with the explicit SQLite URI {uri} (from {where}) Flujo {facts.version} "
        "leaves a thread that keeps the process from exiting, so its SQLite state is closed before "
        "Python waits for threads at exit (Flujo's own shutdown_all)"
    )


def decide(state_backend: str, tracing: str, source: str, facts: FlujoFacts) -> tuple[Decision, FlujoPlan]:
    """The decision, and what installing does for Flujo (nothing when there is nothing to do)."""
    requested = f"state_backend={state_backend}, tracing={tracing}"
    tested = facts.version in TESTED_VERSIONS
    own_file = facts.own_file
    if state_backend == PINNED and facts.version is not None and not tested:
        own_file = OwnFile(
            None,
            f"Flujo {facts.version} is not a version the pin was tested with ({', '.join(TESTED_VERSIONS)})",
        )
    wanted = _wanted(state_backend, tracing, own_file)
    unpinned = state_backend == PINNED and own_file.uri is None
    # Nothing to set: said plainly, unless the user's own SQLite URI still needs the exit fix.
    if not wanted and (facts.version is None or _explicit_sqlite({}, facts) is None):
        reason = "Flujo's own state backend and tracing settings are left as they are"
        if unpinned:
            reason = f"Flujo's state file is not pinned: {own_file.note}; tracing is left as it is"
        return Decision("flujo", requested, "keep", source, reason), FlujoPlan()
    if facts.version is None:
        would = ", ".join(f"{k}={v}" for k, v in wanted.items())
        reason = f"Flujo is not installed: nothing to set (installed, it would get {would})"
        return Decision("flujo", requested, "keep", source, reason), FlujoPlan()
    clauses = []
    to_set = {}
    for name, value in wanted.items():
        if name in facts.user_env:
            clauses.append(f"{name} is already set to {facts.user_env[name]!r} by the environment: kept")
        else:
            to_set[name] = value
            clauses.append(_consequence(name, value, own_file))
    if unpinned:
        clauses.append(f"Flujo's state file is not pinned: {own_file.note}")
    if to_set:
        clauses.append(_inherited(to_set))
    if not clauses:
        clauses.append("Flujo's own state backend and tracing settings are left as they are")
    close = False
    explicit = _explicit_sqlite(to_set, facts)
    if explicit is not None:
        close, clause = _exit_clause(explicit, facts, tested)
        clauses.append(clause)
    words = [f"{k}={v}" for k, v in to_set.items()] or ["keep"]
    if close:
        words.append(CLOSE_AT_EXIT)
    reason = f"Flujo {facts.version}: " + "; ".join(clauses)
    return Decision("flujo", requested, ", ".join(words), source, reason), FlujoPlan(to_set, close)
