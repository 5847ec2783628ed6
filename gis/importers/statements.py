"""Long SQL statements of the importers, kept in ``gis/importers/sql/*.sql`` beside the code."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import DictRow


@cache
def statement(name: str) -> sql.SQL:
    """Return the statement of ``gis/importers/sql/<name>.sql`` as a ``psycopg.sql.SQL`` template.

    Parameters
    ----------
    name
        File name without the ``.sql`` suffix.

    Returns
    -------
    psycopg.sql.SQL
        Compose identifiers or fragments into it with ``.format(...)``; values stay bound.
    """
    text = resources.files("gis.importers").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")
    return sql.SQL(text)  # a trusted file shipped with the package


def one(cursor: psycopg.Cursor[DictRow]) -> dict[str, Any]:
    """Return the row of a statement that always returns one (an aggregate, ``INSERT ... RETURNING``...).

    Parameters
    ----------
    cursor
        The cursor of the executed statement (``conn.execute(...)``).

    Returns
    -------
    dict
        Its first row.

    Raises
    ------
    LookupError
        When the statement returned no row.
    """
    row = cursor.fetchone()
    if row is None:
        raise LookupError("the statement returned no row")
    return row
