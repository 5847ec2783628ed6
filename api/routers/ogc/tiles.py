"""OGC API – Tiles: tile matrix sets, tilesets of every collection, TileJSON and MVT tiles."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response

from api.deps import get_conn
from api.routers.ogc import render
from api.routers.ogc.params import items_query
from api.routers.ogc.render import JSON, link
from gis.db import Conn
from gis.layers.ogc import features, tiles
from gis.layers.ogc.registry import Collection

router = APIRouter()
MVT = "application/vnd.mapbox-vector-tile"
_TMS_REL = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"


def _query(request: Request) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "f"]
    return ("?" + urlencode(params)) if params else ""


@router.get("/tileMatrixSets")
def tile_matrix_sets(request: Request) -> Response:
    """The tile matrix sets served (WebMercatorQuad)."""
    base = render.base_url(request)
    href = f"{base}/tileMatrixSets/{tiles.TMS_ID}"
    return render.send_json(request, {"tileMatrixSets": [{
        "id": tiles.TMS_ID, "title": "Google Maps Compatible for the World",
        "uri": "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad",
        "links": [link(href, "self", JSON, tiles.TMS_ID)]}]})


@router.get("/tileMatrixSets/{tms_id}")
def tile_matrix_set(tms_id: str, request: Request) -> Response:
    """The WebMercatorQuad tile matrix set document."""
    tiles.check_tile(tms_id, 0, 0, 0)
    return render.send_json(request, tiles.tile_matrix_set())


def _tileset(request: Request, coll: Collection, bounds: list[float] | None) -> dict[str, Any]:
    base = render.base_url(request)
    href = f"{base}/collections/{coll.id}/tiles/{tiles.TMS_ID}"
    query = _query(request)
    return {
        "title": f"{coll.title} — tuiles vectorielles",
        "dataType": "vector",
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "tileMatrixSetURI": "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad",
        "links": [
            link(href + query, "self", JSON, "Jeu de tuiles"),
            link(f"{base}/tileMatrixSets/{tiles.TMS_ID}", _TMS_REL, JSON, tiles.TMS_ID),
            link(f"{href}/tilejson.json{query}", "describedby", JSON, "TileJSON"),
            {**link(f"{href}/{{tileMatrix}}/{{tileCol}}/{{tileRow}}{query}", "item", MVT, "Tuiles MVT"),
             "templated": True},
        ],
        "tileMatrixSetLimits": [
            {"tileMatrix": str(z), "minTileRow": 0, "maxTileRow": 2**z - 1, "minTileCol": 0, "maxTileCol": 2**z - 1}
            for z in range(coll.tile_minzoom, coll.tile_maxzoom + 1)
        ],
        "layers": [{"id": coll.id, "dataType": "vector", "geometryDimension": 0 if coll.geometry_type == "Point"
                    else 2, "minTileMatrix": str(coll.tile_minzoom), "maxTileMatrix": str(coll.tile_maxzoom)}],
        **({"boundingBox": {"lowerLeft": bounds[:2], "upperRight": bounds[2:],
                            "crs": render.CRS84}} if bounds else {}),
    }


@router.get("/collections/{collection_id}/tiles")
def tilesets(collection_id: str, request: Request, conn: Annotated[Conn, Depends(get_conn)]) -> Response:
    """The vector tilesets of a collection."""
    coll = render.collection(request, collection_id)
    tileset = _tileset(request, coll, features.extent(conn, coll))
    return render.send_json(request, {"tilesets": [{k: tileset[k] for k in ("title", "dataType", "crs", "links")}]})


@router.get("/collections/{collection_id}/tiles/{tms_id}")
def tileset(collection_id: str, tms_id: str, request: Request,
            conn: Annotated[Conn, Depends(get_conn)]) -> Response:
    """The tileset metadata of a collection in WebMercatorQuad."""
    coll = render.collection(request, collection_id)
    tiles.check_tile(tms_id, 0, 0, 0)
    return render.send_json(request, _tileset(request, coll, features.extent(conn, coll)))


@router.get("/collections/{collection_id}/tiles/{tms_id}/tilejson.json")
def tilejson(collection_id: str, tms_id: str, request: Request,
             conn: Annotated[Conn, Depends(get_conn)]) -> Response:
    """TileJSON 3.0.0 of a collection (query parameters such as ``type_offre`` are carried to the tiles)."""
    coll = render.collection(request, collection_id)
    tiles.check_tile(tms_id, 0, 0, 0)
    items_query(request, coll)  # fail early on malformed parameters
    url = f"{render.base_url(request)}/collections/{coll.id}/tiles/{tiles.TMS_ID}/{{z}}/{{x}}/{{y}}{_query(request)}"
    return render.send_json(request, tiles.tilejson(coll, url, features.extent(conn, coll)))


@router.get("/collections/{collection_id}/tiles/{tms_id}/{z}/{x}/{y}")
def tile(collection_id: str, tms_id: str, z: int, x: int, y: int, request: Request,
         conn: Annotated[Conn, Depends(get_conn)]) -> Response:
    """One Mapbox Vector Tile (layer named after the collection), filtered like the items."""
    coll = render.collection(request, collection_id)
    tiles.check_tile(tms_id, z, x, y)
    body = tiles.tile(conn, coll, z, x, y, items_query(request, coll))
    return render.send(request, body, MVT)
