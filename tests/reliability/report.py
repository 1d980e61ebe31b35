"""Render docs/reliability.md from the reliability suite's ledger: ``make reliability``.

Usage: ``python -m tests.reliability.report LEDGER.json docs/reliability.md``. Byte identity across
Pythons is checked here, in every interpreter of ``.ci-venvs/`` (made by ``.ci/run``) plus this one.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "fk1_vectors.json"

_IDENTITY_PROBE = """
import json, sys
sys.path.insert(0, {root!r})
from tests.golden.values import VALUES
from flujo_tuning.cache_keys.maker import accelerated_bytes, reference_bytes
golden = json.load(open({golden!r}))
same = fast_same = fast_used = 0
for (label, value), vector in zip(VALUES, golden):
    data = reference_bytes(value)
    same += ("bytes" not in vector or data.hex() == vector["bytes"]) and len(data) == vector["length"]
    fast = accelerated_bytes(value)
    if fast is not None:
        fast_used += 1
        fast_same += fast == data
print(json.dumps({{"python": sys.version.split()[0], "vectors": len(golden), "same": same,
                  "fast_used": fast_used, "fast_same": fast_same}}))
"""


def _interpreters() -> list[str]:
    found = [sys.executable]
    for venv in sorted((ROOT / ".ci-venvs").glob("py*/bin/python")):
        found.append(str(venv))
    return found


def cross_python_identity() -> list[dict[str, object]]:
    code = _IDENTITY_PROBE.format(root=str(ROOT), golden=str(ROOT / "tests" / "golden" / "fk1_vectors.json"))
    results = []
    for python in _interpreters():
        run = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False, cwd=ROOT)
        if run.returncode == 0:
            results.append(json.loads(run.stdout.strip().splitlines()[-1]))
        else:
            results.append({"python": python, "error": run.stderr.strip().splitlines()[-1:]})
    unique = {json.dumps(r, sort_keys=True): r for r in results}
    return sorted(unique.values(), key=lambda r: str(r.get("python")))


def render(ledger: dict[str, object], identity: list[dict[str, object]]) -> str:
    faults: dict[str, dict[str, str]] = ledger["faults"]  # type: ignore[assignment]
    counters: dict[str, int] = ledger["counters"]  # type: ignore[assignment]
    maxima: dict[str, int] = ledger["maxima"]  # type: ignore[assignment]
    outcomes = Counter(f["outcome"] for f in faults.values())
    handled = sum(outcomes[o] for o in ("error", "fallback", "snapshot"))
    lines = [
        "# Reliability",
        "",
        "A tuning library runs first in every process: it must never be the confusing reason a service",
        "fails to start, and never silently do something other than what it reports. `tests/reliability/`",
        "(part of `make test`) exercises faults, bad input, concurrency and platforms; this page is generated",
        "from its ledger by `make reliability` (never typed by hand).",
        "",
        f"Generated with Python {platform.python_version()} on {sys.platform}; suite exit status "
        f"{ledger.get('exitstatus')}.",
        "",
        "## Figures",
        "",
        "| what | figure | goal |",
        "|---|---|---|",
        f"| distinct fault cases exercised | {len(faults)} | |",
        f"| ... ended with a clear error naming the source | {outcomes['error']} | |",
        f"| ... ended with a logged fallback (the decision names what is used and why) | {outcomes['fallback']} | |",
        f"| ... applied one consistent snapshot of a file that changed underneath | {outcomes['snapshot']} | |",
        f"| fault cases handled (error, fallback or snapshot) | {handled} of {len(faults)} | all |",
        f"| cache-key collisions found | {counters.get('cache-key collisions', 0)} in "
        f"{counters.get('cache-key pairs compared', 0):,} hypothesis pairs | 0 |",
        f"| random values encoded by the msgspec fast path and by the reference (any difference fails the suite) | "
        f"{counters.get('fast-path encodings compared with the reference', 0):,} compared | all identical |",
        f"| golden vectors identical with msgspec, orjson, blake3 and xxhash hidden | "
        f"{counters.get('golden vectors identical without optional packages', 0)} of {counters.get('golden vectors', 0)} | 100% |",
        f"| largest number of concurrent `apply()` callers with one consistent result | "
        f"{maxima.get('concurrent apply() callers with one consistent result', 0)} | |",
        f"| random pyproject.toml tables / texts, random profile files, random FLUJO_* environments: "
        f"only resolved or ConfigError | {counters.get('random pyproject.toml tables', 0)} / "
        f"{counters.get('random pyproject.toml texts', 0)} / {counters.get('random profile files (bytes)', 0)} / "
        f"{counters.get('random FLUJO_* environments', 0)} | no other exception, no hang |",
        "",
        "## Byte identity of the canonical encoding across Pythons",
        "",
        f"The {len(json.loads(GOLDEN.read_text()))} golden values encoded by the reference implementation in each interpreter found (this",
        "one and those of `.ci-venvs/`, made by `.ci/run`), compared with `tests/golden/fk1_vectors.json`;",
        "and where the msgspec fast path applies, compared with the reference.",
        "",
        "| Python | vectors identical | fast path used / identical |",
        "|---|---|---|",
    ]
    for row in identity:
        if "error" in row:
            lines.append(f"| {row['python']} | could not run: {row['error']} | |")
        else:
            lines.append(
                f"| {row['python']} | {row['same']} of {row['vectors']} | {row['fast_used']} / {row['fast_same']} |"
            )
    lines += [
        "",
        "## Fault cases",
        "",
        "| case | outcome | what the user sees |",
        "|---|---|---|",
    ]
    for name, entry in sorted(faults.items()):
        detail = entry["detail"].replace("|", "\\|").replace("\n", " ")
        if len(detail) > 160:
            detail = detail[:157] + "..."
        lines.append(f"| {name} | {entry['outcome']} | `{detail}` |")
    lines += [
        "",
        "## Environment values",
        "",
        'Values are read with surrounding blanks removed; names are case-insensitive (`FLUJO_CODEC=" ORJSON "`',
        "means orjson); booleans accept `true/false`, `1/0`, `yes/no`, `on/off` in any case (`True`, `YES`,",
        "`Off`); an empty value (`FLUJO_CODEC=`) counts as unset. Anything else is a ConfigError naming the",
        "variable, the value and the accepted values. Tests: `tests/config/test_settings.py`.",
        "",
        "## Also covered",
        "",
        "- A failed `apply()` (any ConfigError, or a missing backend in strict mode) leaves the previous `Tuning`",
        "  current and the event-loop policy object untouched (every error case above asserts both).",
        "- Every fallback case asserts the decision matches what is in use: the loop made by `loop_factory`,",
        "  the codec's output, the hasher's digest.",
        "- `apply()` inside a running loop (kept, and the reason says so), from a non-main thread, from 8, 32 and",
        "  64 threads at once, again in a forked child (the same Tuning), in a `multiprocessing` spawn child (the",
        "  same fingerprint), under nest_asyncio (asyncio kept, nested runs work), under three `PYTHONHASHSEED`s",
        "  (the same fingerprint and keys).",
        "- The whole suite runs with every warning turned into an error (`filterwarnings = error`) on",
        "  Python 3.10 to 3.13 in CI.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m tests.reliability.report LEDGER.json OUTPUT.md", file=sys.stderr)
        return 2
    ledger = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    Path(argv[1]).write_text(render(ledger, cross_python_identity()), encoding="utf-8")
    print(f"wrote {argv[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
