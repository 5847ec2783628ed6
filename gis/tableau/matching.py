"""Matching written codes to communes (one SQL query) and fetching their simplified geometry.

Rules, for each distinct code: current INSEE code (rank 0); postcode serving one commune or one Paris
arrondissement (rank 1; several communes → ambiguous, not assigned); former, delegated or associated
code (rank 2). Postcodes come before former codes, as in the communes search API: "75016" in a 2026
spreadsheet is Paris 16e, not the pre-1968 code of Cachan.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import DictRow

_MATCH_SQL = """
WITH input AS (
    SELECT DISTINCT code FROM unnest(%(codes)s::text[]) AS t(code)
), postal AS MATERIALIZED (
    SELECT c.insee, c.parent_insee, cp FROM geo_commune c CROSS JOIN LATERAL unnest(c.codes_postaux) AS cp
), hits AS (
    SELECT i.code, c.insee, 0 AS rank, 'actuel' AS kind
      FROM input i JOIN geo_commune c ON c.insee = i.code
    UNION ALL
    SELECT i.code, a.insee, 2, a.kind
      FROM input i JOIN geo_commune_alias a ON a.code = i.code
    UNION ALL
    SELECT i.code, p.insee, 1, 'postal'
      FROM input i JOIN postal p ON p.cp = i.code
     WHERE NOT EXISTS (SELECT 1 FROM postal a WHERE a.parent_insee = p.insee AND a.cp = i.code)
), best AS (
    SELECT code, min(rank) AS rank FROM hits GROUP BY code
)
SELECT i.code, b.rank, min(h.kind) AS kind,
       array_agg(c.insee ORDER BY c.population DESC NULLS LAST, c.insee) FILTER (WHERE c.insee IS NOT NULL)
           AS insees,
       array_agg(c.nom ORDER BY c.population DESC NULLS LAST, c.insee) FILTER (WHERE c.insee IS NOT NULL)
           AS noms,
       EXISTS (SELECT 1 FROM geo_departement d WHERE d.code = left(i.code, 2)
                  OR d.code = left(i.code, 3)) AS departement_charge
  FROM input i
  LEFT JOIN best b ON b.code = i.code
  LEFT JOIN hits h ON h.code = i.code AND h.rank = b.rank
  LEFT JOIN geo_commune c ON c.insee = h.insee
 GROUP BY i.code, b.rank
"""

_GEOMETRY_SQL = """
SELECT c.insee, c.nom, c.departement,
       CASE WHEN %(with_geometry)s THEN ST_AsGeoJSON(c.geom_simple, 5)::json END AS geometry,
       ST_XMin(c.geom_simple) AS xmin, ST_YMin(c.geom_simple) AS ymin,
       ST_XMax(c.geom_simple) AS xmax, ST_YMax(c.geom_simple) AS ymax
  FROM geo_commune c
 WHERE c.insee = ANY (%(insees)s::text[])
"""

ALIAS_LABELS = {"ancien": "ancien code INSEE", "deleguee": "code de commune déléguée",
                "associee": "code de commune associée"}


def match_codes(conn: psycopg.Connection[DictRow], codes: list[str]) -> dict[str, dict[str, Any]]:
    """Match codes to communes in one query.

    Parameters
    ----------
    conn : psycopg.Connection[DictRow]
        A connection with dict rows.
    codes : list of str
        Normalised 5-character codes (duplicates allowed).

    Returns
    -------
    dict
        For each distinct code: ``{"rank", "kind", "insees", "noms", "departement_charge"}``;
        ``rank`` is None when nothing matched.
    """
    if not codes:
        return {}
    rows = conn.execute(_MATCH_SQL, {"codes": sorted(set(codes))}).fetchall()
    return {r["code"]: r for r in rows}


def geometries(conn: psycopg.Connection[DictRow], insees: list[str],
               with_geometry: bool = True) -> dict[str, dict[str, Any]]:
    """Simplified geometry (GeoJSON, 5 decimals) and bounding box of the given communes.

    Parameters
    ----------
    conn : psycopg.Connection[DictRow]
        A connection with dict rows.
    insees : list of str
        INSEE codes.
    with_geometry : bool
        False: the bounding boxes only (``geometry`` is None; the page draws the communes from vector tiles).

    Returns
    -------
    dict
        ``{insee: {"insee", "nom", "departement", "geometry", "xmin", "ymin", "xmax", "ymax"}}``.
    """
    if not insees:
        return {}
    rows = conn.execute(_GEOMETRY_SQL, {"insees": sorted(set(insees)), "with_geometry": with_geometry}).fetchall()
    return {r["insee"]: r for r in rows}
