"""A bounded queue in front of the connection pool: requests wait on the event loop, never in threads.

The old design acquired pooled connections inside worker threads: once every AnyIO thread was blocked waiting for a
connection, the requests holding connections could not get a thread to finish, and the service stalled. Here a request
first takes one of ``pool_max_size`` slots on the event loop (cheap, no thread), so a connection is always free when
it reaches a thread; beyond ``queue_max`` waiting requests the service answers 503 with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from gis.errors import Saturated


class DbGate:
    """At most ``slots`` requests use the database at once; at most ``queue_max`` wait for a slot."""

    def __init__(self, slots: int, queue_max: int) -> None:
        self._slots = asyncio.Semaphore(slots)
        self._queue_max = queue_max
        self.waiting = 0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one slot for the duration of the block (queueing when all are taken)."""
        if self._slots.locked():
            if self.waiting >= self._queue_max:
                raise Saturated(
                    "Le service reçoit trop de demandes simultanées ; réessayez dans quelques secondes."
                )
            self.waiting += 1
            try:
                await self._slots.acquire()
            finally:
                self.waiting -= 1
        else:
            await self._slots.acquire()
        try:
            yield
        finally:
            self._slots.release()
