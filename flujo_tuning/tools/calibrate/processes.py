"""One worker process per candidate, and the JSON-lines channel to it."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import Any

from .report import CandidateResult

#: Kept free at the end of the budget for stopping the worker processes.
_CLOSING_SECONDS = 1.0


class _Process:
    """One candidate's worker process and its JSON-lines channel."""

    def __init__(self, result: CandidateResult, target: str, environ: dict[str, str], cwd: Path) -> None:
        from ...config.settings import SETTING_NAMES, env_var

        self.result = result
        self.target, self.environ, self.cwd = target, environ, cwd
        ours = {env_var(name) for name in SETTING_NAMES} | {"FLUJO_PYPROJECT"}
        env = {k: v for k, v in os.environ.items() if k not in ours}
        env.update(environ)
        # Its stderr, read back when it dies; closed in close().
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flujo_tuning.tools.calibrate.worker", target],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=cwd,
            env=env,
            text=True,
            encoding="utf-8",
            start_new_session=True,  # Ctrl-C in the terminal is for the parent alone
        )

    def again(self, result: CandidateResult) -> _Process:
        """The same candidate in a new process (fresh rounds: a process can be lucky for a whole run)."""
        return _Process(result, self.target, self.environ, self.cwd)

    def ask(self, command: str | None, timeout: float, stage: str = "sample") -> dict[str, Any] | None:
        """Send *command* (None: just read), return the answer; None after marking a failure
        (*stage* names what the worker was doing, for a hang or a death)."""
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None
        assert stdout is not None
        if command is not None:
            try:
                stdin.write(command + "\n")
                stdin.flush()
            except OSError:
                self._lost("its process ended", stage)
                return None
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                self._lost(f"hung: no answer within {timeout:.1f} s (the time this stage may take)", stage)
                return None
        line = stdout.readline()
        if not line:
            self._lost("its process ended", stage)
            return None
        message: dict[str, Any] = json.loads(line)
        if message.get("event") == "failed":
            self.result.stage = message.get("stage", "process")
            self.result.error = message.get("error", "failed")
            self.result.detail = message.get("detail", "")
            self.close()
            return None
        return message

    def _lost(self, why: str, stage: str) -> None:
        """Mark the candidate failed with the tail of its stderr (read before closing it)."""
        if why == "its process ended":
            try:  # it is ending: let it, so that its own exit code is the one reported
                code = self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                code = self.process.wait()
            why += f" (exit code {code})" if code >= 0 else f" (killed by signal {-code})"
        elif self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._stderr.seek(0)
        tail = self._stderr.read()[-2000:].strip()
        self.close()
        self.result.stage, self.result.error, self.result.detail = stage, why, tail

    def close(self) -> None:
        if self.process.poll() is None:
            with suppress(OSError):
                assert self.process.stdin is not None
                self.process.stdin.close()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with suppress(OSError):
                    stream.close()
        self._stderr.close()
