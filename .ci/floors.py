"""Pin every dependency pyproject.toml declares to its floor, so the floors can be tested.

    python .ci/floors.py EXTRA[,EXTRA...]           constraints (name==floor) on stdout, for pip -c
    python .ci/floors.py --check EXTRA[,EXTRA...]   exit 1 unless each is installed at its floor

Covers the core dependencies and the named extras, for the running Python and platform (markers
evaluated here). A requirement without a lower bound (``opentelemetry-api<1.44``) has no floor and
is left to pip. Needs ``packaging`` (the parser pip itself uses).
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def floors(extras: list[str], pyproject: Path = PYPROJECT) -> dict[str, str]:
    """Distribution name -> the lowest version its requirements allow (``>=`` or ``==``)."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    optional = project.get("optional-dependencies", {})
    unknown = [extra for extra in extras if extra not in optional]
    if unknown:
        raise SystemExit(f"floors: no extra {unknown[0]!r} in {pyproject}; extras: {', '.join(optional)}")
    texts = [*project["dependencies"], *(text for extra in extras for text in optional[extra])]
    found: dict[str, str] = {}
    for text in texts:
        requirement = Requirement(text)
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        lowest = [spec.version for spec in requirement.specifier if spec.operator in (">=", "==")]
        if not lowest:
            continue
        name = canonicalize_name(requirement.name)
        floor = max(lowest, key=Version)
        if name in found and Version(found[name]) != Version(floor):
            raise SystemExit(f"floors: {name} is declared with two floors, {found[name]} and {floor}")
        found[name] = floor
    return found


def mismatches(wanted: dict[str, str]) -> list[str]:
    """Each pinned distribution not installed at exactly its floor."""
    problems = []
    for name, floor in sorted(wanted.items()):
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            problems.append(f"{name}: not installed (floor {floor})")
            continue
        if Version(installed) != Version(floor):
            problems.append(f"{name}: {installed} installed, floor {floor}")
    return problems


def main(argv: list[str]) -> int:
    check = "--check" in argv
    words = [word for word in argv if word != "--check"]
    extras = [extra for word in words for extra in word.split(",") if extra]
    wanted = floors(extras)
    if check:
        problems = mismatches(wanted)
        for problem in problems:
            print(f"floors: {problem}", file=sys.stderr)
        if not problems:
            listed = ", ".join(f"{name} {floor}" for name, floor in sorted(wanted.items()))
            print(f"floors: installed at their floors: {listed}", file=sys.stderr)
        return 1 if problems else 0
    for name, floor in sorted(wanted.items()):
        print(f"{name}=={floor}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
