"""A small local HTTP proxy that injects faults (for the harvester tests): status codes, truncated bodies,
delays. The upstream sees the proxy's Host, so the links of its Bundles point back to the proxy."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

# A fault: called with the request number (1-based) and path; returns an action or None.
Fault = Callable[[int, str], "str | None"]


class FaultProxy:
    """Forwards GETs to ``upstream``; ``faults`` decide per request: '503', '429', '500', 'truncate',
    'timeout' (answers after ``delay_s``), or None (forward)."""

    def __init__(self, upstream: str, delay_s: float = 2.0) -> None:
        self.upstream = upstream.rstrip("/")
        self.delay_s = delay_s
        self.faults: list[Fault] = []
        self.log: list[tuple[int, str, str | None, str | None]] = []  # (n, path, action, authorization)
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                proxy._handle(self)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        with self._lock:
            n = len(self.log) + 1
            action = next((a for f in self.faults if (a := f(n, h.path))), None)
            self.log.append((n, h.path, action, h.headers.get("Authorization")))
        if action in ("503", "429", "500"):
            body = b'{"resourceType":"OperationOutcome","issue":[]}'
            h.send_response(int(action))
            h.send_header("Retry-After", "1")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
            return
        if action == "timeout":
            time.sleep(self.delay_s)
        upstream = httpx.get(self.upstream + h.path, headers={"Host": h.headers["Host"],
                                                               "Accept": "application/fhir+json"}, timeout=30)
        body = upstream.content
        if action == "truncate":
            body = body[: len(body) // 2]
        h.send_response(upstream.status_code)
        h.send_header("Content-Type", upstream.headers.get("content-type", "application/fhir+json"))
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            h.wfile.write(body)


def on_requests(numbers: set[int], action: str) -> Fault:
    """The fault ``action`` on the given request numbers."""
    return lambda n, _path: action if n in numbers else None


def after(n_ok: int, action: str) -> Fault:
    """Every request after the first ``n_ok`` fails with ``action``."""
    return lambda n, _path: action if n > n_ok else None
