"""Request dependencies: a pooled database connection."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
from fastapi import Request


def get_conn(request: Request) -> Iterator[psycopg.Connection]:
    """A connection from the app's pool, returned to it after the request (read-only work)."""
    with request.app.state.pool.connection() as conn:
        yield conn
