"""Bulk writes of the importers: COPY into a temporary staging table, then one set-based statement.

Rows are copied (``COPY … FROM STDIN``) into the staging table, then merged into the real table by one statement,
instead of one statement per row.

A staging table is created on first use in the session from a ``SELECT`` of the real table's columns (so every
column has the target's type and the text form of each value is parsed exactly as a bound parameter would be),
and emptied before each batch. It lives in the session's temporary schema, inside the caller's transaction: a
failed import rolls it back with everything else.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from psycopg import sql

from gis.db import Conn


def stage(conn: Conn, name: str, template: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Empty the temporary table ``name`` (created from ``template`` if missing) and copy ``rows`` into it.

    Parameters
    ----------
    conn
        Open connection (the caller's transaction is used).
    name
        Name of the temporary table.
    template
        A trusted ``SELECT`` giving the table's columns and types (run ``WITH NO DATA``).
    columns
        Columns filled, in the order of each row's values.
    rows
        The rows (psycopg adapts each value as it would a bound parameter).

    Returns
    -------
    int
        Number of rows copied.
    """
    table = sql.Identifier(name)
    conn.execute(sql.SQL("CREATE TEMP TABLE IF NOT EXISTS {} AS {} WITH NO DATA").format(table, sql.SQL(template)))
    conn.execute(sql.SQL("TRUNCATE {}").format(table))
    return copy_rows(conn, name, columns, rows)


def copy_rows(conn: Conn, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Copy ``rows`` into ``table`` (``COPY … FROM STDIN``, text format).

    Parameters
    ----------
    conn
        Open connection.
    table
        Target table (a plain or temporary table name).
    columns
        Columns filled, in the order of each row's values.
    rows
        The rows.

    Returns
    -------
    int
        Number of rows copied.
    """
    query = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in columns))
    n = 0
    with conn.cursor() as cur, cur.copy(query) as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n
