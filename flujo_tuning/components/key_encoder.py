"""Which encoder writes the canonical bytes of cache keys: native, msgspec or reference.

Not a setting of its own: every encoder writes the same bytes (golden vectors and property tests
prove it), so the fastest one available is used, except that codec ``json`` (the stdlib profile:
nothing compiled beyond the standard library) keeps keys on the pure-Python reference.
"""

from __future__ import annotations

from .decision import Decision

__all__ = ["decide"]

_REASONS = {
    "native": "flujo_tuning's C encoder (one pass: types checked while the bytes are written)",
    "msgspec": "{unavailable}: msgspec for builtin values, the reference for the rest",
    "reference": "{unavailable}, and msgspec/orjson are unavailable: the pure-Python reference",
}


def decide(encoder: str, unavailable: str, codec_choice: str, codec_source: str) -> Decision:
    """The decision the key maker already made: *encoder* is the one it uses, *unavailable* why a
    faster one is not (codec ``json`` built it with the reference only)."""
    if codec_choice == "json":
        reason = "codec json asks for no compiled encoder: the pure-Python reference"
        requested = "reference"
    else:
        reason = _REASONS[encoder].format(unavailable=unavailable)
        requested = "auto"
    return Decision("key_encoder", requested, encoder, f"the codec setting ({codec_source})", reason)
