"""Territoires layer.

The intervention territories of the offers covering a commune, and the number of offers covering each commune
(coverage choropleth). Display geometries only; no union per request.
"""

from __future__ import annotations

import json
from typing import Any

from psycopg import sql

from gis.access import PUBLIC_VISIBILITY, Visibility
from gis.db import Conn
from gis.errors import InvalidInput, NotFound
from gis.layers.communes import resolve
from gis.layers.departements import DEPARTEMENT_RE
from gis.layers.filters import Filters, validate_filters, where_clause
from gis.layers.geojson import collection_sql

# Units of the zones of the covering offers, grouped, with their display geometry ({where}: visibility + filters).
_TERRITORIES = """
        WITH offers AS (
            SELECT o.id, o.nom, o.type_offre FROM couverture cv JOIN offre o ON o.id = cv.offre_id
              LEFT JOIN etablissement e ON e.id = o.etablissement_id
             WHERE cv.insee = %(insee)s AND {where}
        ), units AS (
            SELECT 'commune' AS niveau, coalesce(c.insee, a.insee) AS code, o.id, o.nom, o.type_offre
              FROM zone_intervention z JOIN offers o ON o.id = z.offre_id
              LEFT JOIN geo_commune c ON c.insee = z.code
              LEFT JOIN geo_commune_alias a ON c.insee IS NULL AND a.code = z.code
             WHERE z.type_division = '3'
            UNION ALL
            SELECT 'departement', z.code, o.id, o.nom, o.type_offre
              FROM zone_intervention z JOIN offers o ON o.id = z.offre_id
             WHERE z.type_division = '2'
            UNION ALL
            SELECT 'region', z.code, o.id, o.nom, o.type_offre
              FROM zone_intervention z JOIN offers o ON o.id = z.offre_id
             WHERE z.type_division = '1'
        ), grouped AS (
            SELECT niveau, code, count(DISTINCT id) AS offres,
                   (array_agg(DISTINCT nom ORDER BY nom))[1:5] AS noms,
                   array_agg(DISTINCT type_offre ORDER BY type_offre) FILTER (WHERE type_offre IS NOT NULL) AS types
              FROM units WHERE code IS NOT NULL GROUP BY niveau, code
        )
        SELECT g.niveau, g.code, coalesce(c.nom, d.nom, r.nom) AS nom, g.offres, g.noms, g.types,
               ST_AsGeoJSON(coalesce(c.geom_simple, d.geom_simple, r.geom_simple), 5)::json AS geometry
          FROM grouped g
          LEFT JOIN geo_commune c ON g.niveau = 'commune' AND c.insee = g.code
          LEFT JOIN geo_departement d ON g.niveau = 'departement' AND d.code = g.code
          LEFT JOIN geo_region r ON g.niveau = 'region' AND r.code = g.code
        UNION ALL
        SELECT 'polygone', o.id::text, 'Territoire déclaré', 1, ARRAY[o.nom], ARRAY[o.type_offre],
               ST_AsGeoJSON(p.geom, 5)::json
          FROM zone_polygone p JOIN offers o ON o.id = p.offre_id
         ORDER BY 1, 2
"""

# Offers covering each commune, each city once ({where}: visibility + filters; {geometry}; {dep}: département).
_COUNTS = """
        WITH counts AS (
            SELECT cv.insee, count(*) AS n, count(*) FILTER (WHERE o.fictif) AS nf
              FROM couverture cv JOIN offre o ON o.id = cv.offre_id
              LEFT JOIN etablissement e ON e.id = o.etablissement_id
             WHERE {where}
             GROUP BY cv.insee
        )
        SELECT c.insee AS id, coalesce(k.n, 0) AS offres, coalesce(k.nf, 0) AS fictives, c.population,
               json_build_object(
                   'insee', c.insee, 'nom', c.nom, 'departement', c.departement, 'population', c.population,
                   'offres', coalesce(k.n, 0),
                   'pour_10000', CASE WHEN c.population > 0
                                      THEN round((coalesce(k.n, 0) * 10000.0 / c.population)::numeric, 2) END
               ) AS properties,
               {geometry} AS geometry
          FROM geo_commune c
          LEFT JOIN counts k ON k.insee = c.insee
         WHERE ({dep}::text IS NULL OR c.departement = {dep})
           -- each city once: by its arrondissements when they have shapes, else as a whole (Lyon, Marseille
           -- without arrondissement polygons are not counted twice)
           AND NOT EXISTS (SELECT 1 FROM geo_commune a WHERE a.parent_insee = c.insee AND a.geom IS NOT NULL)
           AND (c.parent_insee IS NULL
                OR EXISTS (SELECT 1 FROM geo_commune s WHERE s.parent_insee = c.parent_insee AND s.geom IS NOT NULL))
"""


