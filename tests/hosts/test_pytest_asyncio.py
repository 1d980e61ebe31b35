"""Real pytest-asyncio, in a pytest of its own: its ``pytest_asyncio_loop_factories`` hook gives
every async test a loop of ours, and verify() inside the test says it matches. Without the hook
the test's loop is pytest-asyncio's, and verify() says what differs.

Needs the ``test-hosts`` dependency group (make test-hosts).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import write

if importlib.util.find_spec("pytest_asyncio") is None:
    pytest.skip("needs the test-hosts group (make test-hosts)", allow_module_level=True)

pytestmark = pytest.mark.hosts

EAGER = sys.version_info >= (3, 12)
NO_CACHE = ("-p", "no:cacheprovider")
DEBUG_OFF = "asyncio_debug: decided on but the running loop's debug mode is off"

CONFTEST = """
import flujo_tuning

TUNING = flujo_tuning.apply("{profile}")


def pytest_asyncio_loop_factories(config, item):
    return {{"flujo": TUNING.loop_factory}}
"""

TESTS = """
import asyncio

import pytest

import flujo_tuning


@pytest.mark.asyncio
async def test_the_loop_is_ours():
    assert flujo_tuning.verify() == []
    loop = asyncio.get_running_loop()
    assert isinstance(loop, flujo_tuning.current().loop_class)
    assert loop.get_task_factory() is flujo_tuning.current().task_factory
"""

PLAIN_TESTS = """
import pytest

import flujo_tuning


@pytest.mark.asyncio
async def test_the_loop_is_pytest_asyncio_s():
    differences = flujo_tuning.verify()
    print("DIFFERENCES", differences)
    assert differences
"""


def _pytest(project: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("FLUJO_", "PYTEST_", "COV_", "COVERAGE_"))
    }
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "pytest_asyncio",
            "-q",
            "-s",
            "-W",
            "error",
            "-p",
            "no:cacheprovider",
            *extra,
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _project(project: Path) -> Path:
    write(project / "pytest.ini", "[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    return project


@pytest.mark.parametrize("profile", ["default", "throughput", "debug"])
def test_the_loop_factories_hook_runs_async_tests_on_our_loop(tmp_path: Path, profile: str) -> None:
    project = _project(tmp_path)
    write(project / "conftest.py", CONFTEST.format(profile=profile))
    write(project / "test_tuned.py", TESTS)
    # pytest-asyncio sets its loops' debug mode itself: --asyncio-debug for the debug profile.
    done = _pytest(project, *(["--asyncio-debug"] if profile == "debug" else []))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


def test_without_asyncio_debug_the_debug_profile_is_not_in_effect_and_verify_says_so(tmp_path: Path) -> None:
    project = _project(tmp_path)
    write(project / "conftest.py", CONFTEST.format(profile="debug"))
    write(project / "test_plain.py", PLAIN_TESTS)
    done = _pytest(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"DIFFERENCES {[DEBUG_OFF]!r}" in done.stdout


def test_without_the_hook_verify_says_what_differs(tmp_path: Path) -> None:
    project = _project(tmp_path)
    write(project / "conftest.py", 'import flujo_tuning\n\nflujo_tuning.apply("throughput")\n')
    write(project / "test_plain.py", PLAIN_TESTS)
    done = _pytest(project)
    if EAGER:  # pytest-asyncio's loop: the decided class (through the policy), no eager tasks
        assert done.returncode == 0, done.stdout + done.stderr
        assert "task_factory: decided eager" in done.stdout
    else:  # nothing differs where eager tasks cannot be decided
        assert "assert []" in done.stdout


def test_an_autouse_reset_forgets_the_tuning_the_hook_s_loops_were_made_by(tmp_path: Path) -> None:
    """The trap docs/deploying.md warns about, kept true."""
    project = _project(tmp_path)
    write(
        project / "conftest.py",
        CONFTEST.format(profile="default")
        + "\n\nimport pytest\n\n\n@pytest.fixture(autouse=True)\ndef clean():\n"
        + "    flujo_tuning.reset()\n    yield\n    flujo_tuning.reset()\n",
    )
    write(project / "test_plain.py", PLAIN_TESTS)
    done = _pytest(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "DIFFERENCES ['no Tuning is in force in this process: apply() has not run']" in done.stdout
