"""Post-import upkeep: search names and coverage, run by the CLI after every load.

Every step ends with ``ANALYZE`` of what it rewrote (the coverage table, the named tables), so the
planner sees the new data at once even where autovacuum is off.
"""

from __future__ import annotations

import json
import logging

from psycopg import sql

from gis.db import Conn
from gis.importers.report import analyze
from gis.importers.statements import one
from gis.territories import coverage
from gis.text import normalize

log = logging.getLogger(__name__)
NAMED_TABLES = ("etablissement", "offre")


def refresh_search_names(conn: Conn) -> int:
    """Fill ``nom_norm`` of establishments and offers (Python normalisation, done once per load).

    Parameters
    ----------
    conn
        Open connection.

    Returns
    -------
    int
        Number of rows named.
    """
    n = 0
    with conn.transaction():
        for table in NAMED_TABLES:
            ident = sql.Identifier(table)
            rows = conn.execute(sql.SQL("SELECT id, nom FROM {} WHERE nom_norm IS NULL").format(ident)).fetchall()
            with conn.cursor() as cur:
                cur.executemany(
                    sql.SQL("UPDATE {} SET nom_norm = %s WHERE id = %s").format(ident),
                    [(normalize(r["nom"] or ""), r["id"]) for r in rows],
                )
            n += len(rows)
    return n


def after_load(conn: Conn, *, coverage_done: bool = False) -> dict[str, int]:
    """Refresh everything derived from the loaded data, then ``ANALYZE`` the tables rewritten.

    Search names, the coverage table, the offers' public documents, the status line of the offers shown by /health.

    Parameters
    ----------
    conn
        Open connection.
    coverage_done
        The importer already refreshed the coverage of what it changed (FHIR import); geography and
        establishment loads move communes or points, so they need the full refresh.

    Returns
    -------
    dict
        ``noms`` (rows named), ``couverture`` (rows of the coverage table), ``offres`` (offers loaded).
    """
    names = refresh_search_names(conn)
    if not coverage_done:
        coverage.refresh(conn)
    # Naming an offer is an update, and any update of an offer clears its public document (migration 005):
    # fill what the naming (or anything since the importer's own refresh) cleared, so that answers read it.
    coverage.fill_public_docs(conn)
    with conn.transaction():
        rows = one(conn.execute("SELECT count(*) AS n FROM couverture"))["n"]
        stats = one(conn.execute(
            "SELECT (SELECT count(*) FROM etablissement) AS etablissements, (SELECT count(*) FROM offre) AS offres, "
            "(SELECT count(*) FROM offre WHERE fictif) AS fictives"
        ))
        version = (f"{stats['etablissements']} établissements, {stats['offres']} offres "
                   f"(dont {stats['fictives']} fictives), {rows} couvertures")
        conn.execute(
            "INSERT INTO data_source (name, loaded_at, version, details) VALUES ('offres', now(), %s, %s) "
            "ON CONFLICT (name) DO UPDATE SET loaded_at = excluded.loaded_at, version = excluded.version, "
            "details = excluded.details",
            (version, json.dumps({**stats, "couverture": rows})),
        )
    analyze(conn, ("couverture", *NAMED_TABLES))
    log.info("données dérivées à jour : %s", version)
    return {"noms": names, "couverture": rows, "offres": stats["offres"]}
