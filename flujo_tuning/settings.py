"""Deprecated: ``flujo_tuning.settings`` moved into the package's layers and is kept for one release.

Use flujo_tuning.resolve() and flujo_tuning.ResolvedSettings instead.
"""

from ._errors import moved

__getattr__ = moved(
    __name__, ("flujo_tuning.config.settings",), "flujo_tuning.resolve() and flujo_tuning.ResolvedSettings"
)
