"""Offres layer: offers covering a commune (and their types d'offre), offers near a point.

Public answers never contain sensitive units (``unite_sensible``), definitively closed offers, or contacts above
"accès libre" (confidentiality level 1): see :mod:`gis.layers.filters` and :mod:`gis.public_offer`. Coverage is
read from the precomputed ``couverture`` table (see gis.territories.coverage); no geometry is intersected per request.

The hot answers (covering, nearby) are one statement each: the commune is resolved, the matches counted, the page
sorted and only the page's offers labelled, and the whole JSON document built by PostgreSQL and returned as bytes.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from psycopg import sql

from gis.access import PUBLIC_VISIBILITY, Visibility
from gis.db import Conn
from gis.errors import InvalidInput, NotFound
from gis.layers.communes import RESOLVED_INSEE, check_insee
from gis.layers.filters import Filters, validate_filters, where_clause
from gis.public_offer import public_doc_with
from gis.territories.coverage import MOTIF_LABELS, MOTIFS

MAX_LIMIT = 1000
MAX_OFFSET = 1_000_000
Sort = Literal["distance", "nom", "motif"]

# ORDER BY of the page (over the ``matches`` CTE: nom, motif, d = distance in metres on the sphere)
SORTS: dict[str, sql.Composable] = {
    "distance": sql.SQL("m.d NULLS LAST, m.nom_tri, m.id"),
    "nom": sql.SQL("m.nom_tri, m.d NULLS LAST, m.id"),
    "motif": sql.SQL("array_position({}::text[], m.motif), m.d NULLS LAST, m.nom_tri, m.id").format(
        sql.Placeholder("motifs")),
}

__all__ = ["MAX_LIMIT", "SORTS", "Filters", "as_geojson", "covering", "covering_json", "nearby", "nearby_json",
           "type_counts"]


def _page(limit: int, offset: int) -> tuple[int, int]:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit : entre 1 et {MAX_LIMIT}.")
    if not 0 <= offset <= MAX_OFFSET:
        raise InvalidInput(f"offset : entre 0 et {MAX_OFFSET}.")
    return limit, offset


_COVERING = """
WITH target AS (
    SELECT c.insee, c.nom, c.type, c.parent_insee, c.departement, c.centre
      FROM geo_commune c
     WHERE c.insee = {resolved}
), matches AS (
    SELECT o.id, cv.motif, cv.partielle, coalesce(o.nom_norm, lower(o.nom)) AS nom_tri, cv.distance_m AS d
      FROM {rows}
      JOIN offre o ON o.id = cv.offre_id
      LEFT JOIN etablissement e ON e.id = o.etablissement_id
     WHERE {flag} AND {where}
), page AS (
    SELECT m.*, row_number() OVER () AS rang FROM (
        SELECT m.* FROM matches m ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s) m
)
SELECT '{{"commune": ' || (jsonb_build_object(
        'insee', t.insee, 'nom', t.nom, 'type', t.type, 'parent_insee', t.parent_insee,
        'departement', t.departement,
        'lat', round(ST_Y(t.centre)::numeric, 5), 'lon', round(ST_X(t.centre)::numeric, 5))
        || CASE WHEN t.insee = %(code)s THEN '{{}}'::jsonb ELSE jsonb_build_object('code_demande', %(code)s) END)::text
    || ', "results": [' || coalesce((SELECT string_agg({doc}, ', ' ORDER BY p.rang) FROM page p), '')
    || '], "total": ' || {total} || '}}' AS body
  FROM target t
