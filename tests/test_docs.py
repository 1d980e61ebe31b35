"""docs/ stays in step with the code: every setting, variable and shipped profile is documented."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest

from flujo_tuning import apply
from flujo_tuning.components.decision import Component
from flujo_tuning.config.profiles import shipped_profiles_dir
from flujo_tuning.config.settings import EXTRA_ENV_VARS, SETTING_NAMES, env_var
from flujo_tuning.perf import TIMING_EVENT
from flujo_tuning.runtime import events

DOCS = Path(__file__).resolve().parent.parent / "docs"
CONFIGURATION = (DOCS / "configuration.md").read_text()
DECISIONS = (DOCS / "decisions.md").read_text()


@pytest.mark.parametrize("name", SETTING_NAMES)
def test_every_setting_and_its_variable_is_documented(name: str) -> None:
    assert f"| `{name}` | `{env_var(name)}` |" in CONFIGURATION


@pytest.mark.parametrize("name", sorted(EXTRA_ENV_VARS))
def test_every_other_variable_is_documented(name: str) -> None:
    assert f"`{name}`" in CONFIGURATION


@pytest.mark.parametrize("name", sorted(p.stem for p in shipped_profiles_dir().glob("*.toml")))
def test_every_shipped_profile_is_documented(name: str) -> None:
    assert f"| `{name}` |" in CONFIGURATION


@pytest.mark.parametrize(
    "event",
    [*(getattr(events, name) for name in events.__all__ if name.endswith("_EVENT")), TIMING_EVENT],
)
def test_every_event_is_documented(event: str) -> None:
    assert f"| `{event}` |" in DECISIONS


@pytest.mark.parametrize("component", get_args(Component))
def test_every_component_has_a_section(component: str) -> None:
    assert f"### {component}\n" in DECISIONS


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"codec": "json", "hasher": "sha256", "event_loop": "asyncio"},
        {"hasher": "xxh3_128", "perf_debug": True, "event_loop": "winloop"},
        {"task_factory": "eager", "asyncio_debug": True, "codec": "msgspec"},
        {"state_backend": "memory", "tracing": "off"},
    ],
)
def test_reasons_the_library_logs_are_documented(overrides: dict[str, object]) -> None:
    """Each clause of each logged reason, names and numbers aside, is written in docs/decisions.md."""
    documented = _shape(DECISIONS)
    for decision in apply(**overrides).decisions:  # type: ignore[arg-type]
        for clause in decision.reason.split("; "):
            assert _shape(clause) in documented, f"undocumented reason clause: {clause!r}"


_VARYING = re.compile(
    r"<[^>]*>|\b(?:uvloop|winloop|orjson|msgspec|json|blake3|sha256|blake2b|xxh3_128|hashlib"
    r"|stdlib asyncio|asyncio's default task factory|stdlib|linux|win32)\b|\d[\w.]*"
)


def _shape(text: str) -> str:
    """Text with names, versions, numbers and parenthesised detail replaced by one placeholder."""
    text = text.replace("`", "")
    while (unnested := re.sub(r"\([^()]*\)", "~", text)) != text:  # innermost parentheses first
        text = unnested
    text = _VARYING.sub("~", text)
    return re.sub(r"~(?:[\s~]*~)?", "~", " ".join(text.split()))


def test_generated_doc_blocks_are_up_to_date() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("docs_generate", DOCS / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    assert generate.stale() == []


API = (DOCS / "api.md").read_text()


def _public_functions() -> list[str]:
    import inspect

    import flujo_tuning

    return [n for n in flujo_tuning.__all__ if inspect.isfunction(getattr(flujo_tuning, n))]


@pytest.mark.parametrize("name", __import__("flujo_tuning").__all__)
def test_every_public_name_has_a_section_in_the_api_page(name: str) -> None:
    assert f"### `{name}`" in API or f"## `{name}`" in API


def test_the_top_level_of_the_api_page_is_exactly_all() -> None:
    """The Functions and Classes sections list what flujo_tuning exports, and nothing else."""
    import flujo_tuning

    top = API[: API.index("## Documented homes for the rest")]
    listed = re.findall(r"^### `(\w+)`$", top, re.M)
    assert sorted(listed) == sorted(flujo_tuning.__all__)
    assert len(flujo_tuning.__all__) <= 15  # about a dozen: what an application calls


#: Documented homes of what is not at the top level: module -> functions shown with their signature.
HOMES = {
    "flujo_tuning.cache_keys": ["register_encoder", "unregister_encoder"],
    "flujo_tuning.tools.calibrate": ["calibrate"],
}


@pytest.mark.parametrize(
    ("module", "name"), [(module, name) for module, names in HOMES.items() for name in names]
)
def test_each_documented_home_shows_its_current_signature(module: str, name: str) -> None:
    import importlib
    import inspect

    function = getattr(importlib.import_module(module), name)
    assert f"#### `{module}.{name}`" in API
    signature = str(inspect.signature(function)).replace("'", "")
    assert f"`{name}{signature}`" in API


@pytest.mark.parametrize(
    "path",
    [
        "flujo_tuning.components.decision.Decision",
        "flujo_tuning.config.settings.ResolvedSettings",
        "flujo_tuning.components.codec.Codec",
        "flujo_tuning.components.hasher.Hasher",
        "flujo_tuning.components.buffers.ScratchBuffers",
        "flujo_tuning.tools.calibrate.CalibrationReport",
        "flujo_tuning.tools.calibrate.CalibrationError",
    ],
)
def test_each_documented_type_lives_where_the_page_says(path: str) -> None:
    import importlib

    module, _, name = path.rpartition(".")
    assert isinstance(getattr(importlib.import_module(module), name), type)
    assert f"#### `{path}`" in API


@pytest.mark.parametrize("name", _public_functions())
def test_the_api_page_shows_each_functions_current_signature(name: str) -> None:
    import inspect

    import flujo_tuning

    signature = str(inspect.signature(getattr(flujo_tuning, name))).replace("'", "")
    assert f"`{name}{signature}`" in API


def test_the_api_page_lists_every_public_attribute_of_tuning() -> None:
    import dataclasses

    from flujo_tuning import Tuning

    public = {f.name for f in dataclasses.fields(Tuning)} | set(vars(Tuning))
    public = {name for name in public if not name.startswith("_")}
    assert public == {
        "settings", "profile", "decisions", "choices", "decision", "codec", "hasher",
        "loop_factory", "buffers", "fingerprint", "cache_key", "environ", "canonical_bytes",
        "facts", "loop_class", "task_factory", "installs_policy", "flujo_environ",
        "plain_loop_factory", "configure_loop", "closes_flujo_state",
    }  # fmt: skip
    for name in public:
        assert f"`tuning.{name}" in API, name


@pytest.mark.parametrize(
    ("page", "false_claim"),
    [
        ("../README.md", "task factory (eager tasks)"),  # the default profile keeps asyncio's factory
        ("index.md", "the task factory (eager tasks)"),
        ("recipes.md", "applies the default profile"),  # run() applies the selected profile
        ("recipes.md", "the same loop family flujo_tuning would pick"),  # false under stdlib/debug
        ("migrating.md", "installs uvloop's policy at import"),  # Flujo 0.6.11 does not
        ("decisions.md", "as structlog's default console renderer prints it"),  # not without configure()
    ],
)
def test_claims_found_false_stay_out_of_the_docs(page: str, false_claim: str) -> None:
    assert false_claim not in (DOCS / page).read_text(encoding="utf-8")


def test_the_console_sample_of_decisions_shows_every_field_of_a_decision() -> None:
    page = (DOCS / "decisions.md").read_text(encoding="utf-8")
    samples = [line for line in page.splitlines() if line.startswith("[") and "flujo_tuning.decision" in line]
    assert samples
    for line in samples:
        for field in ("choice=", "component=", "fallback=", "in_effect=", "reason=", "requested=", "source="):
            assert field in line, (field, line)
