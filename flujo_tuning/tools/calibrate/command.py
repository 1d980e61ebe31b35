"""``flujo-tuning calibrate``: the command's options, and what it does with a report (print it,
offer the winner, --write it with consent)."""

from __future__ import annotations

import argparse
import os
import sys

from ..output import EXIT_INTERRUPTED, EXIT_PROBLEMS, EXIT_USAGE, error, warning
from .report import CalibrationReport

__all__ = ["add_arguments", "cmd_calibrate"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The calibrate options (its --help is the documentation users read first)."""
    parser.add_argument("target", metavar="TARGET", help="module:function, importable from here")
    parser.add_argument(
        "--profiles",
        help=(
            "comma-separated candidates (default: every shipped and project profile except debug, "
            "which runs asyncio's slow debug mode); the current profile and stdlib always run, as the "
            "references of the ratios; an unknown name stops before measuring"
        ),
    )
    parser.add_argument(
        "--search",
        action="store_true",
        help="also the current profile with one component changed at a time (only where it changes "
        "what runs here; codec and hasher variants only if TARGET uses them)",
    )
    parser.add_argument(
        "--experimental",
        action="store_true",
        help="with --search, also experimental event loops (rloop, when installed: not "
        "production-ready by its authors' word)",
    )
    parser.add_argument(
        "--budget",
        default="60s",
        help="time for the whole run, e.g. 60s, 90, 2m (default 60s); a hanging TARGET is reported "
        "within it plus 5 s",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="at most this many rounds (default: what the budget fits, up to 15)",
    )
    parser.add_argument(
        "--write",
        action="store_true",
        help="write the winner as PROFILE_DIR/NAME.toml (the first profile_dirs entry, else "
        "flujo_profiles/) and set profile = NAME in [tool.flujo_tuning] of pyproject.toml (comments "
        "kept; undone if the result does not resolve)",
    )
    parser.add_argument(
        "--name", default="calibrated", help="name of the written profile (default calibrated)"
    )
    parser.add_argument(
        "--accept-trade-offs",
        action="store_true",
        help="let --write write a winner that gives up crash recovery or tracing (otherwise only when "
        "named in --profiles)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON document instead of the table")
    parser.add_argument("--plot", metavar="FILE.svg", help="also draw a chart (needs the plot extra)")


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Exit 0 with a verdict (a winner or a tie), 1 when no verdict was possible or --write was
    refused, 2 for a bad TARGET or options, 130 when interrupted (Ctrl-C or SIGTERM)."""
    import signal

    from ..plot import PlotError
    from . import CalibrationError, calibrate, dump_json, parse_budget, render
    from .write import check_name

    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # the workers are stopped and the rounds so far reported

    previous = signal.signal(signal.SIGTERM, interrupted)
    profiles = [p.strip() for p in args.profiles.split(",") if p.strip()] if args.profiles else None
    try:
        budget = parse_budget(args.budget)
        check_name(args.name)
        if args.plot:
            from ..plot import check_plot_path

            check_plot_path(args.plot)
        report = calibrate(
            args.target,
            pyproject=args.pyproject,
            profiles=profiles,
            search=args.search,
            experimental=args.experimental,
            budget=budget,
            rounds=args.rounds,
            progress=sys.stderr.isatty() and not args.json,
        )
    except (CalibrationError, PlotError) as exc:
        error(exc)
        return EXIT_USAGE
    finally:
        signal.signal(signal.SIGTERM, previous)
    if args.plot:
        from ..plot import plot_calibration

        plot_calibration(report, args.plot)
    if args.json:
        dump_json(report, sys.stdout)
    else:
        terminal = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        sys.stdout.write(render(report, terminal=terminal))
    if report.interrupted:
        return EXIT_INTERRUPTED
    if report.winner is None:
        if args.write:
            warning("nothing written (no winner)")
        return 0 if report.rounds else EXIT_PROBLEMS
    return _offer_the_winner(report, args, profiles)


def _offer_the_winner(report: CalibrationReport, args: argparse.Namespace, profiles: list[str] | None) -> int:
    """--write the winner (with consent where it gives something up), or show what it would write."""
    from . import CalibrationError, plan_write, write

    consent = args.accept_trade_offs or report.winner in (profiles or [])
    try:
        plan = plan_write(report, name=args.name, consent=consent)
    except CalibrationError as exc:
        if args.write:
            error(exc)
            return EXIT_PROBLEMS
        warning(exc)
        return 0
    for text in plan.warnings:
        warning(text)
    if args.write:
        try:
            write(plan, args.name)
        except CalibrationError as exc:
            error(exc)
            return EXIT_PROBLEMS
        verb = "replaced" if plan.replaced else "wrote"
        print(f"{verb} {plan.profile_path}; set profile = {args.name!r} in {plan.pyproject}", file=sys.stderr)
    elif not args.json:
        sys.stdout.write(
            f"\n--write would write {plan.profile_path}:\n\n{plan.profile_text}\n"
            f"and set profile = {args.name!r} in [tool.flujo_tuning] of {plan.pyproject}\n"
        )
    return 0
