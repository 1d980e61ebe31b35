"""Charts (the plot extra): the same data as the tables, from synthetic reports (no timing)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from flujo_tuning.tools.bench import BenchReport
from flujo_tuning.tools.calibrate import CalibrationReport
from flujo_tuning.tools.plot import PlotError, check_plot_path, plot_bench, plot_calibration

from .calibrate.test_report import report_of


def _calibration() -> CalibrationReport:
    return report_of(
        {"stdlib": [100.0, 110.0, 90.0], "default": [200.0, 230.0, 180.0], "low-memory": [150.0] * 3},
        current="default",
    )


def test_a_calibration_chart_names_every_candidate(tmp_path: Path) -> None:
    plot_calibration(_calibration(), str(tmp_path / "chart.svg"))
    svg = (tmp_path / "chart.svg").read_text()
    assert svg.startswith("<?xml")
    assert "default (current)" in svg
    assert "stdlib" in svg
    assert "low-memory" in svg


def test_a_bench_chart_draws_the_ratio_bars(tmp_path: Path) -> None:
    report = BenchReport(("stdlib", "default"), 3, (("steps", "1,000 steps"),))
    report.rates[("steps", "stdlib")] = [10.0, 11.0, 9.0]
    report.rates[("steps", "default")] = [20.0, 23.0, 18.0]
    report.environment["python"] = "CPython 3.x"
    plot_bench(report, str(tmp_path / "bench.svg"))
    svg = (tmp_path / "bench.svg").read_text()
    assert "1,000 steps" in svg
    assert "speed vs stdlib" in svg


def test_a_chart_needs_an_svg_name_in_an_existing_folder_and_matplotlib(
    tmp_path: Path, hide_module: Callable[..., None]
) -> None:
    with pytest.raises(PlotError, match=r"name it \*\.svg"):
        check_plot_path("chart.png")
    with pytest.raises(PlotError, match="does not exist"):
        check_plot_path(str(tmp_path / "no" / "such" / "chart.svg"))
    hide_module("matplotlib")
    with pytest.raises(PlotError, match=r"pip install 'flujo-tuning\[plot\]'"):
        check_plot_path(str(tmp_path / "chart.svg"))


def test_plot_errors_are_flujo_tuning_errors() -> None:
    from flujo_tuning import FlujoTuningError

    assert issubclass(PlotError, FlujoTuningError)
    assert issubclass(PlotError, ValueError)  # as before: code that caught ValueError still does
