"""A good guest in the host's process: stdout untouched, events follow the host's logging set-up,
other programs' variables left alone, warnings pointing at the caller's line."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import pickle
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import get_args

import pytest
import structlog
from structlog.testing import capture_logs

import flujo_tuning
import flujo_tuning.perf
from flujo_tuning import ConfigError, ConfigWarning, apply, cache_key, resolve, run
from flujo_tuning.components.decision import Component

from ..conftest import records_of, structlog_configured, write

COMPONENTS = get_args(Component)
SHIPPED = ["debug", "default", "ephemeral", "low-memory", "pinned-state", "stdlib", "throughput"]

#: Every FLUJO_* variable Flujo 0.6.11 reads (measured by installing it): none is a typo of ours.
FLUJO_0_6_11_VARIABLES = """
FLUJO_ALLOW_HITL FLUJO_API_KEY FLUJO_ARCHITECT_AGENTIC_PLANNER FLUJO_ARCHITECT_AGENTIC_TOOLMATCHER
FLUJO_ARCHITECT_AGENTIC_YAMLWRITER FLUJO_ARCHITECT_IGNORE_CONFIG FLUJO_ARCHITECT_MINIMAL
FLUJO_ARCHITECT_STATE_MACHINE FLUJO_AUTO_MIGRATE FLUJO_BLUEPRINT_ALLOWED_IMPORTS FLUJO_CLI_TELEMETRY
FLUJO_CLI_TRACE FLUJO_CLI_VERBOSE FLUJO_CONFIG_PATH FLUJO_CREATE_BUDGET_CONFIRM FLUJO_CREATE_HITL
FLUJO_DEBUG FLUJO_DEBUG_PROMPTS FLUJO_DISABLE_TRACING FLUJO_ENABLED_FILTERS FLUJO_ENABLE_DEMO_YAML
FLUJO_ENFORCE_TYPED_CONTEXT FLUJO_EPHEMERAL_STATE FLUJO_FIX_RULES FLUJO_GOVERNANCE_MODE
FLUJO_GOVERNANCE_PII_SCRUB FLUJO_GOVERNANCE_PII_STRONG FLUJO_GOVERNANCE_POLICY_MODULE
FLUJO_GOVERNANCE_TOOL_ALLOWLIST FLUJO_GRANULAR_RESUME_FINGERPRINT_MODE FLUJO_INPUT
FLUJO_LENIENT_AS_STEP_CONTEXT FLUJO_LENS_TIMEOUT FLUJO_MEMORY_EMBEDDING_DIMENSIONS
FLUJO_MEMORY_EMBEDDING_MODEL FLUJO_MEMORY_INDEXING_ENABLED FLUJO_PROJECT_ROOT FLUJO_REGISTER_MODULES
FLUJO_RULES_FILE FLUJO_RULES_JSON FLUJO_RULES_PROFILE FLUJO_SANDBOX_API_KEY FLUJO_SANDBOX_API_URL
FLUJO_SANDBOX_DOCKER_IMAGE FLUJO_SANDBOX_DOCKER_MEM_LIMIT FLUJO_SANDBOX_DOCKER_NETWORK_MODE
FLUJO_SANDBOX_DOCKER_PIDS_LIMIT FLUJO_SANDBOX_DOCKER_PULL FLUJO_SANDBOX_MODE FLUJO_SANDBOX_TIMEOUT_S
FLUJO_SANDBOX_VERIFY_SSL FLUJO_SHADOW_EVAL_ENABLED FLUJO_SHADOW_EVAL_EVALUATE_ON_FAILURE
FLUJO_SHADOW_EVAL_JUDGE_MODEL FLUJO_SHADOW_EVAL_RUN_LEVEL FLUJO_SHADOW_EVAL_SAMPLE_RATE
FLUJO_SHADOW_EVAL_SINK FLUJO_SHADOW_EVAL_TIMEOUT_S FLUJO_STATE_MODE FLUJO_STATE_URI
FLUJO_STRICT_CONTEXT FLUJO_STRICT_DSL FLUJO_STRICT_HOOKS FLUJO_TEAM_GUIDE FLUJO_TEST_MODE
FLUJO_TEST_STATE_DIR FLUJO_TRACE_EXTRA FLUJO_TRACE_PREVIEW_LEN FLUJO_TREE_SEARCH_DISCOVERY_ENABLED
FLUJO_VALIDATE_LARGE_LITERAL_THRESHOLD FLUJO_VERBOSE_CONTEXT_DEBUG FLUJO_WARN_LEGACY
FLUJO_YAML_SPEC_SHA256
""".split()  # noqa: SIM905 - the list as the reference prints it

APP = """\
import asyncio
import json
import flujo_tuning

