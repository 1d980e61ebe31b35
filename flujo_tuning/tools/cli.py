"""The ``flujo-tuning`` command: see what the library would do here, and why.

Exit codes: 0 success; 1 a configuration error or problems found (the messages name file, line
and key, or the variable); 2 a usage error; 130 interrupted (Ctrl-C); 141 the reader of stdout went
away (``| head``). Output goes to stdout, errors and warnings to stderr. Colour only on a
terminal, never with ``NO_COLOR``. Heavy modules are imported inside the commands so that
``flujo-tuning --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any, cast

from .. import __version__
from .._errors import ConfigError
from .output import EXIT_INTERRUPTED, EXIT_PIPE, EXIT_PROBLEMS, error, warning, warnings_as_lines

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from ..config.profiles import ProfileCatalog
    from ..config.settings import ResolvedSettings
    from ..runtime.tuning import Tuning

__all__ = ["main"]

EXAMPLES = """\
examples:
  flujo-tuning explain                      what this project's profile resolves to and decides here
  flujo-tuning explain --profile throughput --json
  FLUJO_CODEC=json flujo-tuning explain     see an environment variable win, and say so
  flujo-tuning profiles                     every selectable profile and where it is defined
  flujo-tuning check --strict               validate the profiles this project selects or defines (CI)
  flujo-tuning diff default throughput      only what differs between two profiles
  flujo-tuning fingerprint --json           compare machines of a fleet before a deploy
  flujo-tuning env --format dotenv          the resolved settings as variables for a worker
  flujo-tuning bench --quick --markdown     the three scenarios per profile, as a Markdown table
  flujo-tuning calibrate app:run_once       measure your own workload under each profile, pick one

exit codes: 0 success, 1 configuration error or problems found, 2 usage error,
130 interrupted (Ctrl-C), 141 stdout closed by its reader (| head)
"""

ENVIRONMENT = """environment:
  FLUJO_PROFILE, FLUJO_<SETTING>  settings, above pyproject.toml and profiles (docs/configuration.md)
  FLUJO_PYPROJECT                 the pyproject.toml to read (--pyproject wins over it)
  FLUJO_DOTENV                    the .env file to read, or none
  NO_COLOR                        no colour, even on a terminal
"""


class _TrimmedLines:
    """A text stream that drops the spaces rich pads table lines with (piped output is plain text)."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.pending = ""

    def write(self, text: str) -> int:
        *lines, self.pending = (self.pending + text).split("\n")
        for line in lines:
            self.stream.write(line.rstrip() + "\n")
        return len(text)

    def flush(self) -> None:
        if self.pending:
            self.stream.write(self.pending.rstrip())
            self.pending = ""
        self.stream.flush()

    def isatty(self) -> bool:
        return False


def _console(stream: Any = None) -> Console:
    from rich.console import Console

    tty = (stream or sys.stdout).isatty()
    no_color = "NO_COLOR" in os.environ or not tty
    # Piped output is for grep and scripts: never wrap a cell across lines there, never pad one.
    return Console(
        file=stream or sys.stdout if tty else cast("IO[str]", _TrimmedLines(stream or sys.stdout)),
        no_color=no_color,
        highlight=False,
        markup=False,
        width=None if tty else 1000,
    )


def _table(*columns: str, title: str | None = None) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(*columns, title=title, title_justify="left", box=box.SIMPLE_HEAD)
    for column in table.columns:  # a narrow terminal wraps a value, never cuts it ("kee…")
        column.overflow = "fold"
    return table


def _preview(
    profile: str | None,
    strict: bool = False,
    given_by: str = "option --profile",
    pyproject: str | None = None,
) -> tuple[ResolvedSettings, Tuning]:
    """Resolve and decide without installing anything; provenance names the command's options."""
    from ..config.settings import resolve_labelled
    from ..runtime.apply import preview_settings

    settings = resolve_labelled(
        profile,
        pyproject=pyproject,
        overrides={"strict": True} if strict else None,
        labels={"profile": given_by, "strict": "option --strict", "pyproject": "option --pyproject"},
    )
    return settings, preview_settings(settings)


