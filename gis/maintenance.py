"""Post-import upkeep: search names and coverage, run by the CLI after every load."""

from __future__ import annotations

import psycopg

from gis.territories import coverage
from gis.text import normalize


def refresh_search_names(conn: psycopg.Connection) -> int:
    """Fill ``nom_norm`` of establishments and offers (Python normalisation, done once per load)."""
    n = 0
    with conn.transaction():
        for table in ("etablissement", "offre"):
            rows = conn.execute(f"SELECT id, nom FROM {table} WHERE nom_norm IS NULL").fetchall()  # noqa: S608
            with conn.cursor() as cur:
                cur.executemany(
                    f"UPDATE {table} SET nom_norm = %s WHERE id = %s",  # noqa: S608 - fixed table names
                    [(normalize(r["nom"] or ""), r["id"]) for r in rows],
                )
            n += len(rows)
    return n


def after_load(conn: psycopg.Connection) -> dict[str, int]:
    """Everything derived from the loaded data: search names and the coverage table."""
    names = refresh_search_names(conn)
    rows = coverage.refresh(conn)
    return {"noms": names, "couverture": rows}
