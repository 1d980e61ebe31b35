"""``--write``: the winner as a profile file of the project, selected in pyproject.toml (comments
kept), and never a project ``resolve()`` rejects: the result is resolved after writing and both
files are put back if it fails."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .report import CalibrationError, CalibrationReport

__all__ = ["Written", "check_name", "plan_write", "write"]


@dataclass(frozen=True)
class Written:
    """What ``write`` changed (or would change), and what the user must know about it."""

    profile_path: Path
    profile_text: str
    pyproject: Path
    pyproject_text: str
    replaced: bool
    #: Environment variables that outrank what is written, and settings left out: said, never silent.
    warnings: list[str] = field(default_factory=list)


def check_name(name: str) -> None:
    """Refuse a profile name that is a path or that resolve() would not accept (before measuring)."""
    from ...config.profiles import NAME_RULE, valid_profile_name

    if not valid_profile_name(name):
        raise CalibrationError(f"--name {name!r}: a profile name is {NAME_RULE}")


def plan_write(
    report: CalibrationReport,
    *,
    name: str = "calibrated",
    cwd: Path | None = None,
    consent: bool = False,
) -> Written:
    """The winner as a profile file in the project's first ``profile_dirs`` entry (``flujo_profiles``
    when there is none, added to the table) and ``profile = NAME`` in ``[tool.flujo_tuning]``;
    comments and layout of pyproject.toml are kept (tomlkit). Nothing is written here.

    A winner that gives up durability or visibility is planned only with *consent* (the user named
    it in --profiles, or passed --accept-trade-offs).
    """
    import tomlkit
    from tomlkit.items import Table

    from ...config.settings import env_var, find_pyproject

    check_name(name)
    winner = report.winner
    if winner is None:
        raise CalibrationError(f"nothing to write: {report.verdict}")
    result = report.candidate(winner)
    if result.gives_up and not consent:
        raise CalibrationError(
            f"nothing written: the winner {winner!r} {result.trade_off}; to write it anyway, name it "
            "in --profiles or pass --accept-trade-offs"
        )
    pyproject = find_pyproject(cwd)
    if pyproject is None:
        raise CalibrationError(
            f"--write needs a pyproject.toml (none in {(cwd or Path.cwd()).resolve()} or its parents)"
        )
    document = tomlkit.parse(pyproject.read_text(encoding="utf-8"))
    tool = document.get("tool")
    if tool is None:
        tool = tomlkit.table(is_super_table=True)
        document["tool"] = tool
    table = tool.get("flujo_tuning")
    if table is None:
        table = tomlkit.table()
        tool["flujo_tuning"] = table
    if not isinstance(table, Table):
        raise CalibrationError(f"{pyproject}: [tool.flujo_tuning] is not a table")
    dirs = table.get("profile_dirs")
    if dirs:
        directory = (pyproject.parent / str(dirs[0])).resolve()
    else:
        table["profile_dirs"] = ["flujo_profiles"]
        directory = pyproject.parent / "flujo_profiles"
    table["profile"] = name
    path = directory / f"{name}.toml"
    warnings = []
    if os.environ.get("FLUJO_PROFILE", "").strip():
        warnings.append(
            f"FLUJO_PROFILE={os.environ['FLUJO_PROFILE'].strip()} in this environment outranks "
            f"profile = {name!r} in {pyproject}: unset it for the written profile to take effect"
        )
    _, left = report.recorded(winner)
    for key, source in left.items():
        warnings.append(
            f"{key} is not written: it came from {source} while measuring (unset {env_var(key)} "
            "or write it into the profile yourself)"
        )
    return Written(
        path, report.profile_toml(name), pyproject, tomlkit.dumps(document), path.exists(), warnings
    )


def write(plan: Written, name: str) -> None:
    """Write both files, then resolve the project as ``apply()`` would: if it fails, put both files
    back as they were (a project is never left in a state resolve() rejects)."""
    from ..._errors import ConfigError
    from ...config.settings import resolve

    before_profile = plan.profile_path.read_bytes() if plan.profile_path.exists() else None
    before_pyproject = plan.pyproject.read_bytes()
    created_dir = not plan.profile_path.parent.exists()
    plan.profile_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        plan.profile_path.write_text(plan.profile_text, encoding="utf-8")
        plan.pyproject.write_text(plan.pyproject_text, encoding="utf-8")
        resolve(name, pyproject=plan.pyproject)
    except (ConfigError, OSError) as exc:
        plan.pyproject.write_bytes(before_pyproject)
        if before_profile is None:
            plan.profile_path.unlink(missing_ok=True)
            if created_dir:
                plan.profile_path.parent.rmdir()
        else:
            plan.profile_path.write_bytes(before_profile)
        raise CalibrationError(f"--write put both files back: the result did not resolve ({exc})") from None
