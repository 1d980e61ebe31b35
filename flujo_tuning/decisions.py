"""Deprecated: ``flujo_tuning.decisions`` moved into the package's layers and is kept for one release.

Use flujo_tuning.Decision instead.
"""

from ._errors import moved

__getattr__ = moved(
    __name__, ("flujo_tuning.components.decision", "flujo_tuning.runtime.events"), "flujo_tuning.Decision"
)