def _catalog(args: argparse.Namespace) -> ProfileCatalog:
    return _catalog_for(args.pyproject)


def _in_profile(name: str | None, problem: str, pyproject: str | None) -> str:
    """A check problem, naming the profile being checked and what it extends: an error found in a
    shipped profile that the user's profile extends must name the user's profile too."""
    if name is None or problem.startswith(f"profile {name!r}"):
        return problem
    try:
        chain = [p.name for p in _catalog_for(pyproject).chain(name, "check")]
    except ConfigError:
        chain = [name]
    extends = f" (extends {', '.join(repr(n) for n in chain[1:])})" if len(chain) > 1 else ""
    return f"profile {name!r}{extends}: {problem}"


def _catalog_for(pyproject: str | None) -> ProfileCatalog:
    from ..config.settings import profile_catalog

    return profile_catalog(pyproject, "option --pyproject")


def _decision_rows(tuning: Tuning) -> list[dict[str, Any]]:
    return [d.as_event() for d in tuning.decisions]


def cmd_explain(args: argparse.Namespace) -> int:
    settings, tuning = _preview(args.profile, pyproject=args.pyproject)
    if args.json:
        document = {
            "profile": settings.profile,
            "profile_chain": list(settings.profile_chain),
            "settings": {
                name: {"value": value, "source": settings.provenance[name]}
                for name, value in settings.values().items()
            },
            "decisions": _decision_rows(tuning),
            "fingerprint": tuning.fingerprint,
        }
        print(json.dumps(document, indent=2, default=str))
        return 0
    console = _console()
    table = _table("setting", "value", "source", title=f"settings: {settings.selection()}")
    for name, value in settings.values().items():
        table.add_row(name, str(value), settings.provenance[name])
    console.print(table)
    decisions = _table(
        "component", "requested", "choice", "fallback", "reason", title="decisions apply() would make here"
    )
    for d in tuning.decisions:
        decisions.add_row(d.component, d.requested, d.choice, "yes" if d.fallback else "", d.reason)
    console.print(decisions)
    console.print(f"fingerprint {tuning.fingerprint} (nothing was installed)")
    return 0


def cmd_profiles(args: argparse.Namespace) -> int:
    catalog = _catalog(args)
    infos = [catalog.info(name) for name in catalog.names()]
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "name": i.name,
                        "description": i.description,
                        "extends": i.extends,
                        "defined_in": i.origin,
                    }
                    for i in infos
                ],
                indent=2,
            )
        )
        return 0
    table = _table("profile", "extends", "defined in", "description")
    for info in infos:
        table.add_row(info.name, info.extends or "", info.origin, info.description)
    _console().print(table)
    return 0


def _check_targets(args: argparse.Namespace) -> list[str | None]:
    """What this project can select: its selected profile and the ones it defines (None = selected).

    Shipped profiles the project never names are checked only when asked (--profile, --all).
    """
    if args.profile:
        return [args.profile]
    catalog = _catalog(args)
    return [None, *(catalog.names() if args.all else catalog.project_names())]


