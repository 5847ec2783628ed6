"""Long SQL statements of the importers, kept in ``gis/importers/sql/*.sql`` beside the code."""

from __future__ import annotations

from functools import cache
from importlib import resources

from psycopg import sql


@cache
def statement(name: str) -> sql.SQL:
    """The statement of ``gis/importers/sql/<name>.sql`` as a ``psycopg.sql.SQL`` template.

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
    return sql.SQL(text)  # type: ignore[arg-type]  # trusted file shipped with the package
