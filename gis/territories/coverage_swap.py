"""A large first load of coverage rows: written into a new table without indexes, swapped in at the end.

Inserting millions of rows into ``couverture`` pays for an entry in each of its indexes per row (random insertions
in ``couverture_insee_idx``): nationally about three times the cost of the rows themselves. When none of the offers
being refreshed has a row yet and they are many (:data:`SWAP_FROM`), :func:`begin` creates ``couverture_load`` (same
columns, no index), copies the existing rows of other offers into it, and the chunks are inserted there;
:func:`finish` builds the indexes of ``couverture`` on it (same definitions, sorted builds), then drops the old table
and renames the new one with its indexes, constraint and triggers.

Readers keep reading the old table (and other writers wait, ``SHARE ROW EXCLUSIVE``) during the whole load; they wait
only from the swap to the commit of the load (the old table is dropped under an exclusive lock), then read the new
table.
"""

from __future__ import annotations

import re

from psycopg import sql

from gis.db import Conn

#: Offers without any coverage row from which a refresh writes into a new table (about 1.3 M rows).
SWAP_FROM = 20_000

#: ``maintenance_work_mem`` of the transaction while the indexes are built (sorts in memory).
MAINTENANCE_WORK_MEM = "256MB"

_INDEX_DEF = re.compile(r"^CREATE (UNIQUE )?INDEX (\S+) ON (\S+) (USING .*)$")


def begin(conn: Conn) -> None:
    """Create ``couverture_load`` with the rows of ``couverture`` (writers of ``couverture`` wait until the commit).

    Parameters
    ----------
    conn : Conn
        The connection of the load, inside its transaction.
    """
    conn.execute("LOCK TABLE couverture IN SHARE ROW EXCLUSIVE MODE")
    conn.execute("DROP TABLE IF EXISTS couverture_load")
    conn.execute("CREATE TABLE couverture_load (LIKE couverture INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    conn.execute("INSERT INTO couverture_load SELECT * FROM couverture ORDER BY offre_id, insee")


def finish(conn: Conn) -> None:
    """Index ``couverture_load`` like ``couverture``, then put it in its place (see the module docstring).

    Parameters
    ----------
    conn : Conn
        The connection that called :func:`begin`, in the same transaction.
    """
    indexes = conn.execute(
        "SELECT c.relname AS indexname, pg_get_indexdef(x.indexrelid) AS indexdef, k.conname FROM pg_index x "
        "JOIN pg_class c ON c.oid = x.indexrelid "
        "LEFT JOIN pg_constraint k ON k.conindid = x.indexrelid AND k.contype = 'p' "
        "WHERE x.indrelid = 'couverture'::regclass ORDER BY c.relname").fetchall()
    triggers = conn.execute("SELECT pg_get_triggerdef(oid) AS def FROM pg_trigger "
                            "WHERE tgrelid = 'couverture'::regclass AND NOT tgisinternal ORDER BY tgname").fetchall()
    conn.execute("SELECT set_config('maintenance_work_mem', %s, true)", (MAINTENANCE_WORK_MEM,))
    renames: list[tuple[str, str, str | None]] = []
    for n, row in enumerate(indexes):
        match = _INDEX_DEF.match(row["indexdef"])
        if match is None:
            raise RuntimeError(f"définition d'index inattendue : {row['indexdef']}")
        temporary = f"couverture_load_idx_{n}"
        conn.execute(sql.SQL("CREATE {unique}INDEX {name} ON couverture_load {rest}").format(
            unique=sql.SQL(match.group(1) or ""), name=sql.Identifier(temporary), rest=sql.SQL(match.group(4))))
        renames.append((temporary, row["indexname"], row["conname"]))
    # From here readers wait until the commit.
    conn.execute("DROP TABLE couverture")
    conn.execute("ALTER TABLE couverture_load RENAME TO couverture")
    for temporary, name, constraint in renames:
        if constraint is not None:  # the primary key takes its index and gives it its name
            conn.execute(sql.SQL("ALTER TABLE couverture ADD CONSTRAINT {c} PRIMARY KEY USING INDEX {i}").format(
                c=sql.Identifier(constraint), i=sql.Identifier(temporary)))
            if constraint != name:
                conn.execute(sql.SQL("ALTER INDEX {c} RENAME TO {n}").format(
                    c=sql.Identifier(constraint), n=sql.Identifier(name)))
        else:
            conn.execute(sql.SQL("ALTER INDEX {t} RENAME TO {n}").format(
                t=sql.Identifier(temporary), n=sql.Identifier(name)))
    for row in triggers:
        conn.execute(sql.SQL(row["def"]))  # a definition read from the catalogue
