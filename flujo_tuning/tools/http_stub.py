"""A local HTTP server for the network-bound benchmark scenarios: the standard library's threading
HTTP server on 127.0.0.1, answering every GET after a fixed delay, as a fast model API would.

Run as ``python -m flujo_tuning.tools.http_stub DELAY_MS``: it prints its port on the first line
of stdout, serves with HTTP/1.1 keep-alive, and stops when its stdin closes (so it never outlives
the benchmark that started it, even one that was killed).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["serving"]

_BODY = b'{"text": "Reply: thanks for your patience.", "usage": {"prompt": 112, "completion": 24}}'


def _handler(delay: float) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: what a shared client gains from
        # Headers and body go out as two writes: with Nagle's algorithm on, the body waits for the
        # client's delayed ACK (about 40 ms here), and the benchmark measured TCP, not the client.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            time.sleep(delay)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(_BODY)))
            self.end_headers()
            self.wfile.write(_BODY)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: a request log would cost the server time the benchmark does not measure."""

    return Handler


def main(argv: list[str]) -> int:
    delay = float(argv[0]) / 1000 if argv else 0.005
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(delay))
    server.daemon_threads = True
    print(server.server_address[1], flush=True)

    def stop_when_stdin_closes() -> None:
        sys.stdin.read()
        server.shutdown()

    threading.Thread(target=stop_when_stdin_closes, daemon=True).start()
    with server:
        server.serve_forever()
    return 0


@contextlib.contextmanager
def serving(delay_ms: float = 5.0) -> Iterator[str]:
    """The server in a process of its own (not competing for this one's GIL); yields its base URL
    and stops it on the way out."""
    process = subprocess.Popen(
        [sys.executable, "-m", "flujo_tuning.tools.http_stub", str(delay_ms)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}/"
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a server that ignores its stdin
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
