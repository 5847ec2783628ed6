"""GIS downloads of a collection: GeoJSON, GeoPackage, FlatGeobuf (GDAL through pyogrio) and CSV.

GeoJSON comes straight from PostGIS; GeoPackage and FlatGeobuf are converted from it by GDAL; the CSV is
written by PostgreSQL (``COPY … TO STDOUT``) with the geometry as WKT.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from gis.db import Conn
from gis.errors import InvalidInput
from gis.layers.ogc.features import ItemsQuery, all_features, order_sql, selected_props, where_sql
from gis.layers.ogc.registry import Collection, column

# format -> (GDAL driver, media type, file extension)
FORMATS: dict[str, tuple[str | None, str, str]] = {
    "geojson": (None, "application/geo+json", "geojson"),
    "gpkg": ("GPKG", "application/geopackage+sqlite3", "gpkg"),
    "fgb": ("FlatGeobuf", "application/flatgeobuf", "fgb"),
    "csv": (None, "text/csv; charset=utf-8", "csv"),
}


def download(conn: Conn, coll: Collection, q: ItemsQuery, fmt: str) -> bytes:
    """Every feature of ``coll`` matching ``q`` (bbox, filter, properties, sortby) in format ``fmt``.

    Parameters
    ----------
    conn : Conn
    coll : Collection
    q : ItemsQuery
        Paging is ignored: the whole selection is written.
    fmt : str
        A key of :data:`FORMATS`.

    Returns
    -------
    bytes
        The file content.
    """
    if fmt == "csv":
        return _csv(conn, coll, q)
    geojson = all_features(conn, coll, q).encode()
    driver = FORMATS[fmt][0]
    if driver is None:
        return geojson
    return convert(geojson, driver, layer=coll.id)


def convert(geojson: bytes, driver: str, *, layer: str) -> bytes:
    """Convert a GeoJSON FeatureCollection (CRS84) to a GDAL vector format, as bytes.

    Parameters
    ----------
    geojson : bytes
    driver : str
        GDAL driver name: ``GPKG`` or ``FlatGeobuf``.
    layer : str
        Layer name in the output.
    """
    from pyogrio import raw

    meta, _fids, geometry, field_data = raw.read(io.BytesIO(geojson))
    with tempfile.TemporaryDirectory(prefix="ror-gis-ogc-") as tmp:
        path = Path(tmp) / f"{layer}.{'gpkg' if driver == 'GPKG' else 'fgb'}"
        kwargs: dict[str, Any] = {"spatial_index": "YES"} if driver == "FlatGeobuf" else {}
        raw.write(
            str(path), geometry, field_data, meta["fields"], layer=layer, driver=driver,
            geometry_type=meta["geometry_type"], crs="EPSG:4326", encoding="UTF-8", **kwargs,
        )
        return path.read_bytes()


def _csv(conn: Conn, coll: Collection, q: ItemsQuery) -> bytes:
    params: dict[str, Any] = {}
    where = where_sql(conn, coll, q, params)
    cols = sql.SQL(", ").join(column(p) for p in ("id", *selected_props(coll, q.properties)))
    geometry = sql.SQL("ST_AsText(t.geom, 6)") if q.srid == 4326 else sql.SQL(
        "ST_AsText(ST_Transform(t.geom, {}), 2)").format(sql.Literal(q.srid))
    query = sql.SQL(
        "COPY (SELECT {cols}, {geometry} AS geometrie_wkt FROM ({src}) t WHERE {where} ORDER BY {order}) "
        "TO STDOUT WITH (FORMAT csv, HEADER true)"
    ).format(cols=cols, geometry=geometry, src=sql.SQL(coll.source), where=where,
             order=order_sql(coll, q.sortby))
    out = bytearray(b"\xef\xbb\xbf")  # BOM: spreadsheets open the UTF-8 file correctly
    try:
        with conn.cursor() as cur, cur.copy(query, params) as copy:
            for chunk in copy:
                out += chunk
    except (psycopg.errors.DataException, psycopg.errors.InternalError_) as exc:
        if q.filter is None and q.bbox is None:
            raise
        raise InvalidInput("Géométrie ou valeur du filtre invalide.") from exc
    return bytes(out)
