"""Write tests/golden/fk1_vectors.json from values.py: ``python -m tests.golden.generate``.

Run it only to add vectors: a vector that changes means keys changed, which needs a new scheme.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from flujo_tuning.cache_keys.maker import reference_bytes
from flujo_tuning.components import hasher

from .values import VALUES

PATH = Path(__file__).with_name("fk1_vectors.json")
HASHERS = ("sha256", "blake2b", "blake3", "xxh3_128")
#: Longer encodings are pinned by their length and keys only, to keep the file small.
INLINE_LIMIT = 2048


def main() -> int:
    old = {v["label"]: v for v in json.loads(PATH.read_text())} if PATH.exists() else {}
    vectors = []
    for label, value in VALUES:
        data = reference_bytes(value)
        keys = {}
        for name in HASHERS:
            chosen = hasher.LOADERS[name]().backend
            keys[name] = f"fk1:{name}:{chosen.hexdigest(data)}"
        entry: dict[str, object] = {"label": label, "length": len(data), "keys": keys}
        if len(data) <= INLINE_LIMIT:
            entry["bytes"] = data.hex()
        if label in old and old[label] != entry and "--force" not in sys.argv:
            print(f"refusing to change the vector {label!r} (pass --force if the scheme changed)")
            return 1
        vectors.append(entry)
    PATH.write_text(json.dumps(vectors, indent=1) + "\n")
    print(f"wrote {len(vectors)} vectors to {PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
