"""Territoires layer: the intervention territories of the offers covering a commune, and the number of
offers covering each commune (coverage choropleth). Display geometries only; no union per request.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from gis.errors import InvalidInput, NotFound
from gis.layers.communes import resolve
from gis.layers.departements import DEPARTEMENT_RE
from gis.layers.filters import Filters, validate_filters, where_clause


def territories_covering(conn: psycopg.Connection[Any], code: str, filters: Filters | None = None) -> dict[str, Any]:
    """One Feature per declared zone unit (commune, département, région, polygon) of the public offers
    covering the commune, with the number and the names of those offers."""
    filters = filters or Filters()
    validate_filters(conn, filters)
    insee = resolve(conn, code)["insee"]
    params: dict[str, Any] = {"insee": insee}
    where = where_clause(filters, params)
    query = sql.SQL("""
        WITH offers AS (
            SELECT o.id, o.nom FROM couverture cv JOIN offre o ON o.id = cv.offre_id
              LEFT JOIN etablissement e ON e.id = o.etablissement_id
             WHERE cv.insee = %(insee)s AND {where}
        ), units AS (
            SELECT 'commune' AS niveau, coalesce(c.insee, a.insee) AS code, o.id, o.nom
              FROM zone_intervention z JOIN offers o ON o.id = z.offre_id
              LEFT JOIN geo_commune c ON c.insee = z.code
              LEFT JOIN geo_commune_alias a ON c.insee IS NULL AND a.code = z.code
             WHERE z.type_division = '3'
            UNION ALL
            SELECT 'departement', z.code, o.id, o.nom FROM zone_intervention z JOIN offers o ON o.id = z.offre_id
             WHERE z.type_division = '2'
            UNION ALL
            SELECT 'region', z.code, o.id, o.nom FROM zone_intervention z JOIN offers o ON o.id = z.offre_id
             WHERE z.type_division = '1'
        ), grouped AS (
            SELECT niveau, code, count(DISTINCT id) AS offres,
                   (array_agg(DISTINCT nom ORDER BY nom))[1:5] AS noms
              FROM units WHERE code IS NOT NULL GROUP BY niveau, code
        )
        SELECT g.niveau, g.code, coalesce(c.nom, d.nom, r.nom) AS nom, g.offres, g.noms,
               ST_AsGeoJSON(coalesce(c.geom_simple, d.geom_simple, r.geom_simple), 5)::json AS geometry
          FROM grouped g
          LEFT JOIN geo_commune c ON g.niveau = 'commune' AND c.insee = g.code
          LEFT JOIN geo_departement d ON g.niveau = 'departement' AND d.code = g.code
          LEFT JOIN geo_region r ON g.niveau = 'region' AND r.code = g.code
        UNION ALL
        SELECT 'polygone', o.id::text, 'Territoire déclaré', 1, ARRAY[o.nom], ST_AsGeoJSON(p.geom, 5)::json
          FROM zone_polygone p JOIN offers o ON o.id = p.offre_id
         ORDER BY 1, 2
    """).format(where=where)
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
                },
                "geometry": r["geometry"],
            }
        )
    return {"type": "FeatureCollection", "commune": insee, "features": features}


def coverage_by_commune(
    conn: psycopg.Connection[Any],
    filters: Filters,
    *,
    departement: str | None = None,
    geometry: bool = True,
) -> dict[str, Any]:
    """How many public offers (matching ``filters``) cover each commune.

    Paris is represented by its arrondissements. Returns a FeatureCollection (display geometry) whose
    properties are insee, nom, departement, population, offres, pour_10000 (offers per 10,000 people).
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
    where = where_clause(filters, params)
    geom_sql = sql.SQL("ST_AsGeoJSON(c.geom_simple, 5)::json" if geometry else "NULL::json")
    query = sql.SQL("""
        WITH counts AS (
            SELECT cv.insee, count(*) AS n
              FROM couverture cv JOIN offre o ON o.id = cv.offre_id
              LEFT JOIN etablissement e ON e.id = o.etablissement_id
             WHERE {where}
             GROUP BY cv.insee
        )
        SELECT c.insee, c.nom, c.departement, c.population, coalesce(k.n, 0)::int AS offres,
               CASE WHEN c.population > 0 THEN round((coalesce(k.n, 0) * 10000.0 / c.population)::numeric, 2)::float
               END AS pour_10000,
               {geom_sql} AS geometry
          FROM geo_commune c
          LEFT JOIN counts k ON k.insee = c.insee
         WHERE (%(dep)s::text IS NULL OR c.departement = %(dep)s)
           AND NOT EXISTS (SELECT 1 FROM geo_commune a WHERE a.parent_insee = c.insee AND a.geom IS NOT NULL)
         ORDER BY c.insee
    """).format(where=where, geom_sql=geom_sql)
    rows = conn.execute(query, params).fetchall()
    features = [
        {
            "type": "Feature",
            "id": r["insee"],
            "properties": {k: r[k] for k in ("insee", "nom", "departement", "population", "offres", "pour_10000")},
            "geometry": r["geometry"],
        }
        for r in rows
    ]
    uncovered = [r for r in rows if r["offres"] == 0]
    summary = {
        "communes": len(rows),
        "communes_non_couvertes": len(uncovered),
        "population": sum(r["population"] or 0 for r in rows),
        "population_non_couverte": sum(r["population"] or 0 for r in uncovered),
    }
    return {"type": "FeatureCollection", "features": features, "resume": summary}
