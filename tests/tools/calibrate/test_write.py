"""--write: a valid name, consent for trade-offs, honesty about the environment, never a project
that resolve() rejects."""

from __future__ import annotations

from pathlib import Path

import pytest

from flujo_tuning import ConfigError, resolve
from flujo_tuning.tools.calibrate import CalibrationError, CalibrationReport, plan_write, write
from flujo_tuning.tools.calibrate.write import check_name

from .test_report import report_of

PYPROJECT = '[project]\nname = "app"\n\n# ours\n[tool.flujo_tuning]\nprofile = "stdlib"\n'


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _winner(name: str = "default", **settings: object) -> CalibrationReport:
    return report_of(
        {"stdlib": [100, 101, 99, 100, 100], name: [200, 201, 199, 200, 202]},
        settings={name: settings or {"codec": "orjson", "hasher": "blake3"}},
    )


@pytest.mark.parametrize("name", ["../../evil", "a/b", "..", ".hidden", "", "with space"])
def test_a_name_that_is_a_path_or_not_a_profile_name_is_refused(name: str) -> None:
    with pytest.raises(CalibrationError, match="a profile name is letters, digits"):
        check_name(name)


def test_a_winner_that_gives_up_durability_needs_consent(project: Path) -> None:
    report = _winner("ephemeral", state_backend="memory", tracing="off")
    with pytest.raises(CalibrationError, match=r"gives up crash recovery .* --accept-trade-offs"):
        plan_write(report)
    plan = plan_write(report, consent=True)
    assert 'state_backend = "memory"' in plan.profile_text


def test_writing_selects_the_profile_and_it_resolves(project: Path) -> None:
    plan = plan_write(_winner())
    write(plan, "calibrated")
    assert "# ours" in (project / "pyproject.toml").read_text()  # comments kept
    assert resolve().profile == "calibrated"
    assert resolve().codec == "orjson"


def test_the_environment_that_outranks_what_is_written_is_named(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLUJO_PROFILE", "stdlib")
    report = _winner()
    report.candidate("default").sources = {"codec": "env FLUJO_CODEC", "hasher": "shipped profile 'default'"}
    plan = plan_write(report)
    assert any(
        "FLUJO_PROFILE=stdlib in this environment outranks profile = 'calibrated'" in w for w in plan.warnings
    )
    assert any(w.startswith("codec is not written: it came from env FLUJO_CODEC") for w in plan.warnings)
    assert "codec = " not in plan.profile_text


def test_a_result_that_does_not_resolve_is_put_back(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = (project / "pyproject.toml").read_bytes()
    plan = plan_write(_winner())

    def rejects(*args: object, **kwargs: object) -> None:
        raise ConfigError("calibrated.toml:2: something the resolver refuses")

    monkeypatch.setattr("flujo_tuning.config.settings.resolve", rejects)
    with pytest.raises(CalibrationError, match="put both files back"):
        write(plan, "calibrated")
    assert (project / "pyproject.toml").read_bytes() == before
    assert not plan.profile_path.exists()
    assert not (project / "flujo_profiles").exists()
