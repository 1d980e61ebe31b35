"""One output layer for every command: results on stdout; on stderr, ``warning: ...`` and
``error: ...`` lines, each problem once, and the exit codes of docs/cli.md.

A ConfigWarning raised while a command runs (a likely typo in a ``FLUJO_*`` variable, a misnamed
table) is shown as a ``warning:`` line, not as Python's ``file:line: ConfigWarning`` with a source
line of our entry point, which would mean nothing to the person who typed the command.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Iterator
from typing import Any

from .._errors import ConfigWarning

__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_PIPE",
    "EXIT_PROBLEMS",
    "EXIT_USAGE",
    "error",
    "warning",
    "warnings_as_lines",
]

#: Problems found (a configuration error, a failed check, a refused --write).
EXIT_PROBLEMS = 1
#: A usage error: an unknown command or option, a bad TARGET or value.
EXIT_USAGE = 2
#: Interrupted (Ctrl-C, SIGTERM), as if killed by SIGINT.
EXIT_INTERRUPTED = 130
#: The reader of stdout went away (``| head``), as if killed by SIGPIPE.
EXIT_PIPE = 141


def _lines(kind: str, message: str) -> str:
    """Each line of *message* prefixed with ``kind:``, except indented continuation lines (a
    traceback summary), so that every problem of a multi-line message has the same shape."""
    out = []
    for line in str(message).splitlines() or [""]:
        out.append(line if line[:1].isspace() else f"{kind}: {line}")
    return "\n".join(out)


def error(message: object) -> None:
    print(_lines("error", str(message)), file=sys.stderr)


def warning(message: object) -> None:
    print(_lines("warning", str(message)), file=sys.stderr)


@contextlib.contextmanager
def warnings_as_lines() -> Iterator[None]:
    """ConfigWarnings raised inside become ``warning:`` lines, each message once; other
    warnings keep Python's own format."""
    seen: set[str] = set()
    original = warnings.showwarning

    def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if issubclass(category, ConfigWarning):
            if str(message) not in seen:
                seen.add(str(message))
                warning(message)
            return
        original(message, category, *args, **kwargs)

    with warnings.catch_warnings():
        warnings.simplefilter("always", ConfigWarning)  # each is shown: the set above keeps it to once
        warnings.showwarning = show
        yield
