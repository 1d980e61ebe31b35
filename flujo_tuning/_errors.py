"""Errors and warnings raised by flujo_tuning.

Imported by ``import flujo_tuning``, so it imports nothing at all at module level.
"""

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["ConfigError", "ConfigWarning", "FlujoTuningError", "did_you_mean", "warn_at_caller"]


class FlujoTuningError(Exception):
    """The base of every error flujo_tuning raises on purpose: ``except FlujoTuningError`` catches
    them all (a bug of ours still surfaces as what it is)."""


class ConfigError(FlujoTuningError, ValueError):
    """A configuration problem: the message names its source (file, line and key, or variable)."""


class ConfigWarning(UserWarning):
    """A configuration problem that is tolerated outside strict mode (e.g. a likely typo)."""


# Tracebacks and reprs show the public name users import, not this private module.
FlujoTuningError.__module__ = ConfigError.__module__ = ConfigWarning.__module__ = "flujo_tuning"

_PACKAGE_DIR: "str | None" = None


def _package_dir() -> str:
    global _PACKAGE_DIR  # noqa: PLW0603 - computed once, never changes
    if _PACKAGE_DIR is None:
        import os

        _PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
    return _PACKAGE_DIR


def warn_at_caller(message: str, category: "type[Warning]" = ConfigWarning) -> None:
    """Warn at the first frame outside flujo_tuning: the user's line that called us."""
    import sys
    import warnings

    package = _package_dir()
    level = 2  # 1 would be this function, 2 its caller
    frame = sys._getframe(1)
    # Our frames, and the import machinery's when a module of ours warns while being imported.
    while frame is not None and frame.f_code.co_filename.startswith((package, "<frozen importlib")):
        name = frame.f_code.co_filename
        if not ("importlib" in name and "_bootstrap" in name):  # warnings skips those by itself
            level += 1
        frame = frame.f_back  # type: ignore[assignment]
    warnings.warn(message, category, stacklevel=level)


def did_you_mean(word: str, candidates: "Iterable[str]") -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest candidate, or an empty string."""
    import difflib  # only error paths pay for it

    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


def edit_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance: insertions, deletions, substitutions, transpositions."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        row = [i]
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            best = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                best = min(best, previous2[j - 2] + 1)
            row.append(best)
        previous2, previous = previous, row
    return previous[-1]


def typo_of(word: str, candidates: "Iterable[str]", separator: str = "_") -> "str | None":
    """The candidate *word* is a near miss of, or None.

    A near miss has the same shape: one or two edits away (one for names of five characters or
    fewer). A name that adds whole words to one of ours (``STRICT_DSL`` for ``STRICT``) is another
    program's name, not a typo.
    """
    best: tuple[int, str] | None = None
    for candidate in candidates:
        if word == candidate:
            return None
        if word.startswith(candidate + separator) or word.endswith(separator + candidate):
            continue
        allowed = 1 if len(candidate) <= 5 else 2
        distance = edit_distance(word, candidate)
        if distance <= allowed and (best is None or distance < best[0]):
            best = (distance, candidate)
    return best[1] if best else None
