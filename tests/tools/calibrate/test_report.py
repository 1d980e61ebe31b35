"""The verdict on synthetic measurements: what wins, what ties, what is never chosen."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from flujo_tuning.tools.calibrate import MIN_ROUNDS_FOR_A_WINNER, CalibrationReport, CandidateResult
from flujo_tuning.tools.calibrate.candidates import gives_up

CONTROL = "default (A/A control)"
ENVIRONMENT = {"python": "CPython 3.x", "platform": "Linux", "cpu": "test CPU"}


def report_of(
    rates: Mapping[str, Sequence[float]],
    current: str = "stdlib",
    *,
    same: Mapping[str, str] | None = None,
    settings: Mapping[str, Mapping[str, object]] | None = None,
    control: str | None = None,
) -> CalibrationReport:
    candidates = []
    for name, values in rates.items():
        result = CandidateResult(name, name, rates=list(values), control=name == control)
        result.settings = dict((settings or {}).get(name, {"codec": "orjson"}))
        result.gives_up = gives_up(result.settings)
        candidates.append(result)
    for name, other in (same or {}).items():
        candidates.append(CandidateResult(name, name, same_as=other, same_because="decide nothing here"))
    rounds = min(len(v) for v in rates.values())
    return CalibrationReport(
        target="app:run_once",
        current=current,
        candidates=candidates,
        rounds=rounds,
        calls_per_sample=1,
        per_call=0.01,
        sample_seconds=0.1,
        budget=60.0,
        elapsed=30.0,
        interrupted=False,
        environment=ENVIRONMENT,
        date="2026-11-30",
    )


def test_twice_as_fast_in_each_of_five_rounds_wins() -> None:
    """The case the sign test called a tie (1/32 > 0.05/2 whatever the effect)."""
    report = report_of(
        {
            "stdlib": [100, 104, 98, 101, 99],
            "default": [200, 212, 193, 205, 197],
            "low-memory": [150, 160, 140, 151, 149],
        }
    )
    assert report.winner == "default"
    assert report.verdict.startswith("winner: default, 2.0")
    assert "t-test p=" in report.verdict


def test_noise_around_equal_speeds_is_a_tie_with_a_hint() -> None:
    report = report_of({"stdlib": [100, 130, 80, 110, 95], "default": [105, 95, 120, 90, 101]})
    assert report.winner is None
    assert report.verdict.startswith("tie: no candidate was faster than 'stdlib' beyond the noise")
    assert "a steady 1.10x gain would need" in report.verdict


def test_a_large_but_inconsistent_gain_is_not_a_winner() -> None:
    report = report_of({"stdlib": [100, 100, 100, 100, 100], "default": [300, 60, 280, 70, 290]})
    assert report.winner is None


def test_a_gain_below_the_minimum_is_not_a_winner_however_steady() -> None:
    report = report_of({"stdlib": [100.0] * 6, "default": [102.0, 102.1, 101.9, 102.0, 102.05, 101.95]})
    assert report.p_value("default") < report.threshold
    assert report.winner is None  # 2% < the 3% MIN_GAIN


def test_too_few_rounds_say_the_budget_cannot_reach_a_verdict() -> None:
    rounds = MIN_ROUNDS_FOR_A_WINNER - 1
    report = report_of({"stdlib": [100.0] * rounds, "default": [300.0] * rounds})
    assert report.winner is None
    assert "this budget cannot reach one; raise --budget" in report.verdict


def test_no_complete_round_says_nothing_was_compared() -> None:
    report = report_of({"stdlib": [], "default": []})
    assert "no round completed" in report.verdict


def test_candidates_that_run_the_same_are_reported_together_and_never_win_by_noise() -> None:
    report = report_of(
        {"stdlib": [100, 101, 99, 100, 100], "default": [200, 201, 199, 200, 202]},
        same={"ephemeral": "default"},
    )
    assert report.equal_groups == {"default": ["ephemeral"]}
    assert report.winner == "default"
    assert "(the same here: ephemeral)" in report.verdict
    assert "ephemeral" not in {c.name for c in report.measured}
    entry = next(c for c in report.as_dict()["candidates"] if c["name"] == "ephemeral")
    assert entry["same_as"] == "default"
    assert entry["same_because"] == "decide nothing here"


def test_a_winner_that_gives_up_durability_says_so() -> None:
    report = report_of(
        {"stdlib": [100, 101, 99, 100, 100], "ephemeral": [300, 301, 299, 305, 298]},
        settings={"ephemeral": {"state_backend": "memory", "tracing": "off"}},
    )
    assert report.winner == "ephemeral"
    assert "it gives up crash recovery" in report.verdict
    assert "Flujo's tracing" in report.verdict
    assert "# This profile gives up crash recovery" in report.profile_toml()


def test_the_table_and_the_chart_share_one_order_and_one_set_of_labels() -> None:
    report = report_of(
        {
            "stdlib": [100, 101, 99, 100, 100],
            "low-memory": [150, 151, 149, 150, 152],
            "default": [200, 201, 199, 200, 202],
        }
    )
    assert [c.name for c in report.ordered()] == ["default", "low-memory", "stdlib"]
    assert report.label("default") == "default (winner)"
    assert report.label("stdlib") == "stdlib (current)"
    assert report.label("low-memory") == "low-memory"


def test_values_from_the_environment_are_measured_but_not_recorded() -> None:
    report = report_of(
        {"stdlib": [100, 101, 99, 100, 100], "default": [200, 201, 199, 200, 202]},
        settings={"default": {"codec": "orjson", "buffer_size": 8192}},
    )
    report.candidate("default").sources = {
        "codec": "shipped profile 'default'",
        "buffer_size": "env FLUJO_BUFFER_SIZE",
    }
    kept, left = report.recorded("default")
    assert kept == {"codec": "orjson"}
    assert left == {"buffer_size": "env FLUJO_BUFFER_SIZE"}
    text = report.profile_toml()
    assert "buffer_size = " not in text
    assert "# buffer_size is not recorded: it came from env FLUJO_BUFFER_SIZE while measuring." in text


@pytest.mark.parametrize(
    ("settings", "lost"),
    [
        ({"state_backend": "keep", "tracing": "keep"}, []),
        ({"state_backend": "memory", "tracing": "keep"}, ["crash recovery"]),
        ({"state_backend": "sqlite:///x.db", "tracing": "off"}, ["Flujo's tracing"]),
    ],
)
def test_what_a_profile_gives_up_is_named(settings: dict[str, object], lost: list[str]) -> None:
    assert [text.split(" (")[0] for text in gives_up(settings)] == lost


def test_a_steady_gain_no_larger_than_two_processes_of_one_profile_differ_is_not_a_winner() -> None:
    """The false winner seen on this machine: the current profile's process ran slow in every round
    (a slower core, say); its A/A control, the same profile in another process, ran 1.16x faster,
    as the candidate did. The t-test against the current profile alone names the candidate."""
    report = report_of(
        {
            "default": [100, 100, 100, 100, 100, 100],
            "default (A/A control)": [116, 117, 115, 118, 116, 117],
            "low-memory": [116, 118, 115, 117, 117, 116],
        },
        current="default",
        control=CONTROL,
    )
    assert report.p_value("low-memory") <= report.threshold  # the t-test alone would name it
    assert report.threshold == 0.05  # the control is not a candidate compared (no Bonferroni share)
    assert report.offset() == pytest.approx(1.165)
    assert report.winner is None
    assert report.too_noisy()  # the control itself would have won: no verdict is possible
    assert report.as_dict()["offset"] == pytest.approx(1.165)


def test_a_candidate_must_beat_the_control_as_well_as_the_current_profile() -> None:
    """Round noise, not an offset: the candidate beats the current profile's process in every
    round, but not its A/A control, which ran as fast as the candidate."""
    report = report_of(
        {
            "default": [100, 90, 110, 95, 105, 100, 98, 102],
            "default (A/A control)": [130, 78, 112, 90, 125, 84, 106, 96],
            "low-memory": [110, 99, 121, 104.5, 115.5, 110, 107.8, 112.2],  # 1.10x default, each round
        },
        current="default",
        control=CONTROL,
    )
    assert not report.too_noisy()
    assert report.p_value("low-memory") <= report.threshold
    assert report.p_value("low-memory", "default (A/A control)") > report.threshold
    assert report.winner is None
    assert "faster than its A/A control too" in report.verdict


def test_a_real_gain_beyond_the_control_still_wins() -> None:
    report = report_of(
        {
            "default": [100, 102, 98, 101, 99],
            "default (A/A control)": [104, 97, 100, 103, 98],
            "throughput": [480, 510, 470, 500, 495],
        },
        current="default",
        control=CONTROL,
    )
    assert report.winner == "throughput"
    assert "against the A/A control p=" in report.verdict
    assert "the two processes of 'default' 1.02x apart at the median" in report.verdict
    assert report.label("default (A/A control)") == "default (A/A control)"
    assert report.noise_band() == pytest.approx(1 / (97 / 102))


def test_when_the_control_would_win_the_session_is_too_noisy_to_decide() -> None:
    report = report_of(
        {
            "default": [100, 100, 100, 100, 100],
            "default (A/A control)": [140, 135, 150, 138, 142],  # the same configuration, 1.4x "faster"
            "throughput": [130, 131, 129, 132, 130],  # 1.30x: within what one profile's processes differ
        },
        current="default",
        control=CONTROL,
    )
    assert report.too_noisy()
    assert report.winner is None
    assert report.verdict.startswith(
        "too noisy to decide: the current profile compared with itself differed by up to 1.50x"
    )
    slower = report_of(
        {"default": [100] * 5, "default (A/A control)": [70, 72, 69, 71, 70], "stdlib": [100] * 5},
        current="default",
        control=CONTROL,
    )
    assert slower.too_noisy()  # either way


def test_nothing_to_compare_is_a_tie_that_names_what_was_not_used() -> None:
    report = report_of({"default": []}, current="default", same={"low-memory": "default"})
    report.nothing_to_compare = True
    report.unused = ["buffer_size", "codec"]
    assert report.winner is None
    assert report.verdict == (
        "tie: every candidate runs the same for app:run_once (identical here, or different only in "
        "settings it did not use; it did not use buffer_size, codec), so nothing needed measuring; "
        "keep 'default'"
    )
    assert report.as_dict()["unused_settings"] == ["buffer_size", "codec"]


def _with_control(rates: Mapping[str, Sequence[float]]) -> CalibrationReport:
    return report_of(rates, current="default", control=CONTROL)


def test_a_leader_is_the_winner_only_when_fresh_rounds_in_new_processes_confirm_it() -> None:
    first = {
        "default": [100, 101, 99, 100, 102, 98],
        "default (A/A control)": [101, 99, 100, 102, 98, 100],
        "stdlib": [108, 109, 107, 110, 108, 109],  # a steady 1.08x: the first rounds' leader
    }
    report = _with_control(first)
    assert report.leader == report.winner == "stdlib"  # a report built by hand asks no confirmation
    report.confirm = True
    assert report.winner is None
    assert report.verdict.startswith("tie: stdlib led the rounds (1.08x the current profile 'default'")
    assert (
        "but was not confirmed: the budget left time for 0 fresh rounds in new processes, and "
        "confirming needs 3 (raise --budget): a lead in one set of processes may be theirs" in report.verdict
    )
    # Two fresh rounds at 36x (seen in CI under load) are too few to test: untested, not refuted.
    report.confirmation = _with_control(
        {"default": [100, 101], "default (A/A control)": [101, 99], "stdlib": [3600, 3700]}
    )
    assert report.winner is None
    assert "the budget left time for 2 fresh rounds in new processes" in report.verdict
    assert "is the machine's" not in report.verdict
    # A fresh process that died: the cause is named, not the budget.
    died = _with_control({"default": [], "default (A/A control)": [], "stdlib": []})
    died.candidate("stdlib").stage, died.candidate("stdlib").error = "warm-up", "exited with code 1"
    report.confirmation = died
    assert report.winner is None
    assert (
        "but was not confirmed: stdlib failed in its new process (warm-up: exited with code 1): a lead "
        "in one set of processes may be theirs" in report.verdict
    )
    fresh = {"default": [100, 101, 99, 100, 102], "default (A/A control)": [101, 99, 100, 102, 98]}
    # new processes: the lead was the old process's luck
    report.confirmation = _with_control({**fresh, "stdlib": [100, 99, 102, 98, 101]})
    assert report.winner is None
    assert "but was not confirmed in 5 fresh rounds in new processes (" in report.verdict
    assert "a lead that does not survive new processes is the machine's" in report.verdict
    report.confirmation = _with_control({**fresh, "stdlib": [108, 110, 107, 109, 110]})
    assert report.winner == "stdlib"
    assert report.verdict.startswith("winner: stdlib, 1.08x")
    assert "; confirmed in 5 fresh rounds in new processes (1.08x, p=" in report.verdict
    document = report.as_dict()
    assert (document["leader"], document["confirmation"]["leader"]) == ("stdlib", "stdlib")


def test_a_gain_far_beyond_the_offset_wins_even_in_a_noisy_session() -> None:
    report = _with_control(
        {
            "default": [100, 100, 100, 100, 100],
            "default (A/A control)": [140, 135, 150, 138, 142],
            "throughput": [300, 310, 290, 305, 300],  # 3x: far beyond the 1.40x offset
        }
    )
    assert report.too_noisy()
    assert report.winner == "throughput"
    assert "the two processes of 'default' 1.40x apart at the median" in report.verdict
