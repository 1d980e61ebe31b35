"""Every fault ends in a clear error naming its source, or a logged fallback; the process keeps what it had.

Each case is one function; the test records how it ended in the ledger for docs/reliability.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

import flujo_tuning
from flujo_tuning import ConfigError, apply, current

from ..conftest import deny_reading, loop_policy, raising, replace_module, structlog_configured, write


@dataclass
class Env:
    """What a fault case may touch."""

    project: Path
    monkeypatch: pytest.MonkeyPatch
    hide: Callable[..., None]

    def pyproject(self, text: str) -> Path:
        return write(self.project / "pyproject.toml", text)

    def profile(self, name: str, text: str) -> Path:
        self.pyproject(f'[tool.flujo_tuning]\nprofile = "{name}"\nprofile_dirs = ["tuning"]\n')
        return write(self.project / "tuning" / f"{name}.toml", text)


CASES: dict[str, Callable[[Env], tuple[str, str]]] = {}


def case(name: str) -> Callable[[Callable[[Env], tuple[str, str]]], Callable[[Env], tuple[str, str]]]:
    def register(function: Callable[[Env], tuple[str, str]]) -> Callable[[Env], tuple[str, str]]:
        CASES[name] = function
        return function

    return register


def expect_error(*fragments: str, **overrides: Any) -> tuple[str, str]:
    """apply() must raise ConfigError whose message holds every fragment; state must be kept."""
    before = current()
    policy = loop_policy()
    with pytest.raises(ConfigError) as caught:
        apply(**overrides)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert current() is before
    assert loop_policy() is policy
    return "error", message


def expect_fallback(component: str, reason: str, **overrides: Any) -> tuple[str, str]:
    """apply() must succeed, log the decision, and use what the decision says."""
    with capture_logs() as events:
        tuning = apply(**overrides)
    decision = tuning.decision(component)  # type: ignore[arg-type]
    assert reason in decision.reason, decision.reason
    logged = [e for e in events if e.get("component") == component]
    assert logged
    assert logged[0]["reason"] == decision.reason
    _assert_in_use(tuning)
    return "fallback", decision.reason


def _assert_in_use(tuning: flujo_tuning.Tuning) -> None:
    """The decisions never claim a backend that is not in use."""
    loop = tuning.loop_factory()
    try:
        expected = {"uvloop": "uvloop", "winloop": "winloop", "asyncio": "asyncio"}[
            tuning.decision("event_loop").choice
        ]
        assert type(loop).__module__.split(".")[0] == expected
    finally:
        loop.close()
    assert tuning.codec.name == tuning.decision("codec").choice
    reference = {"json": lambda v: json.dumps(v, separators=(",", ":")).encode()}
    if tuning.codec.name in reference:
        assert tuning.codec.dumps({"a": [1, "b"]}) == reference[tuning.codec.name]({"a": [1, "b"]})
    else:
        module = sys.modules[tuning.codec.name]
        encode = module.dumps if tuning.codec.name == "orjson" else module.json.encode
        assert tuning.codec.dumps({"a": [1, "b"]}) == encode({"a": [1, "b"]})
    assert tuning.hasher.name == tuning.decision("hasher").choice
    if tuning.hasher.name in ("sha256",):
        assert tuning.hasher.hexdigest(b"x") == hashlib.sha256(b"x").hexdigest()


# ---------------------------------------------------------------- configuration faults


@case("malformed pyproject.toml")
def _(env: Env) -> tuple[str, str]:
    path = env.pyproject('[tool.flujo_tuning]\ncodec = "orjson"\nhasher = \n')
    return expect_error(f"{path.resolve()}:3:10: invalid TOML")


@case("malformed profile file")
def _(env: Env) -> tuple[str, str]:
    path = env.profile("p", 'codec = "json\n')
    return expect_error(f"{path.resolve()}:1:", "invalid TOML")


@case("pyproject.toml not UTF-8")
def _(env: Env) -> tuple[str, str]:
    path = env.project / "pyproject.toml"
    path.write_bytes(b'[tool.flujo_tuning]\ncodec = "\xff"\n')
    return expect_error(str(path.resolve()), "not valid UTF-8")


@case("profile file not UTF-8")
def _(env: Env) -> tuple[str, str]:
    path = env.profile("p", "")
    path.write_bytes(b"description = '\xfe'\n")
    return expect_error(str(path.resolve()), "not valid UTF-8")


@case("profile path is a directory")
def _(env: Env) -> tuple[str, str]:
    env.profile("p", "").unlink()
    (env.project / "tuning" / "p.toml").mkdir()
    return expect_error("p.toml: is a directory")


@case("profile file unreadable")
def _(env: Env) -> tuple[str, str]:
    path = env.profile("p", 'codec = "json"\n').resolve()
    deny_reading(env.monkeypatch, path)
    return expect_error(f"{path}: cannot read file: Permission denied")


@case("unknown key in [tool.flujo_tuning]")
def _(env: Env) -> tuple[str, str]:
    env.pyproject('[tool.flujo_tuning]\nhashr = "sha256"\n')
    return expect_error("unknown key 'hashr'", "did you mean 'hasher'")


@case("unknown key in a profile file")
def _(env: Env) -> tuple[str, str]:
    env.profile("p", 'task_factroy = "eager"\n')
    return expect_error("unknown key 'task_factroy'", "did you mean 'task_factory'")


@case("unknown key in an inline profile")
def _(env: Env) -> tuple[str, str]:
    env.pyproject('[tool.flujo_tuning]\nprofile = "p"\n[tool.flujo_tuning.profiles.p]\nbufer_size = 1\n')
    return expect_error("pyproject.toml:4: unknown key 'bufer_size'", "did you mean 'buffer_size'")


@case("unknown profile from the environment")
def _(env: Env) -> tuple[str, str]:
    env.monkeypatch.setenv("FLUJO_PROFILE", "thruput")
    return expect_error("unknown profile 'thruput'", "FLUJO_PROFILE", "available profiles:", "looked in:")


@case("unknown profile from pyproject.toml")
def _(env: Env) -> tuple[str, str]:
    env.pyproject('[tool.flujo_tuning]\nprofile = "nope"\n')
    return expect_error("unknown profile 'nope'", "pyproject.toml:2 key 'profile'")


@case("blank profile name")
def _(env: Env) -> tuple[str, str]:
    env.monkeypatch.setenv("FLUJO_PROFILE", "   ")
    return expect_error("environment variable FLUJO_PROFILE: profile must be a non-empty name")


@case("profile name escaping its directory")
def _(env: Env) -> tuple[str, str]:
    return expect_error("unknown profile '../../etc/passwd'", profile="../../etc/passwd")


@case("invalid codec in the environment")
def _(env: Env) -> tuple[str, str]:
    env.monkeypatch.setenv("FLUJO_CODEC", "bogus")
    return expect_error("environment variable FLUJO_CODEC: invalid value 'bogus'", "'orjson'")


@case("invalid boolean in the environment")
def _(env: Env) -> tuple[str, str]:
    env.monkeypatch.setenv("FLUJO_DISABLE_UVLOOP", "maybe")
    return expect_error("FLUJO_DISABLE_UVLOOP: invalid value 'maybe'", "yes/no")


@case("negative buffer size in the environment")
def _(env: Env) -> tuple[str, str]:
    env.monkeypatch.setenv("FLUJO_BUFFER_SIZE", "-1")
    return expect_error("FLUJO_BUFFER_SIZE: invalid value '-1'", "256 B to 64 MiB")


@case("buffer size too large in pyproject.toml")
def _(env: Env) -> tuple[str, str]:
    env.pyproject('[tool.flujo_tuning]\nbuffer_size = "1GiB"\n')
    return expect_error("pyproject.toml:2 key 'buffer_size': invalid value '1GiB'")


@case("wrong value type in pyproject.toml")
def _(env: Env) -> tuple[str, str]:
    env.pyproject("[tool.flujo_tuning]\ncodec = 3\n")
    return expect_error("key 'codec': invalid value 3")


@case("invalid value in a profile file")
def _(env: Env) -> tuple[str, str]:
    path = env.profile("p", 'task_factory = "lazy"\n')
    return expect_error(f"{path.resolve()}:1 key 'task_factory' (profile 'p'): invalid value 'lazy'")


@case("environment typo in strict mode")
def _(env: Env) -> tuple[str, str]:
    env.monkeypatch.setenv("FLUJO_DISABLE_UVLOP", "1")
    return expect_error("FLUJO_DISABLE_UVLOP", "did you mean 'FLUJO_DISABLE_UVLOOP'", strict=True)


@case("extends cycle")
def _(env: Env) -> tuple[str, str]:
    env.pyproject(
        '[tool.flujo_tuning]\nprofile = "a"\n[tool.flujo_tuning.profiles.a]\nextends = "b"\n'
        '[tool.flujo_tuning.profiles.b]\nextends = "a"\n'
    )
    return expect_error("cycle: a -> b -> a")


@case("extends a missing parent")
def _(env: Env) -> tuple[str, str]:
    env.profile("p", 'extends = "ghost"\n')
    return expect_error("profile 'p' extends 'ghost', which does not exist", "chain: p -> ghost")


@case("extends is not a string")
def _(env: Env) -> tuple[str, str]:
    env.profile("p", "extends = 1\n")
    return expect_error("must be a string, got int 1")


@case("[tool.flujo_tuning] is a string")
def _(env: Env) -> tuple[str, str]:
    env.pyproject('[tool]\nflujo_tuning = "fast"\n')
    return expect_error("[tool.flujo_tuning] must be a table, got str 'fast'")


@case("[tool] is a string")
def _(env: Env) -> tuple[str, str]:
    env.pyproject('tool = "x"\n')
    return expect_error("'tool' must be a table, got str")


@case("50 MB profile file")
def _(env: Env) -> tuple[str, str]:
    path = env.profile("big", "")
    with path.open("wb") as big:
        big.truncate(50 * 1024 * 1024)  # sparse: instant to make, refused before any read
    big_file = path.resolve()
    real_open = Path.open

    def never_opened(self: Path, *args: Any, **kwargs: Any) -> Any:
        assert self.resolve() != big_file, "the huge file was opened for parsing"
        return real_open(self, *args, **kwargs)

    env.monkeypatch.setattr(Path, "open", never_opened)
    return expect_error(f"{big_file}: file is 52428800 bytes", "limited to 1048576 bytes")


@case("profile_dirs is not a list")
def _(env: Env) -> tuple[str, str]:
    env.pyproject('[tool.flujo_tuning]\nprofile_dirs = "tuning"\n')
    return expect_error("key 'profile_dirs': must be a list of directory paths")


@case("profile_dirs names a missing directory")
def _(env: Env) -> tuple[str, str]:
    env.pyproject('[tool.flujo_tuning]\nprofile_dirs = ["missing"]\n')
    return expect_error("profile directory 'missing'", "does not exist")


@case("FLUJO_PYPROJECT names a missing file")
def _(env: Env) -> tuple[str, str]:
    env.monkeypatch.setenv("FLUJO_PYPROJECT", str(env.project / "nope.toml"))
    return expect_error("nope.toml: pyproject file not found (given by env FLUJO_PYPROJECT)")


@case("typo in an argument")
def _(env: Env) -> tuple[str, str]:
    return expect_error("argument 'hasherr' is not a setting", "did you mean 'hasher'", hasherr="sha256")


@case("invalid argument value")
def _(env: Env) -> tuple[str, str]:
    return expect_error("argument task_factory: invalid value 'lazy'", task_factory="lazy")


@case("uvloop requested while FLUJO_DISABLE_UVLOOP is set")
def _(env: Env) -> tuple[str, str]:
    env.monkeypatch.setenv("FLUJO_DISABLE_UVLOOP", "1")
    return expect_error("asks for 'uvloop' but env FLUJO_DISABLE_UVLOOP", event_loop="uvloop")


@case("profile file removed after it was read")
def _(env: Env) -> tuple[str, str]:
    path = env.profile("p", 'codec = "json"\nhasher = "sha256"\n')
    _remove_after_reading(env, path, path.unlink)
    tuning = apply()
    assert (tuning.codec.name, tuning.hasher.name) == ("json", "sha256")
    assert not path.exists()
    return "snapshot", "the values read before the file disappeared were applied"


@case("profile file rewritten after it was read")
def _(env: Env) -> tuple[str, str]:
    path = env.profile("p", 'codec = "json"\nhasher = "sha256"\n')
    _remove_after_reading(env, path, lambda: path.write_text('codec = "msgspec"\nhasher = "blake2b"\n'))
    tuning = apply()
    assert (tuning.codec.name, tuning.hasher.name) == ("json", "sha256")
    assert tuning.settings.codec == "json"
    return "snapshot", "one consistent snapshot (the first read) was applied"


def _remove_after_reading(env: Env, path: Path, change: Callable[[], Any]) -> None:
    from flujo_tuning.config import sources

    real = sources.ProfileSource.from_file.__func__  # type: ignore[attr-defined]

    def read_then_change(cls: Any, settings_cls: Any, name: str, file: Path, origin: str) -> Any:
        source = real(cls, settings_cls, name, file, origin)
        if file.resolve() == path.resolve():
            change()
        return source

    env.monkeypatch.setattr(sources.ProfileSource, "from_file", classmethod(read_then_change))


# ---------------------------------------------------------------- backend faults


@case("uvloop not installed")
def _(env: Env) -> tuple[str, str]:
    env.hide("uvloop")
    return expect_fallback("event_loop", "uvloop is not installed")


@case("uvloop import raises ImportError")
def _(env: Env) -> tuple[str, str]:
    env.hide("uvloop", ImportError("undefined symbol: uv_loop_init"))
    return expect_fallback("event_loop", "uvloop failed to import (ImportError", event_loop="uvloop")


@case("uvloop import raises OSError")
def _(env: Env) -> tuple[str, str]:
    env.hide("uvloop", OSError("libuv.so.1: cannot open shared object file"))
    return expect_fallback("event_loop", "uvloop failed to import (OSError", event_loop="uvloop")


@case("uvloop import raises AttributeError")
def _(env: Env) -> tuple[str, str]:
    env.hide("uvloop", AttributeError("module 'asyncio' has no attribute 'X'"))
    return expect_fallback("event_loop", "uvloop failed to import (AttributeError", event_loop="uvloop")


@case("uvloop fails its first loop")
def _(env: Env) -> tuple[str, str]:
    replace_module(
        env.monkeypatch,
        "uvloop",
        __version__="9.9",
        new_event_loop=raising(RuntimeError("epoll_create failed")),
    )
    return expect_fallback("event_loop", "uvloop failed to create a loop (RuntimeError: epoll_create failed)")


@case("winloop requested outside Windows")
def _(env: Env) -> tuple[str, str]:
    return expect_fallback("event_loop", "winloop only runs on Windows", event_loop="winloop")


@case("orjson not installed")
def _(env: Env) -> tuple[str, str]:
    env.hide("orjson")
    return expect_fallback("codec", "orjson is not installed", codec="orjson")


@case("orjson fails its first call")
def _(env: Env) -> tuple[str, str]:
    replace_module(
        env.monkeypatch,
        "orjson",
        __version__="9.9",
        dumps=raising(SystemError("corrupted build")),
        loads=json.loads,
    )
    return expect_fallback("codec", "orjson failed its first call (SystemError: corrupted build)")


@case("orjson and msgspec not installed")
def _(env: Env) -> tuple[str, str]:
    env.hide("orjson")
    env.hide("msgspec")
    return expect_fallback("codec", "orjson is not installed; msgspec is not installed")


@case("blake3 not installed")
def _(env: Env) -> tuple[str, str]:
    env.hide("blake3")
    return expect_fallback("hasher", "blake3 is not installed", hasher="blake3")


@case("blake3 gives wrong digests")
def _(env: Env) -> tuple[str, str]:
    replace_module(env.monkeypatch, "blake3", blake3=hashlib.md5)
    return expect_fallback("hasher", "blake3 gave a wrong digest for a known test vector")


@case("blake3 raises on its first call")
def _(env: Env) -> tuple[str, str]:
    replace_module(env.monkeypatch, "blake3", blake3=raising(MemoryError("simulated")))
    return expect_fallback("hasher", "blake3 failed its first call (MemoryError: simulated)")


@case("xxhash not installed")
def _(env: Env) -> tuple[str, str]:
    env.hide("xxhash")
    return expect_fallback("hasher", "xxhash is not installed", hasher="xxh3_128")


@case("eager task factory unusable")
def _(env: Env) -> tuple[str, str]:
    from flujo_tuning.components import task_factory

    env.monkeypatch.setattr(task_factory, "probe", lambda new_loop, factory: "TypeError: simulated")
    reason = "eager tasks fail on" if sys.version_info >= (3, 12) else "eager task factory needs Python 3.12"
    return expect_fallback("task_factory", reason, task_factory="eager")


@case("strict mode with uvloop missing")
def _(env: Env) -> tuple[str, str]:
    apply("stdlib")
    env.hide("uvloop")
    return expect_error(
        "event_loop 'uvloop' (from argument) is not available", event_loop="uvloop", strict=True
    )


@case("strict mode with orjson missing")
def _(env: Env) -> tuple[str, str]:
    apply()
    env.hide("orjson")
    return expect_error("codec 'orjson' (from argument) is not available", codec="orjson", strict=True)


@case("log processor raises")
def _(env: Env) -> tuple[str, str]:
    def broken(logger: Any, name: str, event: Any) -> Any:
        raise RuntimeError("log sink down")

    with (
        structlog_configured(processors=[broken]),
        pytest.warns(
            RuntimeWarning, match=r"could not log 'flujo_tuning\.(decision|applied)'.*log sink down"
        ) as caught,
    ):
        tuning = apply()
    assert current() is tuning
    assert {Path(w.filename).name for w in caught} == {"test_faults.py"}  # the caller's line
    return "fallback", "apply() completed; a RuntimeWarning said the events could not be logged"


@pytest.mark.parametrize("name", list(CASES))
def test_fault(
    name: str,
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    hide_module: Callable[..., None],
    fault: Callable[[str, str, str], None],
) -> None:
    outcome, detail = CASES[name](Env(project, monkeypatch, hide_module))
    assert outcome in {"error", "fallback", "snapshot"}
    fault(name, outcome, detail)


def test_there_are_many_distinct_fault_cases() -> None:
    assert len(CASES) >= 45
    assert os.path.basename(__file__) == "test_faults.py"
