"""What the demo generator reads from the database (real EGs, communes, neighbours, shapes)."""

from __future__ import annotations

import json
from typing import Any

from gis.db import Conn
from gis.importers.statements import one

#: Types d'offre of the units for older people the demo would invent in an EHPAD (JDV_J238): hébergement PA
#: 21/22, UHR 23, UVP 24, PASA 25, PUV 26, USLD 249.
PA_TYPES = ("21", "22", "23", "24", "25", "26", "249")


def real_egs(conn: Conn) -> list[dict[str, Any]]:
    """Real located EGs with a FINESS (FINESS order), their commune, arrondissement and département.

    ``offres_pa_reelles``: the EG already has real offers for older people (CNSA annuaire or ROR), so the
    demo invents none there.
    """
    return conn.execute(
        """
        SELECT e.finess, e.nom, e.categorie, round(ST_Y(e.geom)::numeric, 5)::float AS lat,
               round(ST_X(e.geom)::numeric, 5)::float AS lon, c.insee AS commune, e.arrondissement_insee AS arr,
               c.departement,
               EXISTS (SELECT 1 FROM offre o WHERE o.etablissement_id = e.id AND NOT o.fictif
                          AND o.type_offre = ANY (%s)) AS offres_pa_reelles
          FROM etablissement e JOIN geo_commune c ON c.insee = e.commune_insee
         WHERE e.finess IS NOT NULL AND e.geom IS NOT NULL AND NOT e.fictif
         ORDER BY e.finess
        """,
        (list(PA_TYPES),),
    ).fetchall()


def neighbours(conn: Conn) -> dict[str, list[str]]:
    """Communes (and arrondissements among themselves) touching each other, nearest first."""
    rows = conn.execute(
        """
        SELECT a.insee, array_agg(b.insee ORDER BY ST_Distance(a.centre, b.centre), b.insee) AS voisins
          FROM geo_commune a
          JOIN geo_commune b ON b.insee <> a.insee AND b.type = a.type AND ST_DWithin(a.geom_l93, b.geom_l93, 50)
         GROUP BY a.insee
        """
    ).fetchall()
    return {r["insee"]: r["voisins"] for r in rows}


def places(conn: Conn) -> list[dict[str, Any]]:
    """Where invented services sit: arrondissements and communes (not Paris as a whole), populous first."""
    return conn.execute(
        "SELECT insee, nom, departement FROM geo_commune WHERE insee <> '75056' AND geom IS NOT NULL "
        "ORDER BY population DESC NULLS LAST, insee"
    ).fetchall()


def random_point(conn: Conn, insee: str, seed: int) -> tuple[float, float]:
    """Return a point of commune ``insee`` drawn by PostGIS with ``seed`` (5 decimals)."""
    row = one(conn.execute(
        "SELECT round(ST_Y(p)::numeric, 5)::float AS lat, round(ST_X(p)::numeric, 5)::float AS lon FROM ("
        " SELECT (ST_Dump(ST_GeneratePoints(geom, 1, %s))).geom AS p FROM geo_commune WHERE insee = %s) s LIMIT 1",
        (seed, insee),
    ))
    return row["lat"], row["lon"]


def buffer(conn: Conn, lat: float, lon: float, metres: float) -> dict[str, Any]:
    """GeoJSON disc of ``metres`` around a point."""
    row = one(conn.execute(
        "SELECT ST_AsGeoJSON(ST_Buffer(ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, %s, 24)::geometry, 5) AS g",
        (lon, lat, metres),
    ))
    geometry: dict[str, Any] = json.loads(row["g"])
    return geometry


def hull(conn: Conn, codes: list[str]) -> dict[str, Any]:
    """GeoJSON convex hull of communes."""
    row = one(conn.execute(
        "SELECT ST_AsGeoJSON(ST_ConvexHull(ST_Collect(geom_simple)), 5) AS g FROM geo_commune WHERE insee = ANY(%s)",
        (codes,),
    ))
    geometry: dict[str, Any] = json.loads(row["g"])
    return geometry
