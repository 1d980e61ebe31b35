"""Cache keys: the canonical fk1 encoding (reference, native, msgspec) and the key maker."""
