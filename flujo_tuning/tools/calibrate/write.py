"""``--write``: the winner as a profile file of the project, selected in pyproject.toml (comments kept)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .report import CalibrationError, CalibrationReport

__all__ = ["Written", "plan_write", "write"]


@dataclass(frozen=True)
class Written:
    """What ``write`` changed (or would change)."""

    profile_path: Path
    profile_text: str
    pyproject: Path
    pyproject_text: str
    replaced: bool


def plan_write(report: CalibrationReport, *, name: str = "calibrated", cwd: Path | None = None) -> Written:
    """The winner as a profile file in the project's first ``profile_dirs`` entry (``flujo_profiles``
    when there is none, added to the table) and ``profile = NAME`` in ``[tool.flujo_tuning]``;
    comments and layout of pyproject.toml are kept (tomlkit). Nothing is written here."""
    import tomlkit
    from tomlkit.items import Table

    from ...config.settings import find_pyproject

    if report.winner is None:
        raise CalibrationError(f"nothing to write: {report.verdict}")
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
    return Written(path, report.profile_toml(name), pyproject, tomlkit.dumps(document), path.exists())


def write(plan: Written) -> None:
    plan.profile_path.parent.mkdir(parents=True, exist_ok=True)
    plan.profile_path.write_text(plan.profile_text, encoding="utf-8")
    plan.pyproject.write_text(plan.pyproject_text, encoding="utf-8")
