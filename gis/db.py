"""Database connections and schema migrations (PostgreSQL + PostGIS, psycopg 3)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import TypeAlias, cast

import psycopg
from psycopg import pq
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

MIGRATIONS_PACKAGE = "gis.migrations"
_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
_LOCK_KEY = 7_501_011  # advisory lock serialising concurrent `db init`
# psycopg_pool refuses a zero timeout outright: the shortest wait that still takes an idle connection
_NOW_S = 0.0005


#: A connection whose rows are dicts (``dict_row``): what every layer and importer takes.
Conn: TypeAlias = psycopg.Connection[DictRow]


def connect(url: str, *, autocommit: bool = False) -> Conn:
    """Return a plain connection returning rows as dicts."""
    return psycopg.connect(url, autocommit=autocommit, row_factory=dict_row)


def make_pool(
    url: str, *, min_size: int = 1, max_size: int = 10, timeout_ms: int = 15000, wait_s: float = 10.0
) -> ConnectionPool[Conn]:
    """Return the API's pool of read-only, autocommit connections (one round trip per query: no BEGIN/COMMIT).

    Each connection has a statement timeout and JIT off (the API's short queries never gain from it). A connection
    is checked without a round trip when it is handed out (:func:`checked_getconn`); a dead one is replaced.
    """
    options = f"-c statement_timeout={int(timeout_ms)} -c jit=off -c default_transaction_read_only=on"
    pool = ConnectionPool(
        url,
        min_size=min(min_size, max_size),
        max_size=max_size,
        kwargs={"row_factory": dict_row, "autocommit": True, "options": options, "connect_timeout": 5},
        open=False,
        timeout=wait_s,
        reconnect_timeout=3600,
        name="ror-gis",
    )
    return cast("ConnectionPool[Conn]", pool)


def checked_getconn(pool: ConnectionPool[Conn]) -> Conn:
    """Return a connection from ``pool`` that :func:`usable` accepts.

    Dead ones go back to the pool, which replaces them.

    Unlike the pool's own ``check`` (which sleeps a backoff delay after a failed check), this hands out the next
    live connection at once, so that the first request after a database restart already succeeds.
    """
    for _ in range(pool.max_size):
        conn = pool.getconn()
        try:
            usable(conn)
        except psycopg.OperationalError:
            pool.putconn(conn)  # a BAD connection is discarded and a new one is started
            continue
        return conn
    return pool.getconn()


def getconn_now(pool: ConnectionPool[Conn]) -> Conn | None:
    """Return an idle live connection of ``pool`` at once, or None when none is idle or the one found is dead.

    No I/O: meant for the event loop, where waiting for the pool or opening a connection must not happen (the
    caller falls back to :func:`checked_getconn` in a worker thread). A dead connection goes back to the pool,
    which replaces it.
    """
    try:
        conn = pool.getconn(timeout=_NOW_S)
    except PoolTimeout:
        return None
    try:
        usable(conn)
    except psycopg.OperationalError:
        pool.putconn(conn)
        return None
    return conn


@contextmanager
def checked_connection(pool: ConnectionPool[Conn]) -> Iterator[Conn]:
    """``with checked_connection(pool) as conn``: :func:`checked_getconn`, returned to the pool at the end."""
    conn = checked_getconn(pool)
    try:
        yield conn
    finally:
        pool.putconn(conn)


def usable(conn: Conn) -> None:
    """Raise ``psycopg.OperationalError`` when ``conn`` is dead, without a round trip to the server.

    Reads whatever the server sent meanwhile (``consume_input``, non-blocking): after a restart or a terminated
    backend the socket holds the FATAL message and EOF, and libpq marks the connection bad.
    """
    pgconn = conn.pgconn
    if pgconn.status != pq.ConnStatus.OK:
        raise psycopg.OperationalError("connection is closed")
    # The first read may return the server's FATAL message (handled by libpq as a notice), the second its EOF.
    for _ in range(2):
        pgconn.consume_input()
        if pgconn.status != pq.ConnStatus.OK or conn.closed:
            raise psycopg.OperationalError("connection was closed by the server")


def migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of every migration shipped with the package, in order."""
    found = []
    for entry in resources.files(MIGRATIONS_PACKAGE).iterdir():
        m = _MIGRATION_NAME.match(entry.name)
        if m:
            found.append((int(m.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def migrate(conn: Conn) -> list[str]:
    """Apply the migrations not yet applied, each in its own transaction. Returns their names."""
    applied: list[str] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["version"] for r in conn.execute("SELECT version FROM schema_migrations")}
        for version, name, sql in migrations():
            if version in done:
                continue
            with conn.transaction():
                conn.execute(sql)
                conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (version, name)
                )
            applied.append(name)
    return applied


@contextmanager
def transaction(url: str) -> Iterator[Conn]:
    """Return a connection whose work is committed at the end of the block, or rolled back on error."""
    with connect(url) as conn, conn.transaction():
        yield conn


@contextmanager
def writing(conn: Conn) -> Iterator[Conn]:
    """Open a read-write transaction on ``conn``, committed at the end of the block (rolled back on error).

    The API's pooled connections are read-only by default (``default_transaction_read_only``): the few requests
    that write (anomaly reports, territory edits) open their transaction with ``SET TRANSACTION READ WRITE``. Inside
    a caller's transaction this is a savepoint.
    """
    with conn.transaction():
        conn.execute("SET TRANSACTION READ WRITE")
        yield conn
