"""Mapbox Vector Tiles (WebMercatorQuad) of the OGC collections.

Made by PostGIS in one statement (``ST_AsMVT`` over ``ST_AsMVTGeom``), with the TileMatrixSet / TileJSON documents
describing them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from psycopg import sql

from gis.db import Conn
from gis.errors import NotFound
from gis.layers.ogc.features import WHERE_SLOT, ItemsQuery, run_checked, selected_props, where_sql, with_where
from gis.layers.ogc.registry import Collection, column

TMS_ID = "WebMercatorQuad"
MAX_ZOOM = 22
EXTENT = 4096
BUFFER = 64
_ORIGIN = 20037508.3427892
_CELL0 = 156543.03392804097
_SCALE0 = 559082264.0287178


def check_tile(tms: str, z: int, x: int, y: int) -> None:
    """Raise NotFound for another tile matrix set or a tile outside the WebMercatorQuad grid."""
    if tms != TMS_ID:
        raise NotFound(f"Jeu de matrices de tuiles inconnu : « {tms[:40]} » (seul {TMS_ID} est servi).")
    if not 0 <= z <= MAX_ZOOM or not 0 <= x < 2**z or not 0 <= y < 2**z:
        raise NotFound(f"Tuile hors de la grille {TMS_ID} : {z}/{x}/{y}.")


def tile(conn: Conn, coll: Collection, z: int, x: int, y: int, q: ItemsQuery) -> bytes:
    """One MVT tile of ``coll`` (layer named after the collection), filtered like the items.

    Parameters
    ----------
    conn : Conn
    coll : Collection
    z, x, y : int
        Tile matrix, column and row in WebMercatorQuad.
    q : ItemsQuery
        Only ``filter``, ``filter_srid``, ``properties`` (lighter tiles) and ``args`` (collection parameters)
        are used.

    Returns
    -------
    bytes
        The protobuf tile (empty when no feature touches the tile).
    """
    params: dict[str, Any] = {"z": z, "x": x, "y": y, "layer": coll.id}
    only_filter = ItemsQuery(filter=q.filter, filter_srid=q.filter_srid, args=q.args, catalog=q.catalog)
    where = where_sql(conn, coll, only_filter, params)
    props = selected_props(coll, q.properties)
    query = with_where(_tile_text(coll, z < coll.simple_below_zoom, props), where)
    row = run_checked(conn, query, params, q.filter is not None, binary=True)[0]
    return bytes(row["tile"] or b"")


@lru_cache(maxsize=64)
def _tile_text(coll: Collection, simple: bool, props: tuple[str, ...]) -> str:
    """Return the tile statement of ``coll`` (display geometry when ``simple``) with ``props``, composed once.

    Polygons stored in Web Mercator (``coll.mercator``) are selected and cut as they are; the others are selected in
    WGS84 by the tile's envelope and transformed.
    """
    drawn = "geom_simple" if simple else "geom"
    if coll.mercator:
        geom: sql.Composable = column(drawn + "_3857")
        touches = sql.SQL("{} && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => {})").format(
            column("geom_3857"), sql.Literal(BUFFER / EXTENT))
    else:
        geom = sql.SQL("ST_Transform({}, 3857)").format(column(drawn))
        touches = sql.SQL("{} && ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => {}), 4326)").format(
            column("geom"), sql.Literal(BUFFER / EXTENT))
    return sql.SQL("""
        SELECT ST_AsMVT(m, %(layer)s, {extent}, 'geom') AS tile FROM (
            SELECT ST_AsMVTGeom({geom}, ST_TileEnvelope(%(z)s, %(x)s, %(y)s), {extent}, {buffer}, true) AS geom,
                   {props}
              FROM ({src}) t
             WHERE {touches} AND {where}
        ) m  -- no "WHERE m.geom IS NOT NULL": pushed down, it runs ST_AsMVTGeom twice; ST_AsMVT skips NULLs
    """).format(extent=sql.Literal(EXTENT), buffer=sql.Literal(BUFFER), geom=geom, touches=touches,
                props=sql.SQL(", ").join(column(p) for p in ("id", *props)),
                src=sql.SQL(coll.source), where=WHERE_SLOT).as_string(None)


def tile_matrix_set() -> dict[str, Any]:
    """Return the OGC 2D TileMatrixSet document of WebMercatorQuad (zooms 0 to 22)."""
    matrices = [
        {
            "id": str(z),
            "scaleDenominator": _SCALE0 / 2**z,
            "cellSize": _CELL0 / 2**z,
            "cornerOfOrigin": "topLeft",
            "pointOfOrigin": [-_ORIGIN, _ORIGIN],
            "tileWidth": 256,
            "tileHeight": 256,
            "matrixWidth": 2**z,
            "matrixHeight": 2**z,
        }
        for z in range(MAX_ZOOM + 1)
    ]
    return {
        "id": TMS_ID,
        "title": "Google Maps Compatible for the World",
        "uri": "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad",
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "orderedAxes": ["X", "Y"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "tileMatrices": matrices,
    }


_FIELD_TYPES = {"string": "String", "integer": "Number", "number": "Number", "boolean": "Boolean"}


def tilejson(coll: Collection, tiles_url: str, bounds: list[float] | None) -> dict[str, Any]:
    """TileJSON 3.0.0 of a collection's vector tiles.

    Parameters
    ----------
    coll : Collection
    tiles_url : str
        URL template of the tiles, with ``{z}``, ``{x}`` and ``{y}``.
    bounds : list of float, optional
        Extent in CRS84 (the whole world when None).

    Returns
    -------
    dict
    """
    bounds = bounds or [-180.0, -85.05112878, 180.0, 85.05112878]
    centre_zoom = max(coll.tile_minzoom, 8)
    return {
        "tilejson": "3.0.0",
        "name": coll.id,
        "description": coll.title,
        "version": "1.0.0",
        "scheme": "xyz",
        "tiles": [tiles_url],
        "minzoom": coll.tile_minzoom,
        "maxzoom": coll.tile_maxzoom,
        "bounds": bounds,
        "center": [round((bounds[0] + bounds[2]) / 2, 5), round((bounds[1] + bounds[3]) / 2, 5), centre_zoom],
        "vector_layers": [{
            "id": coll.id,
            "description": coll.description,
            "minzoom": coll.tile_minzoom,
            "maxzoom": coll.tile_maxzoom,
            "fields": {"id": "String", **{p.name: _FIELD_TYPES[p.type] for p in coll.props}},
        }],
    }