def cmd_check(args: argparse.Namespace) -> int:
    import warnings

    from .._errors import ConfigWarning

    found: list[tuple[str | None, str]] = []
    checked: set[str] = set()
    # A warning is a problem to check: the configuration is not used as written (a misnamed table
    # falls back to the default profile, a typo is ignored).
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConfigWarning)
        try:
            targets = _check_targets(args)
        except ConfigError as exc:
            found.append((None, str(exc)))
            targets = []
        for name in targets:
            try:
                settings, _ = _preview(name, strict=args.strict, pyproject=args.pyproject)
                checked.add(settings.profile)
            except ConfigError as exc:
                found.append((name, str(exc)))
    ignored = list(dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, ConfigWarning)))
    for other in (w for w in caught if not issubclass(w.category, ConfigWarning)):
        warnings.showwarning(other.message, other.category, other.filename, other.lineno)
    # Each profile's problem once, naming the profile (and what it extends); the selected profile's
    # problem again without a name only when no named check found it.
    named = {message for name, message in found if name is not None}
    problems = [
        _in_profile(name, message, args.pyproject)
        for name, message in found
        if name is not None or message not in named
    ]
    for problem in dict.fromkeys(problems):
        error(problem)
    for message in ignored:
        warning(message)
    if ignored and not problems:
        error(f"{len(ignored)} warning(s) above: the configuration is not used as written")
    if problems or ignored:
        return EXIT_PROBLEMS
    print(f"ok: {len(checked)} profile(s) checked: {', '.join(sorted(checked))}")
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    a, b = args.profile_a, args.profile_b
    left_settings, left = _preview(a, given_by="argument PROFILE_A", pyproject=args.pyproject)
    right_settings, right = _preview(b, given_by="argument PROFILE_B", pyproject=args.pyproject)
    table = _table("setting", a, b, title="settings that differ")
    differ = 0
    for name, value in left_settings.values().items():
        other = right_settings.values()[name]
        if name != "profile" and value != other:
            table.add_row(name, str(value), str(other))
            differ += 1
    # What differs in effect: the choice in force. A fallback is marked, never hidden.
    decisions = _table("component", a, b, title="decisions that differ in effect")
    fallbacks: list[str] = []
    for da, db in zip(left.decisions, right.decisions, strict=True):
        if da.choice != db.choice:
            decisions.add_row(da.component, _choice(da), _choice(db))
            differ += 1
        else:
            fallbacks += [
                f"{name} asks {d.component} {d.requested!r} but runs {d.choice!r} here, "
                f"as {other} does: {d.reason}"
                for name, d, other in ((a, da, b), (b, db, a))
                if d.fallback
            ]
    console = _console()
    if differ == 0:
        console.print(f"profiles {a!r} and {b!r} resolve to the same settings and decisions here")
    else:
        console.print(table)
        console.print(decisions)
    for note in fallbacks:
        console.print(f"fallback: {note}")
    return 0


def _choice(decision: Any) -> str:
    return (
        f"{decision.choice} (fallback from {decision.requested}: {decision.reason})"
        if decision.fallback
        else decision.choice
    )


def cmd_fingerprint(args: argparse.Namespace) -> int:
    """The fingerprint apply() would give this process, for comparing machines in a deploy script."""
    settings, tuning = _preview(args.profile, pyproject=args.pyproject)
    if not args.json:
        print(tuning.fingerprint)
        return 0
    document = {
        "fingerprint": tuning.fingerprint,
        "profile": settings.profile,
        "settings": settings.values(),
        "choices": tuning.choices,
        "facts": dict(tuning.facts),
    }
    print(json.dumps(document, indent=2, default=str))
    return 0


#: Characters a .env value must be quoted for (python-dotenv reads JSON-style double quotes).
_DOTENV_SPECIAL = frozenset(" #'\"$\\")


