"""Read replicas: read-only answers go to streaming replicas that have replayed the data version being served.

``ROR_GIS_DATABASE_REPLICA_URLS`` lists hot-standby servers of the primary (``ROR_GIS_DATABASE_URL``). Each has its
own pool and gate. A watcher reads every replica's ``data_version`` every ``replica_poll_s`` seconds (and at once
when the primary announces a new version). A request is routed to a replica only when

- the replica answered its last check (else it is *injoignable*), and
- its replayed version is at least the version this process serves (else it is *en retard*),

so that an answer is never older than the version it is cached under: the version comes from the primary
(LISTEN/NOTIFY, :mod:`api.dataversion`), and a replica that has replayed version V holds every write of V (the bump
is in the writing transaction). Otherwise, and whenever a replica fails to give a connection, the primary answers.
Writes, loads, health probes and everything outside :func:`api.deps.get_conn` use the primary.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg_pool import ConnectionPool

from api.gate import DbGate
from gis.db import Conn, make_pool
from gis.settings import Settings

log = logging.getLogger("ror_gis.replicas")


def _label(url: str) -> str:
    """``host:port/dbname`` of a libpq URL, without credentials (for /health and the logs)."""
    parts = urlsplit(url)
    host = parts.hostname or "socket local"
    port = f":{parts.port}" if parts.port else ""
    return f"{host}{port}{parts.path or ''}"


@dataclass
class Replica:
    """One replica: its pool, its gate and what the watcher last saw."""

    url: str
    pool: ConnectionPool[Conn]
    gate: DbGate
    label: str
    version: int | None = None
    reachable: bool = False
    served: int = 0
    error: str | None = field(default=None, repr=False)

    def state(self, version: int | None) -> str:
        """French state for /health: ``à jour``, ``en retard`` or ``injoignable``."""
        if not self.reachable:
            return "injoignable"
        return "à jour" if self.usable_for(version) else "en retard"

    def usable_for(self, version: int | None) -> bool:
        """Whether this replica may answer for data ``version`` (unknown version: never)."""
        return self.reachable and version is not None and self.version is not None and self.version >= version


class ReplicaSet:
    """The replicas of one API process, and their watcher."""

    def __init__(self, settings: Settings) -> None:
        self.replicas = [
            Replica(url=url, label=_label(url), gate=DbGate(settings.pool_max_size, settings.queue_max),
                    pool=make_pool(url, min_size=settings.pool_min_size, max_size=settings.pool_max_size,
                                   timeout_ms=settings.statement_timeout_ms, wait_s=settings.replica_wait_s))
            for url in settings.replica_url_list()
        ]
        self._poll_s = settings.replica_poll_s
        self._turn = itertools.count()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def __bool__(self) -> bool:
        return bool(self.replicas)

    def open(self) -> None:
        """Open the pools (without waiting) and start the watcher."""
        for replica in self.replicas:
            replica.pool.open(wait=False)
        if self.replicas:
            self._task = asyncio.create_task(self._watch(), name="ror-gis-replicas")

    async def close(self) -> None:
        """Stop the watcher and close the pools."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for replica in self.replicas:
            replica.pool.close()

    def version_changed(self) -> None:
        """The primary announced a new version: check the replicas now rather than at the next tick."""
        self._wake.set()

    def pick(self, version: int | None) -> Replica | None:
        """A replica that may answer for ``version`` (round robin), or None for the primary."""
        ready = [r for r in self.replicas if r.usable_for(version)]
        if not ready:
            return None
        return ready[next(self._turn) % len(ready)]

    def failed(self, replica: Replica, exc: BaseException) -> None:
        """A replica could not give a connection: route to the others until the watcher sees it again."""
        if replica.reachable:
            log.warning("replica %s unreachable: %s", replica.label, exc)
        replica.reachable, replica.error = False, str(exc)[:200]

    def status(self, version: int | None) -> list[dict[str, Any]]:
        """Per replica: server, state, replayed version, answers served (for /health)."""
        return [{"serveur": r.label, "etat": r.state(version), "version_donnees": r.version, "reponses": r.served}
                for r in self.replicas]

    async def _watch(self) -> None:
        conns: dict[str, psycopg.AsyncConnection[Any]] = {}
        try:
            while True:
                for replica in self.replicas:
                    await self._check(replica, conns)
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll_s)
        finally:
            for conn in conns.values():
                with contextlib.suppress(Exception):
                    await conn.close()

    async def _check(self, replica: Replica, conns: dict[str, psycopg.AsyncConnection[Any]]) -> None:
        """Read the replica's data version on the watcher's own connection (reconnecting when needed)."""
        try:
            conn = conns.get(replica.url)
            if conn is None or conn.closed:
                conn = await psycopg.AsyncConnection.connect(replica.url, autocommit=True, connect_timeout=2)
                conns[replica.url] = conn
            cur = await asyncio.wait_for(conn.execute("SELECT version FROM data_version"), 2.0)
            row = await cur.fetchone()
        except (psycopg.Error, OSError, TimeoutError) as exc:
            old = conns.pop(replica.url, None)
            if old is not None:
                with contextlib.suppress(Exception):
                    await old.close()
            self.failed(replica, exc)
            return
        if not replica.reachable:
            log.info("replica %s reachable", replica.label)
        replica.version = int(row[0]) if row else None
        replica.reachable, replica.error = True, None
