"""Départements layer (geometry derived from the communes at load time)."""

from __future__ import annotations

import re
from typing import Any

from gis.db import Conn
from gis.errors import InvalidInput, NotFound

DEPARTEMENT_RE = re.compile(r"^(?:\d{2}|2[AB]|97\d|98\d)$")  # 98x: overseas collectivities (984–989)
_GEOMETRY_SQL = {
    "full": "ST_AsGeoJSON(d.geom, 5)::json",
    "simplified": "ST_AsGeoJSON(d.geom_simple, 5)::json",
    "centre": "ST_AsGeoJSON(ST_PointOnSurface(d.geom), 5)::json",
    "none": "NULL::json",
}


def _feature(row: dict[str, Any]) -> dict[str, Any]:
    geometry = row.pop("geometry")
    return {"type": "Feature", "id": row["code"], "properties": row, "geometry": geometry}


def _select(geometry: str) -> str:
    if geometry not in _GEOMETRY_SQL:
        raise InvalidInput("Paramètre geometry invalide : full, simplified, centre ou none.")
    return f"""
        SELECT d.code, d.nom, d.region, r.nom AS region_nom, d.chef_lieu,
               (SELECT count(*) FROM geo_commune c WHERE c.departement = d.code AND c.type = 'commune')
                   AS communes,
               (SELECT sum(c.population) FROM geo_commune c
                 WHERE c.departement = d.code AND c.type = 'commune')::bigint AS population,
               {_GEOMETRY_SQL[geometry]} AS geometry
          FROM geo_departement d LEFT JOIN geo_region r ON r.code = d.region
    """  # noqa: S608 - geometry expression chosen from a fixed table


def collection(conn: Conn, *, geometry: str = "simplified") -> dict[str, Any]:
    rows = conn.execute(_select(geometry) + " ORDER BY d.code").fetchall()
    return {"type": "FeatureCollection", "features": [_feature(r) for r in rows]}


def feature(conn: Conn, code: str, *, geometry: str = "simplified") -> dict[str, Any]:
    code = code.strip().upper()
    if not DEPARTEMENT_RE.match(code):
        raise InvalidInput(f"Code de département mal formé : « {code[:10]} » (ex. 93, 2A, 974).")
    row = conn.execute(_select(geometry) + " WHERE d.code = %(code)s", {"code": code}).fetchone()
    if row is None:
        raise NotFound(f"Département inconnu ou non chargé : {code}.")
    return _feature(row)


def bbox(conn: Conn, code: str | None = None) -> list[float] | None:
    """[minx, miny, maxx, maxy] of a département, or of every loaded département when ``code`` is None."""
    row = conn.execute(
        "SELECT ARRAY[ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)] AS b "
        "FROM (SELECT ST_Extent(geom) AS e FROM geo_departement WHERE %(code)s::text IS NULL OR code = %(code)s) x",
        {"code": code.upper() if code else None},
    ).fetchone()
    return row["b"] if row and row["b"] and row["b"][0] is not None else None
