"""Deprecated: ``flujo_tuning.keys`` moved into the package's layers and is kept for one release.

Use flujo_tuning.cache_key(), canonical_bytes(), register_encoder() and unregister_encoder() instead.
"""

from ._errors import moved

__getattr__ = moved(
    __name__,
    ("flujo_tuning.runtime.apply", "flujo_tuning.cache_keys.maker", "flujo_tuning.cache_keys.native"),
    "flujo_tuning.cache_key(), canonical_bytes(), register_encoder() and unregister_encoder()",
)