def cmd_env(args: argparse.Namespace) -> int:
    """The resolved settings as variables: loaded by another process (a worker, a container), they
    make it resolve the same settings, whatever its directory, and so the same fingerprint."""
    import shlex

    settings, _ = _preview(args.profile, pyproject=args.pyproject)
    variables = settings.environ()
    if args.format == "json":
        print(json.dumps(variables, indent=2, sort_keys=True))
    elif args.format == "dotenv":
        for name, value in sorted(variables.items()):
            quoted = json.dumps(value) if set(value) & _DOTENV_SPECIAL else value
            print(f"{name}={quoted}")
    else:
        for name, value in sorted(variables.items()):
            print(f"export {name}={shlex.quote(value)}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from . import bench

    return bench.run(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flujo-tuning",
        description="Show, check and compare what flujo_tuning resolves and decides on this machine.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"flujo-tuning {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(
        name: str, help_text: str, example: str, settings: bool = True, profile: bool = False
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=f"example:\n  {example}\n\n{ENVIRONMENT}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if settings:
            sub.add_argument(
                "--pyproject",
                metavar="PATH",
                help="the pyproject.toml to read (default: $FLUJO_PYPROJECT, else the nearest one upward)",
            )
        if profile:
            sub.add_argument("--profile", help="profile to resolve instead of the one this project selects")
        return sub

    explain = command(
        "explain",
        "the settings of the profile this project selects (FLUJO_PROFILE, [tool.flujo_tuning] profile, "
        "else 'default'), with their sources, then the decisions",
        "flujo-tuning explain --profile throughput",
        profile=True,
    )
    explain.add_argument(
        "--json", action="store_true", help="one JSON document: profile, settings, decisions"
    )
    explain.set_defaults(run=cmd_explain)

    profiles = command(
        "profiles", "every selectable profile: description, origin, parent", "flujo-tuning profiles --json"
    )
    profiles.add_argument("--json", action="store_true", help="a JSON list")
    profiles.set_defaults(run=cmd_profiles)

    check = command(
        "check",
        "validate the configuration: the profile this project selects and the profiles it defines "
        "(profile_dirs, [tool.flujo_tuning.profiles])",
        "flujo-tuning check --strict",
    )
    scope = check.add_mutually_exclusive_group()
    scope.add_argument("--profile", help="check only this profile")
    scope.add_argument("--all", action="store_true", help="also check every shipped profile")
    check.add_argument(
        "--strict", action="store_true", help="typos and missing requested backends are errors"
    )
    check.set_defaults(run=cmd_check)

    bench = command(
        "bench",
        "the three pipeline scenarios per profile, with ratios",
        "flujo-tuning bench --quick --markdown",
    )
    from .bench import add_arguments as add_bench_arguments

    add_bench_arguments(bench)
    bench.set_defaults(run=cmd_bench)

    calibrate = command(
        "calibrate",
        "run TARGET (module:function, one unit of your work) under each candidate profile, each in a "
        "fresh process, interleaved; report calls/s and ratios, and recommend a profile only when it "
        "wins beyond the noise",
        "flujo-tuning calibrate app.pipeline:run_once --search --budget 2m --write",
    )
    from .calibrate.command import add_arguments as add_calibrate_arguments
    from .calibrate.command import cmd_calibrate

    add_calibrate_arguments(calibrate)
    calibrate.set_defaults(run=cmd_calibrate)

    env = command(
        "env",
        "the resolved settings as FLUJO_* variables, for another process (a worker, a container)",
        "flujo-tuning env --format dotenv > worker.env",
        profile=True,
    )
    env.add_argument(
        "--format",
        choices=("shell", "dotenv", "json"),
        default="shell",
        help="shell: export lines (default); dotenv: NAME=value lines; json: one object",
    )
    env.set_defaults(run=cmd_env)

    fingerprint = command(
        "fingerprint",
        "the fingerprint apply() would give this process (equal fingerprints, equal tuning)",
        "flujo-tuning fingerprint --json",
        profile=True,
    )
    fingerprint.add_argument(
        "--json", action="store_true", help="with the settings, choices, Python and backend versions"
    )
    fingerprint.set_defaults(run=cmd_fingerprint)

    diff = command(
        "diff", "the settings and decisions where two profiles differ", "flujo-tuning diff default throughput"
    )
    diff.add_argument("profile_a", metavar="PROFILE_A", help="the profile to compare from")
    diff.add_argument("profile_b", metavar="PROFILE_B", help="the profile to compare with")
    diff.set_defaults(run=cmd_diff)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(_budget_as_one_word(list(sys.argv[1:] if argv is None else argv)))
    try:
        with warnings_as_lines():
            code: int = args.run(args)
    except ConfigError as exc:
        error(exc)
        return EXIT_PROBLEMS
    except BrokenPipeError:  # `flujo-tuning explain | head`: the reader left; so do we, quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PIPE
    except KeyboardInterrupt:
        error("interrupted")
        return EXIT_INTERRUPTED
    return code


def _budget_as_one_word(argv: list[str]) -> list[str]:
    """``--budget -5s`` reaches our own check (argparse would take -5s for an option)."""
    for i, word in enumerate(argv[:-1]):
        if word == "--budget" and argv[i + 1].startswith("-"):
            return [*argv[:i], f"--budget={argv[i + 1]}", *argv[i + 2 :]]
    return argv


if __name__ == "__main__":
    raise SystemExit(main())