"""

# The number of matches: of every match (the filters and the visibility are checked on each offer), or, for an
# unfiltered answer without sensitive units, of the commune's rows flagged public (couverture.publique, migration 021),
# read from the index alone. The matches are then used once, so that their page is read in the index's distance
# order (the first rows only) instead of sorting all of them.
# The commune's coverage rows: with the commune's code as a value (an index scan in distance order that stops after
# the page) when the matches are used once, else joined (all rows are read anyway, in whatever plan is cheapest).
_ROWS_IN_ORDER = sql.SQL("couverture cv")
_ROWS_JOINED = sql.SQL("target t JOIN couverture cv ON cv.insee = t.insee")
_INSEE_IN_ORDER = sql.SQL("cv.insee = (SELECT t.insee FROM target t) AND ")
_COUNT_MATCHES = sql.SQL("(SELECT count(*) FROM matches)")
_COUNT_PUBLIC_ROWS = sql.SQL(
    "(SELECT count(*) FROM couverture cv WHERE cv.insee = t.insee AND cv.publique)")

_COVERAGE_EXTRA = sql.SQL("""'"couverture" : ' || json_build_object(
        'motif', p.motif, 'libelle', {labels}, 'partielle', p.partielle)::text
    || ', "distance_km" : ' || coalesce(round((p.d / 1000)::numeric, 2)::text, 'null')""").format(
    labels=sql.SQL("CASE p.motif {} ELSE p.motif END").format(sql.SQL(" ").join(
        sql.SQL("WHEN {} THEN {}").format(sql.Literal(k), sql.Literal(v.replace("%", "%%")))  # "%" in "25 %"
        for k, v in MOTIF_LABELS.items())))


def covering_json(
    conn: Conn,
    code: str,
    filters: Filters | None = None,
    *,
    limit: int = 100,
    offset: int = 0,
    sort: str = "distance",
    vis: Visibility = PUBLIC_VISIBILITY,
) -> bytes:
    """Offers covering a commune, as the JSON document ``{"commune", "results", "total"}`` (UTF-8 bytes).

    One statement: the code is resolved (current, former, delegated or associated code), the matching offers are
    counted, sorted (distance from the commune's centre, name or motif) and only the page is labelled.

    Parameters
    ----------
    conn : Conn
        An open connection.
    code : str
        INSEE code of a commune or municipal arrondissement (a former code answers for the current commune, and
        ``commune.code_demande`` says which code was asked).
    filters : Filters, optional
        Codes of the NOS lists and age; checked against the nomenclatures unless already checked.
    limit, offset : int
        The page (1..1000, 0..1,000,000).
    sort : {"distance", "nom", "motif"}
        Order of the results.
    vis : Visibility
        What the asker may see (default: the public).

    Returns
    -------
    bytes
        The JSON document.

    Raises
    ------
    InvalidInput
        Malformed code, filter, page or sort.
    NotFound
        No commune has this code.
    """
    filters = filters or Filters()
    limit, offset = _page(limit, offset)
    if sort not in SORTS:
        raise InvalidInput(f"tri : valeurs permises {', '.join(SORTS)}.")
    code = check_insee(code)
    validate_filters(conn, filters)
    query, params = covering_statement(code, filters, limit=limit, offset=offset, sort=sort, vis=vis)
    row = conn.execute(query, params).fetchone()
    if row is None:
        raise NotFound(f"Aucune commune ne correspond au code INSEE {code}.")
    return str(_value(row)).encode()


def covering_statement(code: str, filters: Filters, *, limit: int, offset: int, sort: str,
                       vis: Visibility = PUBLIC_VISIBILITY) -> tuple[sql.Composed, dict[str, Any]]:
    """Return the one statement of :func:`covering_json` and its parameters (already checked), e.g. for EXPLAIN."""
    params: dict[str, Any] = {"code": code, "limit": limit, "offset": offset, "motifs": list(MOTIFS)}
    # Without sensitive units the offers shown are those of PUBLIC_OFFER, which each row's flag mirrors; the rule
    # itself is still checked on every offer returned (fail closed: a stale flag never shows a hidden offer).
    unfiltered = not any(filters.code_fields().values()) and filters.age is None
    fast = unfiltered and not vis.sensitive
    flag = sql.SQL("true" if vis.sensitive else "cv.publique")
    query = sql.SQL(_COVERING).format(
        resolved=RESOLVED_INSEE, rows=_ROWS_IN_ORDER if fast else _ROWS_JOINED,
        flag=_INSEE_IN_ORDER + flag if fast else flag, where=where_clause(filters, params, vis), order=SORTS[sort],
        doc=public_doc_with(_COVERAGE_EXTRA, vis), total=_COUNT_PUBLIC_ROWS if fast else _COUNT_MATCHES)
    return query, params


def covering(conn: Conn, code: str, filters: Filters | None = None, *, limit: int = 100,
             offset: int = 0, sort: str = "distance", vis: Visibility = PUBLIC_VISIBILITY) -> dict[str, Any]:
    """:func:`covering_json` as a dict (for the widgets and exports)."""
    result: dict[str, Any] = json.loads(covering_json(conn, code, filters, limit=limit, offset=offset, sort=sort,
                                                      vis=vis))
    return result


_TYPE_COUNTS = """
WITH target AS (
    SELECT c.insee FROM geo_commune c
     WHERE c.insee = {resolved}
), counts AS (
    SELECT o.type_offre AS code, count(*) AS offres, count(*) FILTER (WHERE cv.partielle) AS partielles,
           min(e.categorie) AS categorie
      FROM target t
      JOIN couverture cv ON cv.insee = t.insee
      JOIN offre o ON o.id = cv.offre_id
      LEFT JOIN etablissement e ON e.id = o.etablissement_id
     WHERE o.type_offre IS NOT NULL AND {where}
     GROUP BY o.type_offre
)
SELECT json_build_object(
    'insee', (SELECT insee FROM target),
    'types_offre', coalesce((SELECT json_agg(json_build_object(
            'code', k.code, 'label', n.label, 'offres', k.offres, 'partielles', k.partielles,
            'categorie', k.categorie) ORDER BY k.offres DESC, n.label, k.code)
        FROM counts k LEFT JOIN nomenclature n ON n.name = 'type_offre' AND n.code = k.code), '[]'))::text AS body
"""


def type_counts(conn: Conn, code: str, filters: Filters | None = None) -> dict[str, Any]:
    """Return the types d'offre of the offers covering a commune, with their number of offers (facets).

    The type d'offre filter itself is ignored (the list offers every type that would give a result); the
    other filters apply.

    Parameters
    ----------
    conn : Conn
        An open connection.
    code : str
        INSEE code of a commune or municipal arrondissement (former codes answer for the current commune).
    filters : Filters, optional
        The other filters (public, activité, âge…).

    Returns
    -------
    dict
        ``{"insee", "types_offre": [{"code", "label", "offres", "partielles", "categorie"}]}``, most offers first.

    Raises
    ------
    InvalidInput
        Malformed code or filter.
    NotFound
        No commune has this code.
    """
    filters = filters or Filters()
    code = check_insee(code)
    validate_filters(conn, filters)
    others = Filters(**{**filters.code_fields(), "type_offre": []}, age=filters.age, checked=True)
    params: dict[str, Any] = {"code": code}
    query = sql.SQL(_TYPE_COUNTS).format(resolved=RESOLVED_INSEE, where=where_clause(others, params))
    result: dict[str, Any] = json.loads(str(_value(conn.execute(query, params).fetchone())))
    if result["insee"] is None:
        raise NotFound(f"Aucune commune ne correspond au code INSEE {code}.")
    return result


def _value(row: dict[str, Any] | None) -> Any:
    """Return the single value of a one-column row (an aggregate: always one row)."""
    assert row is not None
    return next(iter(row.values()))


_NEARBY = """
WITH p AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g),
matches AS (
    SELECT o.id, coalesce(o.nom_norm, lower(o.nom)) AS nom_tri, ST_DistanceSphere(p.g, o.geom) AS d
      FROM offre o CROSS JOIN p
      LEFT JOIN etablissement e ON e.id = o.etablissement_id
     WHERE o.geom IS NOT NULL
       AND ST_DWithin(o.geom::geography, p.g::geography, %(m)s)
       AND {where}
), page AS (
    SELECT m.*, row_number() OVER () AS rang FROM (
        SELECT m.* FROM matches m ORDER BY m.d, m.nom_tri, m.id LIMIT %(limit)s OFFSET %(offset)s) m
)
SELECT '{{"results": [' || coalesce((SELECT string_agg({doc}, ', ' ORDER BY p.rang) FROM page p), '')
    || '], "total": ' || (SELECT count(*) FROM matches) || '}}' AS body
