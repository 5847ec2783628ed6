"""Progress and summaries printed by long-running commands (to stderr, so stdout stays clean)."""

from __future__ import annotations

import sys
import time


class Progress:
    """Prints steps and throttled counters: ``[géographie] communes 600/1286``."""

    def __init__(self, label: str, *, stream=None, quiet: bool = False) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self._last = 0.0

    def step(self, message: str) -> None:
        if not self.quiet:
            print(f"[{self.label}] {message}", file=self.stream, flush=True)

    def count(self, what: str, done: int, total: int | None = None) -> None:
        now = time.monotonic()
        if self.quiet or (now - self._last < 1.0 and (total is None or done < total)):
            return
        self._last = now
        suffix = f"/{total}" if total else ""
        print(f"[{self.label}] {what} {done}{suffix}", file=self.stream, flush=True)


def silent() -> Progress:
    return Progress("", quiet=True)