{setup}
tuning = flujo_tuning.apply({apply_args})
flujo_tuning.cache_key({{"a": 1}})


async def main() -> str:
    return "ran"


print(json.dumps({{"app": flujo_tuning.run(main())}}))
"""


def _run_app(
    project: Path, setup: str = "", apply_args: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    script = write(project / "app.py", APP.format(setup=setup, apply_args=apply_args))
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLUJO_")}
    return subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        check=True,
        cwd=project,
        env={**clean, **env},
    )


# 1. stdout belongs to the program


@pytest.mark.parametrize("profile", SHIPPED)
def test_an_app_that_configures_nothing_keeps_stdout_to_itself(project: Path, profile: str) -> None:
    done = _run_app(project, FLUJO_PROFILE=profile)
    assert done.stdout == '{"app": "ran"}\n'
    # Info events print nothing; a warning (a fallback) may reach stderr, never stdout.
    assert "flujo_tuning.decision: event_loop" not in done.stderr


def test_stdlib_logging_at_warning_with_our_logger_silenced_prints_nothing(project: Path) -> None:
    setup = (
        "import logging\nlogging.basicConfig(level=logging.WARNING)\n"
        "logging.getLogger('flujo_tuning').setLevel(logging.CRITICAL)\n"
    )
    done = _run_app(project, setup, apply_args="'throughput', codec='msgspec', hasher='xxh3_128'")
    assert done.stdout == '{"app": "ran"}\n'
    assert done.stderr == ""


def test_with_nothing_configured_a_fallback_reaches_stderr_once(project: Path) -> None:
    setup = "import sys\nsys.modules['msgspec'] = None  # msgspec missing\n"
    done = _run_app(project, setup, apply_args="codec='msgspec'")
    assert done.stdout == '{"app": "ran"}\n'
    lines = done.stderr.splitlines()
    fallback = [line for line in lines if "codec=" in line]
    assert len(fallback) == 1, done.stderr
    assert fallback[0].startswith("flujo_tuning.decision: codec=orjson (requested 'msgspec', from argument)")
    assert "msgspec is not installed; fell back to orjson" in fallback[0]
    assert len(lines) == 1  # info events (the other components, applied) print nothing


def test_with_basic_config_at_info_events_appear_in_the_apps_format(project: Path) -> None:
    setup = (
        "import logging\n"
        "logging.basicConfig(level=logging.INFO, format='APP %(levelname)s %(name)s %(message)s')\n"
    )
    done = _run_app(project, setup, FLUJO_CODEC="json")
    assert done.stdout == '{"app": "ran"}\n'
    lines = done.stderr.splitlines()
    codec = next(line for line in lines if "codec=" in line)
    assert codec.startswith("APP INFO flujo_tuning flujo_tuning.decision: codec=json")
    assert "from env FLUJO_CODEC" in codec
    assert "requested and available: json stdlib" in codec
    assert any(
        line.startswith("APP INFO flujo_tuning flujo_tuning.applied: profile='default'") for line in lines
    )
    assert len([line for line in lines if "flujo_tuning.decision" in line]) == len(COMPONENTS)


def test_structured_fields_are_attributes_of_the_log_record() -> None:
    with records_of("flujo_tuning", logging.INFO) as records:
        tuning = apply(codec="json")
    decisions = [r for r in records if r.event_name == "flujo_tuning.decision"]  # type: ignore[attr-defined]
    assert [r.component for r in decisions] == [d.component for d in tuning.decisions]  # type: ignore[attr-defined]
    codec = next(r for r in decisions if r.component == "codec")  # type: ignore[attr-defined]
    assert (codec.choice, codec.source, codec.fallback) == ("json", "argument", False)  # type: ignore[attr-defined]
    assert codec.reason == tuning.decision("codec").reason  # type: ignore[attr-defined]
    assert codec.levelno == logging.INFO
    applied = next(r for r in records if r.event_name == "flujo_tuning.applied")  # type: ignore[attr-defined]
    assert applied.fingerprint == tuning.fingerprint  # type: ignore[attr-defined]


def test_the_logger_level_silences_the_events() -> None:
    with records_of("flujo_tuning", logging.CRITICAL) as records:
        apply("throughput", codec="json")
    assert records == []


def test_timing_events_follow_the_stdlib_logger_too() -> None:
    apply(perf_debug=True)

    @flujo_tuning.perf.measure_time
    def step() -> int:
        return 1

    with records_of("flujo_tuning", logging.DEBUG) as records:
        step()
    (timing,) = records
    assert timing.event_name == "flujo_tuning.timing"  # type: ignore[attr-defined]
    assert timing.function.endswith("step")  # type: ignore[attr-defined]
    assert timing.duration_ns >= 0  # type: ignore[attr-defined]
    assert timing.levelno == logging.DEBUG


def test_a_configured_structlog_pipeline_gets_the_events_not_the_stdlib_logger() -> None:
    with records_of("flujo_tuning", logging.DEBUG) as records, capture_logs() as events:
        tuning = apply()
    assert records == []
    assert [e["component"] for e in events if e["event"] == "flujo_tuning.decision"] == [
        d.component for d in tuning.decisions
    ]


def test_structlog_configured_after_import_is_honoured() -> None:
    seen: list[str] = []

    def keep(logger: object, name: str, event: dict[str, object]) -> dict[str, object]:
        seen.append(str(event["event"]))
        raise structlog.DropEvent

    apply()  # routed to stdlib: nothing configured yet
    flujo_tuning.reset()
    with structlog_configured(processors=[keep]):
        apply()
    assert seen.count("flujo_tuning.decision") == len(COMPONENTS)


# 2. Other programs' FLUJO_* variables


@pytest.mark.parametrize("strict", [False, True])
def test_every_variable_flujo_reads_draws_no_warning_or_error(
    monkeypatch: pytest.MonkeyPatch, strict: bool
) -> None:
    assert len(FLUJO_0_6_11_VARIABLES) == 73
    for name in FLUJO_0_6_11_VARIABLES:
        monkeypatch.setenv(name, "1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert resolve(strict=strict).strict is strict
        apply(strict=strict)


@pytest.mark.parametrize(
    ("variable", "intended"),
    [
        ("FLUJO_DISABLE_UVLOP", "FLUJO_DISABLE_UVLOOP"),
        ("FLUJO_CODCE", "FLUJO_CODEC"),
        ("FLUJO_STRCT", "FLUJO_STRICT"),
    ],
)
def test_a_near_miss_of_the_same_shape_is_a_typo(
    monkeypatch: pytest.MonkeyPatch, variable: str, intended: str
) -> None:
    monkeypatch.setenv(variable, "1")
    with pytest.warns(
        ConfigWarning, match=f"{variable} is not a flujo_tuning setting.*did you mean '{intended}'"
    ):
        resolve()


# 3. Warnings point at the caller; public names look public


@pytest.mark.parametrize("call", ["apply", "resolve", "run", "cache_key"])
def test_config_warnings_point_at_the_callers_line(monkeypatch: pytest.MonkeyPatch, call: str) -> None:
    monkeypatch.setenv("FLUJO_CODCE", "json")

    async def main() -> None:
        return None

    calls: dict[str, Callable[[], object]] = {
        "apply": apply,
        "resolve": resolve,
        "run": lambda: run(main()),
        "cache_key": functools.partial(cache_key, {"a": 1}),
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = sys._getframe().f_lineno + 1
        calls[call]()
    (warning,) = [w for w in caught if issubclass(w.category, ConfigWarning)]
    assert Path(warning.filename).name == Path(__file__).name
    if call == "run":  # run() itself is called from inside the lambda
        line = calls["run"].__code__.co_firstlineno
    assert warning.lineno == line


def test_errors_present_themselves_under_the_public_module() -> None:
    assert ConfigError.__module__ == "flujo_tuning"
    assert ConfigWarning.__module__ == "flujo_tuning"
    assert repr(ConfigError("x")) == "ConfigError('x')"
    error = pickle.loads(pickle.dumps(ConfigError("bad value")))
    assert type(error) is ConfigError
    assert str(error) == "bad value"


def test_accepted_values_are_said_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUJO_CODEC", "ujson")
    with pytest.raises(ConfigError) as caught:
        resolve()
    message = str(caught.value)
    assert message.count("'orjson'") == 1
    assert message == (
        "environment variable FLUJO_CODEC: invalid value 'ujson' for codec (did you mean 'json'?); "
        "accepted: one of 'auto', 'orjson', 'msgspec', 'json'"
    )


# 4. Nothing silently ignored


@pytest.mark.parametrize("table", ["flujo-tuning", "flujo_tunning", "FlujoTuning", "flujotuning"])
def test_a_misnamed_pyproject_table_warns_with_the_right_name(project: Path, table: str) -> None:
    path = write(project / "pyproject.toml", f'[project]\nname = "x"\n\n[tool.{table}]\ncodec = "json"\n')
    with pytest.warns(ConfigWarning) as caught:
        settings = resolve()
    assert settings.codec == "auto"
    (warning,) = caught
    assert str(warning.message) == (
        f"{path.resolve()}:4: table [tool.{table}] is not read by flujo_tuning "
        "(did you mean [tool.flujo_tuning]?)"
    )
    assert Path(warning.filename).name == Path(__file__).name
    with pytest.raises(ConfigError, match=r"\[tool\.flujo_tuning\]\?\); strict mode makes this an error"):
        resolve(strict=True)


def test_flujos_own_table_and_other_tools_are_not_near_misses(
    project: Path, recwarn: pytest.WarningsRecorder
) -> None:
    write(project / "pyproject.toml", "[tool.flujo]\nx = 1\n[tool.ruff]\nline-length = 100\n")
    resolve()
    assert not [w for w in recwarn if issubclass(w.category, ConfigWarning)]


# 6. What users read matches what they get


def test_every_name_the_tuning_repr_shows_is_readable_with_that_value() -> None:
    import ast
    import re

    tuning = apply("throughput")
    text = repr(tuning)
    assert text.startswith("Tuning(")
    shown = dict(re.findall(r"(\w+)=((?:'[^']*')|(?:\{[^}]*\}))", text))
    assert set(shown) == {"profile", "choices", "fingerprint"}
    for name, value in shown.items():
        assert getattr(tuning, name) == ast.literal_eval(value)


def test_an_unknown_component_is_a_key_error_naming_the_components() -> None:
    tuning = apply()
    with pytest.raises(KeyError, match="no decision for 'nope'; components: event_loop, task_factory, codec"):
        tuning.decision("nope")  # type: ignore[arg-type]


def test_the_demo_prints_every_decision_and_the_loops_qualified_class(project: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flujo_tuning.tools.demo", "stdlib"],
        capture_output=True,
        text=True,
        cwd=project,
        check=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("FLUJO_")},
    )
    assert done.stdout.count("flujo_tuning.decision") == len(COMPONENTS)
    assert "flujo_tuning.applied" in done.stdout
    stdlib_loop = asyncio.SelectorEventLoop
    assert f"loop {stdlib_loop.__module__}.{stdlib_loop.__qualname__}," in done.stdout
    assert "from argument" in done.stdout


def test_the_demo_reports_a_bad_profile_on_stderr(project: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flujo_tuning.tools.demo", "thruput"],
        capture_output=True,
        text=True,
        cwd=project,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("configuration error: unknown profile 'thruput'")
