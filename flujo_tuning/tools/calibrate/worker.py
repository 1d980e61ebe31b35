"""One calibration candidate in a process of its own:
``python -m flujo_tuning.tools.calibrate.worker TARGET``.

The candidate's settings arrive as ``FLUJO_*`` variables and are applied at start-up, as a
production process would. Then the worker answers the parent, one JSON line per command, on the
stdout it was started with; the target's own prints go to /dev/null so they cannot corrupt that
channel. Commands (stdin, one per line): ``warmup SECONDS`` and ``sample CALLS``; end of input ends
the worker. Ctrl-C is the parent's business: the worker ignores SIGINT and stops when its stdin
closes.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import json
import os
import signal
import sys
import threading
import time
import traceback
import types
from collections.abc import Callable, Iterator
from typing import IO, Any

#: Warm-up never makes more calls than this, however fast the target.
MAX_WARMUP_CALLS = 1_000_000


class _TargetError(Exception):
    def __init__(self, stage: str, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.stage = stage
        self.message = message
        self.detail = detail


def _summary(exc: BaseException) -> tuple[str, str]:
    """The exception in one line, and the last frames of its traceback (the user's code)."""
    # The user's frames: the import machinery's own (<frozen importlib._bootstrap>) say nothing to them.
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith("<frozen")][-3:]
    lines = [f'  File "{f.filename}", line {f.lineno}, in {f.name}: {(f.line or "").strip()}' for f in frames]
    return f"{type(exc).__name__}: {exc}", "\n".join(lines)


