"""A per-process limit of failed attempts per client address (the login form), bounded in memory.

Each worker process counts on its own (N workers allow N times the limit): enough against guessing, where tokens
carry 256 random bits anyway, and against a client hammering the form. Anomaly reports have their own limit, counted
in the database across processes (``gis.signalements``).
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque

from gis.errors import RateLimited

_MAX_CLIENTS = 10_000  # the least recently seen client is forgotten beyond this


class FailureLimit:
    """At most ``max_failures`` failures per client within ``window_s`` seconds; then :class:`RateLimited`."""

    def __init__(self, max_failures: int, window_s: int, message: str) -> None:
        self.max_failures, self.window_s, self.message = max_failures, window_s, message
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.get(client)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            del self._failures[client]
        return times

    def check(self, client: str) -> None:
        """Raise :class:`RateLimited` while ``client`` has used up its failures."""
        now = time.monotonic()
        times = self._recent(client, now)
        if len(times) >= self.max_failures:
            retry = max(1, int(times[0] + self.window_s - now) + 1)
            raise RateLimited(self.message.format(secondes=retry), retry_after=retry)

    def failed(self, client: str) -> None:
        """Count one failure of ``client``."""
        now = time.monotonic()
        times = self._recent(client, now)
        times.append(now)
        self._failures[client] = times
        self._failures.move_to_end(client)
        while len(self._failures) > _MAX_CLIENTS:
            self._failures.popitem(last=False)

    def succeeded(self, client: str) -> None:
        """Forget the failures of ``client``."""
        self._failures.pop(client, None)
