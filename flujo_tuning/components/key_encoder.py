"""Which encoder writes the canonical bytes of cache keys: native, msgspec or reference.

Not a setting of its own: every encoder writes the same bytes (golden vectors and property tests
prove it), so the fastest one available is used, except that codec ``json`` (the stdlib profile:
nothing compiled beyond the standard library) keeps keys on the pure-Python reference.
"""

from __future__ import annotations

from ..decisions import Decision
from ..keys import KeyMaker

__all__ = ["decide"]

_REASONS = {
    "native": "flujo_tuning's C encoder (one pass: types checked while the bytes are written)",
    "msgspec": "{unavailable}: msgspec for builtin values, the reference for the rest",
    "reference": "{unavailable}, and msgspec/orjson are unavailable: the pure-Python reference",
}


def decide(key_maker: KeyMaker, codec_choice: str, codec_source: str) -> Decision:
    """The decision the KeyMaker already made (codec ``json`` built it with the reference only)."""
    if codec_choice == "json":
        reason = "codec json asks for no compiled encoder: the pure-Python reference"
        requested = "reference"
    else:
        reason = _REASONS[key_maker.encoder].format(unavailable=key_maker.unavailable)
        requested = "auto"
    return Decision("key_encoder", requested, key_maker.encoder, f"follows codec ({codec_source})", reason)