def _article(noun: str) -> str:
    """``an int``, ``a str``: the message reads as English."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def load_target(spec: str) -> Callable[[], Any]:
    """``module:function`` imported from the current directory, checked to be callable without
    arguments; a _TargetError says what is wrong."""
    module_name, _, attribute = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except BaseException as exc:  # a target module may even call sys.exit()
        message, detail = _summary(exc)
        raise _TargetError("import", f"cannot import {module_name!r}: {message}", detail) from exc
    target: Any = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise _TargetError("target", f"module {module_name!r} has no attribute {attribute!r}")
        target = getattr(target, part)
    if not callable(target):
        raise _TargetError("target", f"{spec} is not callable (it is {_article(type(target).__name__)})")
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):  # some builtins have none: trust the call
        return target  # type: ignore[no-any-return]
    required = [
        p.name
        for p in signature.parameters.values()
        if p.default is inspect.Parameter.empty
        and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]
    if required:
        raise _TargetError(
            "target",
            f"{spec} needs arguments ({', '.join(required)}); calibrate calls it with none: "
            "wrap one representative unit of work in a function without parameters",
        )
    return target  # type: ignore[no-any-return]


class _Worker:
    """Answers the parent's commands, one JSON line each. An async target runs in one event loop
    for the worker's life (made by the applied Tuning, as in production); a sync target runs
    with no loop at all (it may start its own with asyncio.run)."""

    def __init__(self, target: Callable[[], Any], channel: IO[str]) -> None:
        self.target = target
        self.channel = channel
        self.is_async = inspect.iscoroutinefunction(target)

    def send(self, **message: Any) -> None:
        self.channel.write(json.dumps(message) + "\n")
        self.channel.flush()

    def commands(self) -> Iterator[tuple[str, str]]:
        for line in sys.stdin:
            command, _, argument = line.strip().partition(" ")
            if command not in ("warmup", "sample"):
                self.send(event="failed", stage="protocol", error=f"unknown command {line!r}")
                return
            yield command, argument

    def failed(self, command: str, exc: BaseException) -> None:
        message, detail = _summary(exc)
        if isinstance(exc, SystemExit):
            message = f"the target raised SystemExit({exc.code!r}) (it calls sys.exit())"
        self.send(
            event="failed", stage="warm-up" if command == "warmup" else "sample", error=message, detail=detail
        )

    def serve_sync(self) -> None:
        target = self.target

        def calls(count: int) -> float:
            start = time.perf_counter()
            for _ in range(count):
                target()
            return time.perf_counter() - start

        self.send(event="loaded", problems=[], choices=_choices())
        for command, argument in self.commands():
            try:
                if command == "warmup":
                    with UsageProbe() as probe:
                        calls(1)  # pays for imports and caches; not counted
                    warmup = WarmUp(float(argument))
                    for batch in warmup:
                        warmup.add(calls(batch))
                    self.send(event="ready", per_call=warmup.per_call, calls=warmup.calls, uses=probe.used)
                else:
                    self.send(event="sample", seconds=calls(int(argument)))
            except (Exception, SystemExit) as exc:
                self.failed(command, exc)
                return

    async def serve_async(self) -> None:
        from ... import verify

        target = self.target

        async def calls(count: int) -> float:
            start = time.perf_counter()
            for _ in range(count):
                await target()
            return time.perf_counter() - start

        # verify() inside the loop the target runs in: what runs is what was decided.
        self.send(event="loaded", problems=verify(), choices=_choices())
        for command, argument in self.commands():  # blocks the loop between samples, on purpose
            try:
                if command == "warmup":
                    with UsageProbe() as probe:
                        await calls(1)
                    warmup = WarmUp(float(argument))
                    for batch in warmup:
                        warmup.add(await calls(batch))
                    self.send(event="ready", per_call=warmup.per_call, calls=warmup.calls, uses=probe.used)
                else:
                    self.send(event="sample", seconds=await calls(int(argument)))
            except (Exception, SystemExit) as exc:
                self.failed(command, exc)
                return


def _choices() -> dict[str, str]:
    from ... import current

    tuning = current()
    return {d.component: d.choice for d in tuning.decisions} if tuning is not None else {}


class UsageProbe:
    """Which parts of the current Tuning one call of the target uses, so that candidates differing
    only in parts it never used are not measured against each other: ``codec``, ``hasher``,
    ``keys`` (cache keys), ``buffers`` (the scratch buffers), ``event_loop`` (an asyncio loop ran
    during the call: its class, task factory and debug mode), ``flujo`` (Flujo's code ran) and
    ``perf`` (flujo_tuning.perf's timers). Two ways of seeing, for one call only: the Tuning's codec,
    hasher and buffers get recording wrappers (a target that keeps the object sees them), and
    ``sys.setprofile`` recognises the tuning's own functions by identity (a target that kept a
    function itself) and sees which code runs, and inside which loop. What neither sees (a C
    function reached only through a ``functools.partial`` kept before the probe) counts as unused;
    the report names what was unused, so a user can tell."""

    def __init__(self) -> None:
        self.used: list[str] = []
        self._watched: dict[Any, str] = {}
        self._restore: list[tuple[Any, str, Any]] = []

    def _see(self, component: str) -> None:
        if component not in self.used:
            self.used.append(component)

    def _watch(self, component: str, *functions: Any) -> None:
        for function in functions:
            self._watched[id(function)] = component
            code = getattr(function, "__code__", None)
            if code is not None:
                self._watched[id(code)] = component

    def _wrap(self, holder: Any, name: str, component: str) -> None:
        original = getattr(holder, name)

        def recording(*args: Any, **kwargs: Any) -> Any:
            self._see(component)
            return original(*args, **kwargs)

        self._restore.append((holder, name, original))
        object.__setattr__(holder, name, recording)  # the codec and hasher are frozen dataclasses

    def _profile(self, frame: Any, event: str, arg: Any) -> None:
        key = id(arg) if event == "c_call" else id(frame.f_code) if event == "call" else None
        component = self._watched.get(key) if key is not None else None
        if component is not None:
            self._see(component)
        if event == "call":
            module = frame.f_globals.get("__name__") or ""
            if module == "flujo" or module.startswith("flujo."):
                self._see("flujo")
            elif module == "flujo_tuning.perf":
                self._see("perf")
            if self._running_loop() is not None:
                self._see("event_loop")

    def __enter__(self) -> UsageProbe:
        from asyncio.events import _get_running_loop

        from ... import current
        from ...runtime import apply
        from ...runtime.tuning import Tuning

        self._running_loop = _get_running_loop
        if _get_running_loop() is not None:  # an async target: it runs in the loop apply() decided
            self._see("event_loop")
        tuning = current()
        if tuning is not None:
            codec, hasher, buffers = tuning.codec, tuning.hasher, tuning.buffers
            self._watch("codec", codec.dumps, codec.loads)
            self._watch("hasher", hasher.digest, hasher.hexdigest, hasher.new)
            self._watch(
                "keys", Tuning.cache_key, Tuning.canonical_bytes, apply.cache_key, apply.canonical_bytes
            )
            self._watch("buffers", type(buffers).acquire, type(buffers).release)
            for name in ("dumps", "loads"):
                self._wrap(codec, name, "codec")
            for name in ("digest", "hexdigest", "new"):
                self._wrap(hasher, name, "hasher")
            for name in ("acquire", "release"):
                self._wrap(buffers, name, "buffers")
        sys.setprofile(self._profile)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.setprofile(None)
        for holder, name, original in reversed(self._restore):
            if isinstance(original, types.MethodType) and original.__self__ is holder:
                object.__delattr__(holder, name)  # a method the wrapper shadowed: its own again
            else:
                object.__setattr__(holder, name, original)


class WarmUp:
    """The warm-up rule, one for sync and async targets: call in doubling batches (the caller runs
    each batch it is given and adds its time) until *seconds* have passed or MAX_WARMUP_CALLS."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.count = 0
        self.elapsed = 0.0

    def __iter__(self) -> Iterator[int]:
        batch = 1
        while self.elapsed < self.seconds and self.count < MAX_WARMUP_CALLS:
            yield batch
            self.count += batch
            batch *= 2

    def add(self, seconds: float) -> None:
        self.elapsed += seconds

    @property
    def per_call(self) -> float:
        return self.elapsed / self.count if self.count else 0.0

    @property
    def calls(self) -> int:
        """Calls made, the uncounted first one included."""
        return self.count + 1


def die_with_parent() -> None:
    """A worker never outlives calibrate, even one killed with SIGKILL: Linux kills it with its
    parent (PR_SET_PDEATHSIG); everywhere, a watchdog thread ends it when the parent is gone (a
    target that hangs in Python code or a sleep cannot stop the thread)."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    if os.getppid() != parent:  # it died before the request took effect
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="flujo-tuning-calibrate-watchdog", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # the target's prints must not reach the protocol channel
    os.close(devnull)
    sys.path.insert(0, os.getcwd())
    worker: _Worker | None = None
    try:
        import flujo_tuning

        try:
            flujo_tuning.apply()
        except flujo_tuning.ConfigError as exc:
            raise _TargetError("apply", str(exc)) from exc
        worker = _Worker(load_target(args[0]), channel)
        if worker.is_async:
            flujo_tuning.run(worker.serve_async())
        else:
            worker.serve_sync()
    except _TargetError as failure:
        channel.write(
            json.dumps(
                {
                    "event": "failed",
                    "stage": failure.stage,
                    "error": failure.message,
                    "detail": failure.detail,
                }
            )
            + "\n"
        )
        channel.flush()
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
