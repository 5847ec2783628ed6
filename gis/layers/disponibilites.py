"""The availability layer (*Disponibilités*): offers with available places around a commune, nearest first.

An offer is listed when it is public (:data:`gis.layers.filters.PUBLIC_OFFER`), has a point within ``rayon_km`` of
the commune's centre and ``capacite_disponible > 0``. Each result is the public form of the offer
(:mod:`gis.public_offer`) with ``distance_km`` and ``disponibilite``: ``places``, ``maj`` (the date of the figure),
``fictive`` (demo data), ``perimee`` and ``perimee_apres`` (``maj`` + the delay). A figure older than the delay
(``ROR_GIS_DISPONIBILITE_PERIMEE_H``) or undated is *périmée*: still listed (and counted in ``perimees``), never to be
shown as the current number of free places. Staleness is decided at ``calcule_le`` (the time of the answer); the
pages recompute it from ``perimee_apres`` when they display the figure.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from psycopg import sql

from gis.db import Conn
from gis.errors import InvalidInput, NotFound
from gis.layers.communes import RESOLVED_INSEE, check_insee
from gis.layers.filters import PUBLIC_OFFER, Filters, validate_filters, where_clause
from gis.public_offer import public_doc_with

MAX_LIMIT = 1000
MAX_RADIUS_KM = 100.0

_QUERY = """
WITH target AS (
    SELECT c.insee, c.nom, c.type, c.departement, c.centre
      FROM geo_commune c
     WHERE c.insee = {resolved}
), matches AS (
    SELECT o.id, coalesce(o.nom_norm, lower(o.nom)) AS nom_tri, ST_DistanceSphere(t.centre, o.geom) AS d,
           o.capacite_disponible AS places, o.capacite_disponible_maj AS maj, o.disponibilite_fictive AS fictive,
           o.capacite_disponible_maj + make_interval(hours => %(delay)s) AS limite
      FROM target t
      JOIN offre o ON o.geom IS NOT NULL AND ST_DWithin(o.geom::geography, t.centre::geography, %(m)s)
      LEFT JOIN etablissement e ON e.id = o.etablissement_id
     WHERE o.capacite_disponible > 0 AND {where}
), page AS (
    SELECT m.*, row_number() OVER () AS rang FROM (
        SELECT m.* FROM matches m ORDER BY m.d, m.nom_tri, m.id LIMIT %(limit)s OFFSET %(offset)s) m
)
SELECT '{{"commune": ' || json_build_object(
        'insee', t.insee, 'nom', t.nom, 'type', t.type, 'departement', t.departement,
        'lat', round(ST_Y(t.centre)::numeric, 5), 'lon', round(ST_X(t.centre)::numeric, 5))::text
    || ', "rayon_km": ' || to_json(%(rayon)s::float8)::text
    || ', "delai_peremption_h": ' || to_json(%(delay)s::int)::text
    || ', "calcule_le": ' || to_json(%(now)s::timestamptz)::text
    || ', "results": [' || coalesce((SELECT string_agg({doc}, ', ' ORDER BY p.rang) FROM page p), '')
    || '], "total": ' || (SELECT count(*) FROM matches)
    || ', "perimees": ' || (SELECT count(*) FROM matches WHERE limite IS NULL OR limite < %(now)s) || '}}' AS body
  FROM target t
"""

_EXTRA = sql.SQL("""'"distance_km" : ' || coalesce(round((p.d / 1000)::numeric, 2)::text, 'null')
    || ', "disponibilite" : ' || json_build_object(
        'places', p.places, 'maj', p.maj, 'fictive', p.fictive,
        'perimee', p.limite IS NULL OR p.limite < %(now)s, 'perimee_apres', p.limite)::text""")


def around_json(
    conn: Conn,
    code: str,
    filters: Filters | None = None,
    *,
    rayon_km: float = 10.0,
    delay_h: int = 72,
    now: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> bytes:
    """Offers with available places around a commune, nearest first, as a JSON document (UTF-8 bytes).

    Parameters
    ----------
    conn : Conn
        An open connection.
    code : str
        INSEE code of a commune or municipal arrondissement (or a former code).
    filters : Filters, optional
        Codes of the NOS lists (``type_offre``…), checked against the nomenclatures.
    rayon_km : float
        Radius around the commune's centre, ]0, 100] km.
    delay_h : int
        A figure older than this many hours is *périmée*.
    now : datetime, optional
        Time of the answer (default: now, UTC).
    limit, offset : int
        The page.

    Returns
    -------
    bytes
        ``{"commune", "rayon_km", "delai_peremption_h", "calcule_le", "results", "total", "perimees"}``.

    Raises
    ------
    InvalidInput
        Malformed code, filters, radius or page.
    NotFound
        No commune has this code.
    """
    filters = filters or Filters()
    if not 0 < rayon_km <= MAX_RADIUS_KM:
        raise InvalidInput("rayon_km : strictement positif et au plus 100 km.")
    if not (1 <= limit <= MAX_LIMIT and 0 <= offset <= 1_000_000):
        raise InvalidInput(f"limit : entre 1 et {MAX_LIMIT} ; offset : entre 0 et 1 000 000.")
    if delay_h < 1:
        raise InvalidInput("Délai de péremption des disponibilités : au moins 1 heure.")
    code = check_insee(code)
    validate_filters(conn, filters)
    params: dict[str, Any] = {"code": code, "m": rayon_km * 1000, "rayon": rayon_km, "delay": delay_h,
                              "now": now or datetime.now(UTC), "limit": limit, "offset": offset}
    query = sql.SQL(_QUERY).format(resolved=RESOLVED_INSEE, where=where_clause(filters, params),
                                   doc=public_doc_with(_EXTRA))
    row = conn.execute(query, params).fetchone()
    if row is None:
        raise NotFound(f"Aucune commune ne correspond au code INSEE {code}.")
    return str(row["body"]).encode()


def around(conn: Conn, code: str, filters: Filters | None = None, **kwargs: Any) -> dict[str, Any]:
    """:func:`around_json` as a dict."""
    result: dict[str, Any] = json.loads(around_json(conn, code, filters, **kwargs))
    return result


def types_with_places(conn: Conn) -> list[tuple[str, str]]:
    """(code, label) of the types d'offre of public offers with available places, in code order (for forms)."""
    rows = conn.execute(sql.SQL(
        "SELECT DISTINCT o.type_offre AS code, coalesce(n.label, o.type_offre) AS label FROM offre o "
        "LEFT JOIN nomenclature n ON n.name = 'type_offre' AND n.code = o.type_offre "
        "WHERE o.capacite_disponible > 0 AND o.type_offre IS NOT NULL AND {} ORDER BY 1").format(PUBLIC_OFFER)
    ).fetchall()
    return [(r["code"], r["label"]) for r in rows]
