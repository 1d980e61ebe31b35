"""One module per tunable component: its candidates, their probes, and a ``decide(...)`` that
returns a :class:`~flujo_tuning.components.decision.Decision` and the chosen backend.

Each ``decide`` takes only what it needs (a requested name, its source, strict, the platform), never
the settings object or the environment: components sit below configuration. Loading, version
checks and the fallback rule are shared (``backends.choose``); adding a backend means one loader
here, a line in a profile if it should be chosen, tests and a doc line.
"""
