"""Communes layer: autocomplete search, one commune as a GeoJSON Feature, code resolution.

Every function takes an open connection and returns plain data (dicts, lists).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from psycopg import sql

from gis.db import Conn
from gis.errors import InvalidInput, NotFound
from gis.identifiers import INSEE_RE
from gis.layers.filters import word_prefix_conditions
from gis.text import like_escape, tokens

POSTCODE_PREFIX_RE = re.compile(r"^\d{2,4}$")
GeometryMode = Literal["full", "simplified", "centre", "none"]

_COLS = sql.SQL("""
    c.insee, c.nom, c.type, c.codes_postaux, c.departement, d.nom AS departement_nom, c.population,
    c.parent_insee
""")

# The current commune (or arrondissement) answering for the code ``%(code)s``: itself, else the most populated current
# commune of a former, delegated or associated code. An SQL expression, for a ``WHERE c.insee = {resolved}``.
RESOLVED_INSEE = sql.SQL("""coalesce(
            (SELECT insee FROM geo_commune WHERE insee = %(code)s),
            (SELECT a.insee FROM geo_commune_alias a JOIN geo_commune x ON x.insee = a.insee
              WHERE a.code = %(code)s ORDER BY x.population DESC NULLS LAST, a.insee LIMIT 1))""")


def check_insee(code: str) -> str:
    """Return the upper-cased INSEE code, or raise InvalidInput for a malformed one."""
    code = code.strip().upper()
    if not INSEE_RE.match(code):
        raise InvalidInput(
            f"Code INSEE mal formé : « {code[:20]} ». Un code commune a 5 caractères "
            "(ex. 93066, 2A004)."
        )
    return code


def _label(row: dict[str, Any]) -> str:
    return f"{row['nom']} ({row['departement']})"


def _with_labels(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for r in rows:
        r["label"] = _label(r)
        r.pop("rank", None)
    return rows


def search(conn: Conn, q: str, *, limit: int = 10) -> list[dict[str, Any]]:
    """Communes matching what a person typed: a name, a postcode (or its start), or an INSEE code."""
    q = (q or "").strip()
    limit = max(1, min(int(limit), 50))
    if not q:
        return []
    compact = q.replace(" ", "")
    if INSEE_RE.match(compact.upper()):
        return _search_code(conn, compact.upper(), limit)
    if POSTCODE_PREFIX_RE.match(compact):
        return _search_postcode_prefix(conn, compact, limit)
    words = tokens(q)
    if not words:
        return []
    return _search_name(conn, words, limit)


def _search_code(conn: Conn, code: str, limit: int) -> list[dict[str, Any]]:
    """Search a five-character code.

    The commune with that INSEE code first, then the communes or arrondissements the postcode serves (not their
    parent city), then the commune a former code became.
    """
    query = sql.SQL("""
        WITH hits AS (
            SELECT insee, 0 AS rank, 'code INSEE' AS correspondance FROM geo_commune WHERE insee = %(code)s
            UNION ALL
            SELECT c.insee, 1, 'code postal' FROM geo_commune c
             WHERE %(code)s = ANY (c.codes_postaux)
               AND NOT EXISTS (SELECT 1 FROM geo_commune a
                                WHERE a.parent_insee = c.insee AND %(code)s = ANY (a.codes_postaux))
            UNION ALL
            -- a former code only when no current commune has this code as INSEE code or postcode
            -- ("75010" is Paris 10e's postcode, not Bondy's code of the former Seine département)
            SELECT insee, 2, 'ancien code INSEE' FROM geo_commune_alias WHERE code = %(code)s
               AND NOT EXISTS (SELECT 1 FROM geo_commune x
                                WHERE x.insee = %(code)s OR %(code)s = ANY (x.codes_postaux))
        ), best AS (
            SELECT DISTINCT ON (insee) insee, rank, correspondance FROM hits ORDER BY insee, rank
        )
        SELECT {cols}, b.rank, b.correspondance
          FROM best b JOIN geo_commune c USING (insee)
          LEFT JOIN geo_departement d ON d.code = c.departement
         ORDER BY b.rank, c.population DESC NULLS LAST, c.insee
         LIMIT %(limit)s
    """).format(cols=_COLS)
    return _with_labels(conn.execute(query, {"code": code, "limit": limit}).fetchall())


def _search_postcode_prefix(conn: Conn, prefix: str, limit: int) -> list[dict[str, Any]]:
    query = sql.SQL("""
        SELECT {cols}
          FROM geo_commune c LEFT JOIN geo_departement d ON d.code = c.departement
         WHERE EXISTS (SELECT 1 FROM unnest(c.codes_postaux) cp WHERE cp LIKE %(p)s)
         ORDER BY (SELECT min(cp) FROM unnest(c.codes_postaux) cp WHERE cp LIKE %(p)s),
                  c.population DESC NULLS LAST
         LIMIT %(limit)s
    """).format(cols=_COLS)
    return _with_labels(conn.execute(query, {"p": like_escape(prefix) + "%", "limit": limit}).fetchall())


# The normalised name plus its words without an elided article ("lile saint denis" also reads "ile saint
# denis"), so that "ile st denis" finds L'Île-Saint-Denis word by word.
_NAME_WORDS = sql.SQL(r"""(c.nom_norm || ' ' || regexp_replace(c.nom_norm, '\m(l|d|j|qu)(?=[aeiouyh])', '', 'g'))""")


def _search_name(conn: Conn, words: list[str], limit: int) -> list[dict[str, Any]]:
    """Search names: every typed word must start a word of the name (an elided article may precede it).

    Order: exact, then prefix, then the biggest city, its municipal arrondissements in order (Paris, 1er… 20e).
    """
    phrase = " ".join(words)
    params: dict[str, Any] = {"phrase": phrase, "prefix": like_escape(phrase) + "%", "limit": limit}
    where = word_prefix_conditions(words, _NAME_WORDS, params)
    query = sql.SQL("""
        SELECT {cols},
               CASE WHEN c.nom_norm = %(phrase)s THEN 0
                    WHEN c.nom_norm LIKE %(prefix)s THEN 1
                    ELSE 2 END AS rank
          FROM geo_commune c LEFT JOIN geo_departement d ON d.code = c.departement
          LEFT JOIN geo_commune p ON p.insee = c.parent_insee
         WHERE {where}
         ORDER BY rank, coalesce(p.population, c.population) DESC NULLS LAST, coalesce(p.insee, c.insee),
                  c.parent_insee NULLS FIRST, c.insee
         LIMIT %(limit)s
    """).format(cols=_COLS, where=where)
    rows = conn.execute(query, params).fetchall()
    if rows:
        return _with_labels(rows)
    # Nothing matched word by word: fall back to trigram similarity (typos, missing letters).
    query = sql.SQL("""
        SELECT {cols}, similarity(c.nom_norm, %(phrase)s) AS rank
          FROM geo_commune c LEFT JOIN geo_departement d ON d.code = c.departement
         WHERE c.nom_norm %% %(phrase)s
         ORDER BY rank DESC, c.population DESC NULLS LAST
         LIMIT %(limit)s
    """).format(cols=_COLS)
    return _with_labels(conn.execute(query, params).fetchall())


def resolve(conn: Conn, code: str) -> dict[str, Any]:
    """Return the current commune for a code (current, former, delegated or associated).

    Returns ``{"insee", "code_demande", "type_code_demande"}``; raises NotFound.
    """
    code = check_insee(code)
    row = conn.execute(
        """
        SELECT insee, %(code)s AS code_demande, 'actuel' AS type_code_demande
          FROM geo_commune WHERE insee = %(code)s
        UNION ALL
        (SELECT a.insee, a.code, a.kind FROM geo_commune_alias a
          JOIN geo_commune c ON c.insee = a.insee
         WHERE a.code = %(code)s ORDER BY c.population DESC NULLS LAST LIMIT 1)
        LIMIT 1
        """,
        {"code": code},
    ).fetchone()
    if row is None:
        raise NotFound(f"Aucune commune ne correspond au code INSEE {code}.")
    return row


_GEOMETRY_SQL = {
    "full": "ST_AsGeoJSON(c.geom, 5)::json",
    "simplified": "ST_AsGeoJSON(c.geom_simple, 5)::json",
    "centre": "ST_AsGeoJSON(c.centre, 5)::json",
    "none": "NULL::json",
}


def feature(conn: Conn, code: str, *, geometry: GeometryMode = "simplified") -> dict[str, Any]:
    """One commune as a GeoJSON Feature (RFC 7946, WGS84)."""
    if geometry not in _GEOMETRY_SQL:
        raise InvalidInput("Paramètre geometry invalide : full, simplified, centre ou none.")
    resolved = resolve(conn, code)
    geom_sql = _GEOMETRY_SQL[geometry]
    row = conn.execute(
        sql.SQL("""
        SELECT c.insee, c.nom, c.type, c.parent_insee, p.nom AS parent_nom,
               c.departement, d.nom AS departement_nom, c.region, r.nom AS region_nom,
               c.codes_postaux, c.population, c.siren, c.epci_code, c.epci_nom, c.ept_code, c.ept_nom,
               round(c.area_km2::numeric, 3)::float AS superficie_km2,
               ST_Y(c.centre) AS centre_lat, ST_X(c.centre) AS centre_lon,
               (SELECT array_agg(a.code ORDER BY a.code) FROM geo_commune_alias a
                 WHERE a.insee = c.insee) AS codes_anciens,
               (SELECT array_agg(x.insee ORDER BY x.insee) FROM geo_commune x
                 WHERE x.parent_insee = c.insee) AS arrondissements,
               CASE WHEN c.geom IS NULL THEN NULL ELSE
                 ARRAY[ST_XMin(c.geom), ST_YMin(c.geom), ST_XMax(c.geom), ST_YMax(c.geom)] END AS bbox,
               {geom_sql} AS geometry
          FROM geo_commune c
          LEFT JOIN geo_commune p ON p.insee = c.parent_insee
          LEFT JOIN geo_departement d ON d.code = c.departement
          LEFT JOIN geo_region r ON r.code = c.region
         WHERE c.insee = %(insee)s
        """).format(geom_sql=sql.SQL(geom_sql)),
        {"insee": resolved["insee"]},
    ).fetchone()
    if row is None:  # resolve() found it: only a concurrent delete gets here
        raise NotFound(f"Aucune commune ne correspond au code INSEE {code}.")
    geometry_json = row.pop("geometry")
    bbox = row.pop("bbox")
    for key in ("centre_lat", "centre_lon"):
        if row[key] is not None:
            row[key] = round(row[key], 5)
    row["codes_anciens"] = row["codes_anciens"] or []
    row["arrondissements"] = row["arrondissements"] or []
    if resolved["code_demande"] != resolved["insee"]:
        row["code_demande"] = resolved["code_demande"]
        row["type_code_demande"] = resolved["type_code_demande"]
    out: dict[str, Any] = {"type": "Feature", "id": row["insee"], "properties": row, "geometry": geometry_json}
    if bbox:
        out["bbox"] = [round(v, 5) for v in bbox]
    return out



__all__ = ["check_insee", "feature", "resolve", "search"]
