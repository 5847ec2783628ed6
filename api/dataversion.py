"""The data version each process serves, kept current by LISTEN/NOTIFY, and what hangs off it.

Every write to the data tables bumps ``data_version.version`` in the writing transaction and sends a NOTIFY on
``ror_gis_data`` (migration 004). Each API process keeps one listening connection: when a notification arrives (or
every ``version_poll_s`` seconds, in case one was missed, or after reconnecting), it reads the version, and when it
changed it reloads the in-memory nomenclature catalog and empties the response cache. While the listener is not
connected the version is unknown (``None``) and nothing is cached.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import psycopg

log = logging.getLogger("ror_gis.dataversion")

CHANNEL = "ror_gis_data"


class DataState:
    """The version of the data this process answers from, and the nomenclature codes of that version."""

    def __init__(self) -> None:
        self.version: int | None = None
        self.catalog: dict[str, frozenset[str]] | None = None
        self._on_change: list[Callable[[], None]] = []
        self._conn: psycopg.AsyncConnection | None = None
        self._wake: asyncio.Future[None] | None = None
        self._catalog_version: int | None = None

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` whenever the version changes or becomes unknown."""
        self._on_change.append(callback)

    def _set(self, version: int | None, catalog: dict[str, frozenset[str]] | None) -> None:
        changed = version != self.version or version is None
        self.version, self.catalog = version, catalog
        if changed:
            for callback in self._on_change:
                callback()

    def current(self) -> int | None:
        """The version to answer from, after a look (no round trip) for a notification already on the socket.

        A notification that reached the listener's socket but not yet its coroutine invalidates the cache here and
        wakes the listener, so that a request arriving right after a commit is not answered from the old version.
        """
        conn = self._conn
        if conn is not None and self.version is not None and self._drain(conn):
            self._set(None, self.catalog)
            if self._wake is not None and not self._wake.done():
                self._wake.set_result(None)
        return self.version

    @staticmethod
    def _drain(conn: psycopg.AsyncConnection) -> bool:
        """Read what the socket holds and pop the notifications; True if there was one (or the socket broke)."""
        pgconn = conn.pgconn
        try:
            pgconn.consume_input()
        except psycopg.OperationalError:
            return True
        found = False
        while pgconn.notifies() is not None:
            found = True
        return found

    def invalidate(self) -> None:
        """This process has just committed a write (a territory edit): drop the cached answers now, without waiting
        for the commit's NOTIFY to reach the listener, so that the writer's next request is answered fresh."""
        self._set(None, self.catalog)

    def _stale(self, _notify: object = None) -> None:
        """A notification arrived during a query: drop cached answers now; the version is read again next."""
        self._set(None, self.catalog)

    async def refresh(self, conn: psycopg.AsyncConnection) -> None:
        """Read the version (and the catalog when the version differs from the one it was read for)."""
        cur = await conn.execute("SELECT version FROM data_version")
        row = await cur.fetchone()
        version = int(row[0]) if row else None
        if version is None or version != self._catalog_version or self.catalog is None:
            cur = await conn.execute("SELECT name, array_agg(code) FROM nomenclature GROUP BY name")
            self.catalog = {name: frozenset(codes) for name, codes in await cur.fetchall()}
            self._catalog_version = version
            log.info("data version %s", version)
        self._set(version, self.catalog)

    async def _wait(self, conn: psycopg.AsyncConnection, timeout: float) -> None:
        """Until the socket is readable, a request saw a notification first, or ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        self._wake = loop.create_future()
        wake = self._wake
        fd = conn.pgconn.socket
        loop.add_reader(fd, _resolve, wake)
        try:
            await asyncio.wait_for(asyncio.shield(wake), timeout)
        except TimeoutError:
            pass
        finally:
            loop.remove_reader(fd)
            self._wake = None

    async def listen(self, url: str, poll_s: float) -> None:
        """Run forever: listen for changes, reconnecting with a short backoff when the database goes away."""
        delay = 0.2
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(url, autocommit=True, connect_timeout=5) as conn:
                    conn.add_notify_handler(self._stale)
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self._conn = conn
                    await self.refresh(conn)
                    delay = 0.2
                    while True:
                        await self._wait(conn, poll_s)
                        if self._drain(conn):
                            self._stale()
                        if conn.pgconn.status != psycopg.pq.ConnStatus.OK:
                            raise psycopg.OperationalError("data version listener: connection lost")
                        await self.refresh(conn)
            except asyncio.CancelledError:
                raise
            except (psycopg.Error, OSError) as exc:
                if self.version is not None:
                    log.warning("data version listener lost the database: %s", exc)
                self._conn = None
                self._set(None, self.catalog)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
            finally:
                self._conn = None


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def start(state: DataState, url: str, poll_s: float) -> asyncio.Task[None]:
    """Start the listener and wait (briefly) for the first version, so the first answers can be cached."""
    task = asyncio.create_task(state.listen(url, poll_s), name="ror-gis-data-version")
    for _ in range(50):
        if state.version is not None:
            break
        await asyncio.sleep(0.02)
    return task


async def stop(task: asyncio.Task[None]) -> None:
    """Cancel the listener."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
