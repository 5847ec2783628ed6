"""OGC API – Features items: pages of features (GeoJSON built by PostGIS, or HTML), one feature, and
downloads of the whole selection (GeoJSON, GeoPackage, FlatGeobuf, CSV)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from api.deps import get_conn
from api.routers.ogc import render
from api.routers.ogc.params import items_query
from api.routers.ogc.render import CRS_URIS, GEOJSON, JSON, link
from gis.db import Conn
from gis.errors import InvalidInput
from gis.layers.ogc import export, features
from gis.layers.ogc.features import ItemsQuery
from gis.layers.ogc.registry import Collection

router = APIRouter()
FILE_FORMATS = ("csv", "gpkg", "fgb")


def _page_links(request: Request, href: str, q: ItemsQuery, matched: int, returned: int) -> list[dict[str, str]]:
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("offset", "limit", "f")]
    links = render.alternates(request, href, "Entités", geo=True)
    links.append(link(href.rsplit("/items", 1)[0], "collection", JSON, "Collection"))
    if q.offset + returned < matched:
        nxt = [*params, ("limit", q.limit), ("offset", q.offset + q.limit)]
        links.append(link(render.url(href, "", nxt), "next", GEOJSON, "Page suivante"))
    if q.offset > 0:
        prev = [*params, ("limit", q.limit), ("offset", max(0, q.offset - q.limit))]
        links.append(link(render.url(href, "", prev), "prev", GEOJSON, "Page précédente"))
    return links


def _download(request: Request, conn: Conn, coll: Collection, q: ItemsQuery, fmt: str) -> Response:
    body = export.download(conn, coll, q, fmt)
    media, ext = export.FORMATS[fmt][1], export.FORMATS[fmt][2]
    return render.send(request, body, media, {"Content-Disposition": f'attachment; filename="{coll.id}.{ext}"'})


@router.get("/collections/{collection_id}/items")
def items(collection_id: str, request: Request, conn: Annotated[Conn, Depends(get_conn)]) -> Response:
    """Features of a collection: ``limit``, ``offset``, ``bbox``, ``properties``, ``sortby``, ``filter``
    (CQL2 text or JSON), ``crs``; ``f=json|html``, or ``f=geojson|gpkg|fgb|csv`` with ``download``."""
    coll = render.collection(request, collection_id)
    fmt = render.wants(request, ("json", "html", *FILE_FORMATS))
    q = items_query(request, coll)
    if fmt in FILE_FORMATS:
        return _download(request, conn, coll, q, fmt)
    matched, returned, feats = features.items(conn, coll, q)
    base = render.base_url(request)
    href = f"{base}/collections/{coll.id}/items"
    links = _page_links(request, href, q, matched, returned)
    if fmt == "html":
        rows = json.loads(feats)
        return render.send_html(request, "items.html", coll=coll, base=base, features=rows, links=links,
                                matched=matched, offset=q.offset, columns=features.selected_props(coll, q.properties))
    head = json.dumps({"type": "FeatureCollection", "numberMatched": matched, "numberReturned": returned,
                       "links": links}, ensure_ascii=False, separators=(",", ":"))
    body = head[:-1].encode() + b',"features":' + feats.encode() + b"}"
    return render.send(request, body, GEOJSON, {"Content-Crs": f"<{CRS_URIS[q.srid]}>"})


@router.get("/collections/{collection_id}/download")
def download(collection_id: str, request: Request, conn: Annotated[Conn, Depends(get_conn)]) -> Response:
    """The whole (filtered) collection as a file: ``f=geojson`` (default), ``gpkg``, ``fgb`` or ``csv``."""
    coll = render.collection(request, collection_id)
    fmt = request.query_params.get("f", "geojson").lower()
    if fmt not in export.FORMATS:
        raise InvalidInput(f"f : valeurs permises {', '.join(export.FORMATS)}.")
    return _download(request, conn, coll, items_query(request, coll), fmt)


@router.get("/collections/{collection_id}/items/{feature_id}")
def item(collection_id: str, feature_id: str, request: Request,
         conn: Annotated[Conn, Depends(get_conn)]) -> Response:
    """One feature (GeoJSON or HTML)."""
    coll = render.collection(request, collection_id)
    fmt = render.wants(request)
    q = items_query(request, coll)
    feat = features.item(conn, coll, feature_id, q)
    base = render.base_url(request)
    href = f"{base}/collections/{coll.id}/items/{feature_id}"
    links: list[dict[str, Any]] = [
        *render.alternates(request, href, "Entité", geo=True),
        link(f"{base}/collections/{coll.id}", "collection", JSON, "Collection"),
    ]
    if fmt == "html":
        return render.send_html(request, "item.html", coll=coll, base=base, feature=json.loads(feat), links=links)
    body = feat[:-1].encode() + b',"links":' + json.dumps(links, ensure_ascii=False).encode() + b"}"
    return render.send(request, body, GEOJSON, {"Content-Crs": f"<{CRS_URIS[q.srid]}>"})
