"""OGC API landing page, conformance, API definition, collections and queryables."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response

from api.auth import current_principal
from api.deps import get_conn
from api.routers.ogc import render
from api.routers.ogc.openapi import openapi_document
from api.routers.ogc.render import CRS84, CRS_URIS, GEOJSON, HTML, JSON, link
from gis.access import Principal
from gis.db import Conn
from gis.layers.ogc import features, registry
from gis.layers.ogc.export import FORMATS
from gis.layers.ogc.registry import Collection

router = APIRouter()

_CONF = "http://www.opengis.net/spec/"
CONFORMANCE = [
    _CONF + "ogcapi-common-1/1.0/conf/core",
    _CONF + "ogcapi-common-1/1.0/conf/landing-page",
    _CONF + "ogcapi-common-1/1.0/conf/json",
    _CONF + "ogcapi-common-1/1.0/conf/html",
    _CONF + "ogcapi-common-1/1.0/conf/oas30",
    _CONF + "ogcapi-common-2/1.0/conf/collections",
    _CONF + "ogcapi-features-1/1.0/conf/core",
    _CONF + "ogcapi-features-1/1.0/conf/geojson",
    _CONF + "ogcapi-features-1/1.0/conf/html",
    _CONF + "ogcapi-features-1/1.0/conf/oas30",
    _CONF + "ogcapi-features-2/1.0/conf/crs",
    _CONF + "ogcapi-features-3/1.0/conf/filter",
    _CONF + "ogcapi-features-3/1.0/conf/features-filter",
    _CONF + "ogcapi-features-3/1.0/conf/queryables",
    _CONF + "ogcapi-features-3/1.0/conf/queryables-query-parameters",
    _CONF + "cql2/1.0/conf/cql2-text",
    _CONF + "cql2/1.0/conf/cql2-json",
    _CONF + "cql2/1.0/conf/basic-cql2",
    _CONF + "cql2/1.0/conf/advanced-comparison-operators",
    _CONF + "cql2/1.0/conf/case-insensitive-comparison",
    _CONF + "cql2/1.0/conf/basic-spatial-functions",
    _CONF + "cql2/1.0/conf/basic-spatial-functions-plus",
    _CONF + "cql2/1.0/conf/spatial-functions",
    _CONF + "ogcapi-records-1/1.0/conf/sorting",
    _CONF + "ogcapi-tiles-1/1.0/conf/core",
    _CONF + "ogcapi-tiles-1/1.0/conf/tileset",
    _CONF + "ogcapi-tiles-1/1.0/conf/tilesets-list",
    _CONF + "ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    _CONF + "ogcapi-tiles-1/1.0/conf/mvt",
    _CONF + "ogcapi-tiles-1/1.0/conf/oas30",
]


@router.get("")
@router.get("/")
def landing(request: Request) -> Response:
    """Landing page of the OGC API."""
    base = render.base_url(request)
    doc = {
        "title": "ror-gis — OGC API Features et Tiles",
        "description": "Géographie de référence, établissements, offres publiques, territoires d'intervention "
        "et couverture du ROR Île-de-France, en OGC API – Features (GeoJSON, CQL2) et Tiles (MVT).",
        "links": [
            *render.alternates(request, base, "Page d'accueil"),
            link(f"{base}/api", "service-desc", render.OPENAPI, "Définition de l'API (OpenAPI 3.0)"),
            link(f"{base}/api?f=html", "service-doc", "text/html", "Documentation de l'API"),
            link(f"{base}/conformance", "conformance", JSON, "Classes de conformité"),
            link(f"{base}/collections", "data", JSON, "Collections"),
            link(f"{base}/tileMatrixSets", "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes", JSON,
                 "Jeux de matrices de tuiles"),
        ],
    }
    if render.wants(request) == "html":
        return render.send_html(request, "landing.html", doc=doc, base=base)
    return render.send_json(request, doc)


@router.get("/conformance")
def conformance(request: Request) -> Response:
    """Conformance classes implemented."""
    doc = {"conformsTo": CONFORMANCE}
    if render.wants(request) == "html":
        return render.send_html(request, "conformance.html", doc=doc, base=render.base_url(request))
    return render.send_json(request, doc)


@router.get("/api")
def api_definition(request: Request) -> Response:
    """OpenAPI 3.0 definition of the OGC API."""
    base = render.base_url(request)
    if render.wants(request) == "html":
        return render.send_html(request, "api.html", base=base, doc=openapi_document(base, registry.COLLECTIONS))
    return render.send_json(request, openapi_document(base, registry.COLLECTIONS), render.OPENAPI)


def collection_doc(base: str, coll: Collection, bbox: list[float] | None,
                   args: dict[str, str] | None = None) -> dict[str, Any]:
    """The OGC collection document of ``coll``; ``args`` (e.g. ``type_offre``) are carried to its links."""
    href = f"{base}/collections/{coll.id}"
    given = [(p.name, (args or {}).get(p.name)) for p in coll.params]
    extra = ("?" + urlencode([(k, v) for k, v in given if v])) if any(v for _k, v in given) else ""
    amp = "&" if extra else "?"
    links = [
        link(href, "self", JSON, coll.title),
        link(f"{href}?f=html", "alternate", "text/html", coll.title + " (HTML)"),
        link(f"{href}/items{extra}", "items", GEOJSON, "Entités (GeoJSON)"),
        link(f"{href}/items{extra}{amp}f=html", "items", "text/html", "Entités (HTML)"),
        link(f"{href}/queryables", "http://www.opengis.net/def/rel/ogc/1.0/queryables", "application/schema+json",
             "Propriétés interrogeables"),
        link(f"{href}/tiles", "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", JSON, "Tuiles vectorielles"),
    ]
    for fmt, (_driver, media, _ext) in FORMATS.items():
        links.append(link(f"{href}/items{extra}{amp}f={fmt}", "enclosure", media, f"Téléchargement ({fmt})"))
    doc: dict[str, Any] = {
        "id": coll.id,
        "title": coll.title,
        "description": coll.description,
        "itemType": "feature",
        "crs": [CRS_URIS[4326], CRS_URIS[2154]],
        "storageCrs": CRS84,
        "links": links,
    }
    if bbox:
        doc["extent"] = {"spatial": {"bbox": [bbox], "crs": CRS84}}
    if coll.keywords:
        doc["keywords"] = list(coll.keywords)
    return doc


@router.get("/collections")
def collections(request: Request, conn: Annotated[Conn, Depends(get_conn)]) -> Response:
    """Every collection."""
    base = render.base_url(request)
    visible = registry.collections(render.request_visibility(request))
    colls = [collection_doc(base, c, features.extent(conn, c)) for c in visible.values()]
    doc = {"links": render.alternates(request, f"{base}/collections", "Collections"), "collections": colls}
    if render.wants(request) == "html":
        return render.send_html(request, "collections.html", doc=doc, base=base)
    return render.send_json(request, doc)


@router.get("/collections/{collection_id}")
def collection(collection_id: str, request: Request, conn: Annotated[Conn, Depends(get_conn)]) -> Response:
    """One collection."""
    coll = render.collection(request, collection_id)
    base = render.base_url(request)
    doc = collection_doc(base, coll, features.extent(conn, coll), dict(request.query_params))
    if render.wants(request) == "html":
        return render.send_html(request, "collection.html", doc=doc, coll=coll, base=base)
    return render.send_json(request, doc)


def queryables_doc(base: str, coll: Collection) -> dict[str, Any]:
    """JSON Schema of the queryable properties of ``coll``."""
    props: dict[str, Any] = {
        "id": {"title": "Identifiant", "type": "string"},
        "geometry": {"title": "Géométrie", "format": f"geometry-{coll.geometry_type.lower()}",
                     "x-ogc-role": "primary-geometry"},
    }
    for p in coll.props:
        props[p.name] = {"title": p.title, "type": p.type}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base}/collections/{coll.id}/queryables",
        "type": "object",
        "title": coll.title,
        "properties": props,
        "additionalProperties": False,
    }


@router.get("/collections/{collection_id}/queryables")
def queryables(collection_id: str, request: Request,
               _principal: Annotated[Principal, Depends(current_principal)]) -> Response:
    """Queryable properties (JSON Schema); habilitated principals also have ``unite_sensible`` on ``offres``."""
    coll = render.collection(request, collection_id)
    base = render.base_url(request)
    doc = queryables_doc(base, coll)
    if render.wants(request) == "html":
        return render.send_html(request, "queryables.html", doc=doc, coll=coll, base=base)
    return render.send_json(request, doc, "application/schema+json")


__all__ = ["CONFORMANCE", "HTML", "router"]
