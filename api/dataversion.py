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

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` whenever the version changes or becomes unknown."""
        self._on_change.append(callback)

    def _set(self, version: int | None, catalog: dict[str, frozenset[str]] | None) -> None:
        changed = version != self.version or version is None
        self.version, self.catalog = version, catalog
        if changed:
            for callback in self._on_change:
                callback()

    async def refresh(self, conn: psycopg.AsyncConnection) -> None:
        """Read the version (and the catalog when it changed)."""
        cur = await conn.execute("SELECT version FROM data_version")
        row = await cur.fetchone()
        version = int(row[0]) if row else None
        if version is not None and version == self.version and self.catalog is not None:
            return
        cur = await conn.execute("SELECT name, array_agg(code) FROM nomenclature GROUP BY name")
        catalog = {name: frozenset(codes) for name, codes in await cur.fetchall()}
        log.info("data version %s (was %s)", version, self.version)
        self._set(version, catalog)

    async def listen(self, url: str, poll_s: float) -> None:
        """Run forever: listen for changes, reconnecting with a short backoff when the database goes away."""
        delay = 0.2
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(url, autocommit=True, connect_timeout=5) as conn:
                    self._conn = conn
                    await conn.execute(f"LISTEN {CHANNEL}")
                    await self.refresh(conn)
                    delay = 0.2
                    while True:
                        async for _ in conn.notifies(timeout=poll_s, stop_after=1):
                            pass
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
