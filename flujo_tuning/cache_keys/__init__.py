"""Cache keys: the canonical fk1 encoding (reference, native, msgspec) and the key maker.

``register_encoder`` / ``unregister_encoder`` teach keys a type of yours (docs/cache-keys.md); the
keys themselves come from ``flujo_tuning.cache_key`` (the Tuning in force)."""

from .reference import register_encoder, unregister_encoder

__all__ = ["register_encoder", "unregister_encoder"]
