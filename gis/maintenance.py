"""Post-import upkeep: search names and coverage, run by the CLI after every load."""

from __future__ import annotations

import json

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


def after_load(conn: psycopg.Connection, *, coverage_done: bool = False) -> dict[str, int]:
    """Everything derived from the loaded data: search names, the coverage table, and the status
    line of the offers shown by /health.

    ``coverage_done``: the importer already refreshed the coverage of what it changed (FHIR import);
    geography and establishment loads move communes or points, so they need the full refresh.
    """
    names = refresh_search_names(conn)
    if not coverage_done:
        coverage.refresh(conn)
    with conn.transaction():
        rows = conn.execute("SELECT count(*) AS n FROM couverture").fetchone()["n"]
        stats = conn.execute(
            "SELECT (SELECT count(*) FROM etablissement) AS etablissements, (SELECT count(*) FROM offre) AS offres, "
            "(SELECT count(*) FROM offre WHERE fictif) AS fictives"
        ).fetchone()
        version = (f"{stats['etablissements']} établissements, {stats['offres']} offres "
                   f"(dont {stats['fictives']} fictives), {rows} couvertures")
        conn.execute(
            "INSERT INTO data_source (name, loaded_at, version, details) VALUES ('offres', now(), %s, %s) "
            "ON CONFLICT (name) DO UPDATE SET loaded_at = excluded.loaded_at, version = excluded.version, "
            "details = excluded.details",
            (version, json.dumps({**stats, "couverture": rows})),
        )
    return {"noms": names, "couverture": rows}
