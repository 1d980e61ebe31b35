"""docs/ stays in step with the code: every setting, variable and shipped profile is documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from flujo_tuning.profiles import shipped_profiles_dir
from flujo_tuning.settings import EXTRA_ENV_VARS, SETTING_NAMES

CONFIGURATION = (Path(__file__).resolve().parent.parent / "docs" / "configuration.md").read_text()


@pytest.mark.parametrize("name", SETTING_NAMES)
def test_every_setting_and_its_variable_is_documented(name: str) -> None:
    assert f"| `{name}` | `FLUJO_{name.upper()}` |" in CONFIGURATION


@pytest.mark.parametrize("name", sorted(EXTRA_ENV_VARS))
def test_every_other_variable_is_documented(name: str) -> None:
    assert f"`{name}`" in CONFIGURATION


@pytest.mark.parametrize("name", sorted(p.stem for p in shipped_profiles_dir().glob("*.toml")))
def test_every_shipped_profile_is_documented(name: str) -> None:
    assert f"| `{name}` |" in CONFIGURATION
