"""JSON codecs: orjson, msgspec, stdlib json. ``auto`` prefers them in that order.

Every codec's ``dumps`` returns compact UTF-8 ``bytes`` and its ``loads`` accepts bytes or str.
Where backends differ (NaN, huge integers, non-str keys, UTC offsets) is documented in
docs/decisions.md and pinned by tests.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .backends import Candidate, Unavailable, choose, import_backend, module_version
from .decision import Decision

__all__ = ["AUTO_ORDER", "Codec", "decide"]

AUTO_ORDER = ("orjson", "msgspec", "json")
_PROBE = {"probe": [1, 2.5, None, True, "\u00e9"]}


@dataclass(frozen=True, eq=False)
class Codec:
    """A JSON codec: ``dumps(obj) -> bytes`` and ``loads(bytes | str)``."""

    name: str
    version: str
    dumps: Callable[[Any], bytes]
    loads: Callable[[bytes | str], Any]


def json_default(obj: Any) -> Any:
    """Encode what plain JSON lacks the same way in every backend (only called for such types)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {field.name: getattr(obj, field.name) for field in dataclasses.fields(obj)}
    if isinstance(obj, (datetime.datetime, datetime.date, datetime.time)):
        return obj.isoformat()
    if isinstance(obj, uuid.UUID):
        return str(obj)
    if isinstance(obj, enum.Enum):
        return obj.value
    model_dump = getattr(obj, "model_dump", None)  # pydantic v2 models
    if callable(model_dump):
        return model_dump(mode="json")
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def _checked(codec: Codec) -> Candidate[Codec]:
    try:
        ok = codec.loads(codec.dumps(_PROBE)) == _PROBE
    except Exception as exc:
        raise Unavailable(f"{codec.name} failed its first call ({type(exc).__name__}: {exc})") from exc
    if not ok:
        raise Unavailable(f"{codec.name} did not round-trip a probe value")
    return Candidate(codec.name, codec, f"{codec.name} {codec.version}")


def _load_orjson() -> Candidate[Codec]:
    orjson = import_backend("orjson")
    dumps = functools.partial(orjson.dumps, default=json_default)
    return _checked(Codec("orjson", module_version(orjson), dumps, orjson.loads))


def _load_msgspec() -> Candidate[Codec]:
    import_backend("msgspec")
    json = import_backend("msgspec.json")
    encoder = json.Encoder(enc_hook=json_default)
    version = module_version(import_backend("msgspec"))
    return _checked(Codec("msgspec", version, encoder.encode, json.decode))


def _load_json() -> Candidate[Codec]:
    import json
    import platform

    encoder = json.JSONEncoder(
        ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=json_default
    )

    def dumps(obj: Any) -> bytes:
        return encoder.encode(obj).encode()

    return _checked(Codec("json", f"stdlib {platform.python_version()}", dumps, json.loads))


LOADERS = {"orjson": _load_orjson, "msgspec": _load_msgspec, "json": _load_json}


def decide(requested: str, source: str, strict: bool) -> tuple[Decision, Codec]:
    return choose("codec", requested, source, AUTO_ORDER, LOADERS, strict=strict)