def territories_covering(conn: Conn, code: str, filters: Filters | None = None,
                         vis: Visibility = PUBLIC_VISIBILITY) -> dict[str, Any]:
    """Return the territories of the offers (seen with ``vis``) covering a commune.

    One Feature per declared zone unit (commune, département, région, polygon), with the number, the types d'offre
    (``types_offre``, for the map's family colours) and the names of
    those offers.
    """
    filters = filters or Filters()
    validate_filters(conn, filters)
    insee = resolve(conn, code)["insee"]
    params: dict[str, Any] = {"insee": insee}
    where = where_clause(filters, params, vis)
    query = sql.SQL(_TERRITORIES).format(where=where)
    features = []
    order = {"region": 0, "departement": 1, "polygone": 2, "commune": 3}
    for r in sorted(conn.execute(query, params).fetchall(), key=lambda r: (order[r["niveau"]], r["code"])):
        if r["geometry"] is None:
            continue
        noms = r["noms"] or []
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "niveau": r["niveau"],
                    "code": r["code"],
                    "nom": r["nom"],
                    "offres": r["offres"],
                    "exemples": " ; ".join(noms) + (" ; …" if r["offres"] > len(noms) else ""),
                    "types_offre": [t for t in r["types"] or [] if t],
                },
                "geometry": r["geometry"],
            }
        )
    return {"type": "FeatureCollection", "commune": insee, "features": features}


def coverage_by_commune_json(
    conn: Conn,
    filters: Filters,
    *,
    departement: str | None = None,
    geometry: bool = True,
    vis: Visibility = PUBLIC_VISIBILITY,
) -> bytes:
    """How many public offers (matching ``filters``) cover each commune, as GeoJSON text built by PostgreSQL.

    Paris is represented by its arrondissements. The FeatureCollection (display geometry) has the properties insee,
    nom, departement, population, offres, pour_10000 (offers per 10,000 people), and a ``resume`` of the communes and
    population covered by none, and of the communes covered by fictitious (demonstration) offers.

    Raises
    ------
    InvalidInput
        No type d'offre, malformed filters or département.
    NotFound
        Unknown département.
    """
    if not filters.type_offre:
        raise InvalidInput("Paramètre type_offre obligatoire (code de type d'offre, ex. 28 pour les SSIAD).")
    validate_filters(conn, filters)
    params: dict[str, Any] = {"dep": None}
    if departement:
        departement = departement.strip().upper()
        if not DEPARTEMENT_RE.match(departement):
            raise InvalidInput(f"Code de département mal formé : « {departement[:10]} ».")
        if conn.execute("SELECT 1 FROM geo_departement WHERE code = %s", (departement,)).fetchone() is None:
            raise NotFound(f"Département inconnu ou non chargé : {departement}.")
        params["dep"] = departement
    where = where_clause(filters, params, vis)
    geometry_sql = sql.SQL("ST_AsGeoJSON(c.geom_simple, 5)::json" if geometry else "NULL::json")
    rows = sql.SQL(_COUNTS).format(where=where, geometry=geometry_sql, dep=sql.Placeholder("dep"))
    summary = sql.SQL("""'resume', json_build_object(
        'communes', count(*),
        'communes_non_couvertes', count(*) FILTER (WHERE f.offres = 0),
        'population', coalesce(sum(f.population), 0),
        'population_non_couverte', coalesce(sum(f.population) FILTER (WHERE f.offres = 0), 0),
        'communes_offres_fictives', count(*) FILTER (WHERE f.fictives > 0))""")
    row = conn.execute(collection_sql(rows, extra=summary), params).fetchone()
    assert row is not None  # an aggregate always returns one row
    return str(next(iter(row.values()))).encode()


def coverage_by_commune(conn: Conn, filters: Filters, *, departement: str | None = None,
                        geometry: bool = True, vis: Visibility = PUBLIC_VISIBILITY) -> dict[str, Any]:
    """:func:`coverage_by_commune_json` as a dict (for the maps)."""
    result: dict[str, Any] = json.loads(
        coverage_by_commune_json(conn, filters, departement=departement, geometry=geometry, vis=vis))
    return result

