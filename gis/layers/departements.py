"""Départements layer (geometry derived from the communes at load time)."""

from __future__ import annotations

import json
import re
from typing import Any

from psycopg import sql

from gis.db import Conn
from gis.errors import InvalidInput, NotFound
from gis.layers.geojson import collection_sql

DEPARTEMENT_RE = re.compile(r"^(?:\d{2}|2[AB]|97\d|98\d)$")  # 98x: overseas collectivities (984–989)
_GEOMETRY_SQL = {
    "full": "ST_AsGeoJSON(d.geom, 5)::json",
    "simplified": "ST_AsGeoJSON(d.geom_simple, 5)::json",
    "centre": "ST_AsGeoJSON(ST_PointOnSurface(d.geom), 5)::json",
    "none": "NULL::json",
}


def _select(geometry: str) -> sql.Composed:
    """Rows (id, properties, geometry) of the départements, for :func:`gis.layers.geojson.collection_sql`."""
    if geometry not in _GEOMETRY_SQL:
        raise InvalidInput("Paramètre geometry invalide : full, simplified, centre ou none.")
    return sql.SQL("""
        SELECT d.code AS id,
               json_build_object(
                   'code', d.code, 'nom', d.nom, 'region', d.region, 'region_nom', r.nom, 'chef_lieu', d.chef_lieu,
                   'communes', (SELECT count(*) FROM geo_commune c WHERE c.departement = d.code AND c.type = 'commune'),
                   'population', (SELECT sum(c.population) FROM geo_commune c
                                   WHERE c.departement = d.code AND c.type = 'commune')::bigint) AS properties,
               {geometry} AS geometry
          FROM geo_departement d LEFT JOIN geo_region r ON r.code = d.region
         WHERE {code}::text IS NULL OR d.code = {code}
    """).format(geometry=sql.SQL(_GEOMETRY_SQL[geometry]), code=sql.Placeholder("code"))


def collection_json(conn: Conn, *, geometry: str = "simplified") -> bytes:
    """Every loaded département as a GeoJSON FeatureCollection built by PostgreSQL (text)."""
    row = conn.execute(collection_sql(_select(geometry)), {"code": None}).fetchone()
    assert row is not None  # an aggregate always returns one row
    return str(next(iter(row.values()))).encode()


def collection(conn: Conn, *, geometry: str = "simplified") -> dict[str, Any]:
    """:func:`collection_json` as a dict."""
    result: dict[str, Any] = json.loads(collection_json(conn, geometry=geometry))
    return result


def feature(conn: Conn, code: str, *, geometry: str = "simplified") -> dict[str, Any]:
    """One département as a GeoJSON Feature.

    Raises
    ------
    InvalidInput
        Malformed code or geometry mode.
    NotFound
        Unknown or not loaded département.
    """
    code = code.strip().upper()
    if not DEPARTEMENT_RE.match(code):
        raise InvalidInput(f"Code de département mal formé : « {code[:10]} » (ex. 93, 2A, 974).")
    row = conn.execute(sql.SQL("SELECT id, properties, geometry FROM ({}) f").format(_select(geometry)),
                       {"code": code}).fetchone()
    if row is None:
        raise NotFound(f"Département inconnu ou non chargé : {code}.")
    return {"type": "Feature", "id": row["id"], "properties": row["properties"], "geometry": row["geometry"]}


def bbox(conn: Conn, code: str | None = None) -> list[float] | None:
    """[minx, miny, maxx, maxy] of a département, or of every loaded département when ``code`` is None."""
    row = conn.execute(
        "SELECT ARRAY[ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)] AS b "
        "FROM (SELECT ST_Extent(geom) AS e FROM geo_departement WHERE %(code)s::text IS NULL OR code = %(code)s) x",
        {"code": code.upper() if code else None},
    ).fetchone()
    return row["b"] if row and row["b"] and row["b"][0] is not None else None
