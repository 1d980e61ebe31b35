"""Ray makes its own worker processes and event loops: give every worker our tuning.

``ray.init(runtime_env=flujo_tuning.integrations.ray.runtime_env())``. The runtime_env's
``env_vars`` carry ``tuning.environ()`` (so each worker resolves the driver's settings, whatever
its working directory) and its ``worker_process_setup_hook`` applies them in every worker before it
runs anything. Ray's worker installs uvloop itself and makes async-actor loops with
``uvloop.new_event_loop()`` unless ``RAY_USE_UVLOOP=0``; we set that wherever our own loop policy
makes the loops (Python 3.10 to 3.13) or the decision is not uvloop, so async actors run on the
decided loop with the decided task factory. This module does not import Ray.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..runtime.tuning import Tuning

__all__ = ["SETUP_HOOK", "runtime_env", "setup_worker"]

#: The ``worker_process_setup_hook`` value: a module path, so nothing is pickled.
SETUP_HOOK = "flujo_tuning.integrations.ray.setup_worker"


def setup_worker() -> None:
    """Ray's worker_process_setup_hook: apply the tuning the runtime_env's variables describe.

    The worker's async-actor loops are Ray's, made with ``asyncio.new_event_loop()``: using this
    integration asks us to tune them, so they get the decided task factory too (eager tasks go only
    into loops we make or are asked to configure)."""
    from ..runtime.apply import worker_init, worker_loops_are_ours

    worker_init()
    worker_loops_are_ours()


def runtime_env(tuning: Tuning | None = None, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """A Ray ``runtime_env`` that tunes every worker like *tuning* (default: this process's, or the
    settings resolved here: nothing is applied), merged into *base* (its own ``env_vars`` kept unless
    ours name the same variable; a setup hook of its own is an error, since only one can run)."""
    from .._errors import ConfigError
    from ..runtime.apply import in_use

    tuning = tuning or in_use()
    merged: dict[str, Any] = dict(base or {})
    if merged.get("worker_process_setup_hook") not in (None, SETUP_HOOK):
        raise ConfigError(
            "runtime_env base already has a worker_process_setup_hook "
            f"({merged['worker_process_setup_hook']!r}); call flujo_tuning.integrations.ray.setup_worker() "
            "from it and pass base without the hook"
        )
    env_vars = {**dict(merged.get("env_vars") or {}), **tuning.environ()}
    if tuning.installs_policy or tuning.decision("event_loop").choice != "uvloop":
        env_vars["RAY_USE_UVLOOP"] = "0"  # else Ray's own uvloop would make the loops, not ours
    merged["env_vars"] = env_vars
    merged["worker_process_setup_hook"] = SETUP_HOOK
    return merged
