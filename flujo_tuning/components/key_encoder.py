"""Which encoder writes the canonical bytes of cache keys: native, msgspec or reference.

Not a setting of its own: every encoder writes the same bytes (golden vectors and property tests
prove it), so the fastest one available is used, except that codec ``json`` (the stdlib profile:
nothing compiled beyond the standard library) keeps keys on the pure-Python reference.
"""

from __future__ import annotations

from ..decisions import Decision
from ..keys import KeyEncoder, available_encoder

__all__ = ["decide"]


def decide(codec_choice: str, codec_source: str) -> tuple[Decision, KeyEncoder]:
    allow_compiled = codec_choice != "json"
    encoder, reason = available_encoder(allow_compiled)
    requested = "auto" if allow_compiled else "reference"
    return Decision("key_encoder", requested, encoder, f"follows codec ({codec_source})", reason), encoder
