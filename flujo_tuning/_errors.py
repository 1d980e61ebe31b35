"""Errors and warnings raised by flujo_tuning.

Imported by ``import flujo_tuning``, so it imports nothing at all at module level.
"""

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["ConfigError", "ConfigWarning", "did_you_mean"]


class ConfigError(ValueError):
    """A configuration problem: the message names its source (file, line and key, or variable)."""


class ConfigWarning(UserWarning):
    """A configuration problem that is tolerated outside strict mode (e.g. a likely typo)."""


def did_you_mean(word: str, candidates: "Iterable[str]") -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest candidate, or an empty string."""
    import difflib  # only error paths pay for it

    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {matches[0]!r}?)" if matches else ""
