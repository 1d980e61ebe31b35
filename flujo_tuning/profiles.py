"""Deprecated: ``flujo_tuning.profiles`` moved into the package's layers and is kept for one release.

Use the flujo-tuning profiles command, or resolve(profile) instead.
"""

from ._errors import moved

__getattr__ = moved(
    __name__, ("flujo_tuning.config.profiles",), "the flujo-tuning profiles command, or resolve(profile)"
)