"""

_DISTANCE_EXTRA = sql.SQL("""'"distance_km" : ' || coalesce(round((p.d / 1000)::numeric, 2)::text, 'null')""")


def nearby_json(
    conn: Conn,
    lat: float,
    lon: float,
    rayon_km: float,
    filters: Filters | None = None,
    *,
    limit: int = 100,
    offset: int = 0,
    vis: Visibility = PUBLIC_VISIBILITY,
) -> bytes:
    """Offers whose point lies within ``rayon_km`` of (lat, lon), nearest first: ``{"results", "total"}`` bytes.

    Raises
    ------
    InvalidInput
        Coordinates out of range, radius not in ]0, 100] km, malformed filters or page.
    """
    filters = filters or Filters()
    limit, offset = _page(limit, offset)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInput("Coordonnées invalides : lat entre -90 et 90, lon entre -180 et 180.")
    if not 0 < rayon_km <= 100:
        raise InvalidInput("rayon_km : strictement positif et au plus 100 km.")
    validate_filters(conn, filters)
    params: dict[str, Any] = {"lat": lat, "lon": lon, "m": rayon_km * 1000, "limit": limit, "offset": offset}
    query = sql.SQL(_NEARBY).format(where=where_clause(filters, params, vis), doc=public_doc_with(_DISTANCE_EXTRA, vis))
    return str(_value(conn.execute(query, params).fetchone())).encode()


def nearby(conn: Conn, lat: float, lon: float, rayon_km: float, filters: Filters | None = None,
           *, limit: int = 100, offset: int = 0, vis: Visibility = PUBLIC_VISIBILITY) -> dict[str, Any]:
    """:func:`nearby_json` as a dict."""
    result: dict[str, Any] = json.loads(nearby_json(conn, lat, lon, rayon_km, filters, limit=limit, offset=offset,
                                                    vis=vis))
    return result


def as_geojson(results: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """Offers as a GeoJSON FeatureCollection of points (offers without a point are left out)."""
    features = []
    for r in results:
        lon, lat = r.get("lon"), r.get("lat")
        if lon is None and r.get("etablissement"):
            lon, lat = r["etablissement"]["lon"], r["etablissement"]["lat"]
        if lon is None:
            continue
        features.append(
            {
                "type": "Feature",
                "id": r["id"],
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {k: v for k, v in r.items() if k not in ("lat", "lon")},
            }
        )
    return {"type": "FeatureCollection", "features": features, **extra}
