"""Content negotiation, links and responses of the OGC API (JSON, GeoJSON, HTML).

Answers depend only on the URL, the data and the visibility of the asker (no per-response nonce): public ones carry
``Cache-Control: public`` and may be cached by the serving core, the others are private (:func:`send`); JSON bodies
also carry a strong ETag.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from api.auth import request_visibility

__all__ = ["collection", "request_visibility"]
from api.responses import PRIVATE_CACHE
from gis.errors import InvalidInput
from gis.layers.ogc import registry
from gis.layers.ogc.registry import Collection
from web_map import assets

CACHE = "public, max-age=60"
JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html; charset=utf-8"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
L93 = "http://www.opengis.net/def/crs/EPSG/0/2154"
CRS_URIS = {4326: CRS84, 2154: L93}
_CRS_ALIASES = {
    CRS84: 4326, "CRS84": 4326, "OGC:CRS84": 4326, "[OGC:CRS84]": 4326,
    L93: 2154, "EPSG:2154": 2154, "[EPSG:2154]": 2154, "http://www.opengis.net/def/crs/EPSG/0/2154/": 2154,
}

_env = Environment(
    loader=PackageLoader("web_map", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.globals["own_static"] = assets.own_prefix


def collection(request: Request, collection_id: str) -> Collection:
    """The collection ``collection_id`` as the asker may see it (sensitive units for habilitated principals)."""
    return registry.get(collection_id, request_visibility(request))


def base_url(request: Request) -> str:
    """Absolute URL of ``/ogc``: the configured public URL, else the request's own."""
    settings = request.app.state.settings
    return (settings.public_url or str(request.base_url)).rstrip("/") + "/ogc"


def wants(request: Request, allowed: tuple[str, ...] = ("json", "html")) -> str:
    """The format asked for: ``f`` parameter first, then the Accept header; JSON by default."""
    f = request.query_params.get("f")
    if f is not None:
        f = {"geojson": "json", "application/geo+json": "json", "application/json": "json",
             "text/html": "html"}.get(f.lower(), f.lower())
        if f not in allowed:
            raise InvalidInput(f"f : valeurs permises {', '.join(allowed)}.")
        return f
    accept = request.headers.get("accept", "")
    if "text/html" in accept and "json" not in accept.split("text/html")[0]:
        return "html"
    return "json"


def parse_crs(value: str | None, name: str = "crs") -> int:
    """SRID of a CRS URI (CRS84 or EPSG:2154); CRS84 when absent."""
    if value is None or value == "":
        return 4326
    srid = _CRS_ALIASES.get(value.strip())
    if srid is None:
        raise InvalidInput(f"{name} : systèmes permis {CRS84} et {L93}.")
    return srid


def url(base: str, path: str, params: dict[str, Any] | list[tuple[str, Any]] | None = None) -> str:
    """``base + path`` with an encoded query string."""
    query = urlencode(params or [], doseq=True)
    return f"{base}{path}" + (f"?{query}" if query else "")


def link(href: str, rel: str, type_: str, title: str) -> dict[str, str]:
    """One OGC link object."""
    return {"href": href, "rel": rel, "type": type_, "title": title}


def etag(body: bytes) -> str:
    """A strong ETag for ``body``."""
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def send(request: Request, body: bytes, media_type: str, headers: dict[str, str] | None = None) -> Response:
    """A cacheable answer with an ETag, or 304 when the client already has it."""
    tag = etag(body)
    all_headers = {"Cache-Control": CACHE, "ETag": tag, "Vary": "Accept, Authorization, Cookie", **(headers or {})}
    if not request_visibility(request).public:  # computed for who asks: never shared, never stored
        all_headers.update(PRIVATE_CACHE, Vary="Accept, Authorization, Cookie")
    if tag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=all_headers)
    return Response(body, media_type=media_type, headers=all_headers)


def send_json(request: Request, doc: Any, media_type: str = JSON, headers: dict[str, str] | None = None) -> Response:
    """``doc`` serialised as compact UTF-8 JSON."""
    body = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    return send(request, body, media_type, headers)


def send_html(request: Request, template: str, **context: Any) -> Response:
    """An HTML page from ``web_map/templates/ogc`` (autoescaped, no inline script).

    A page chosen by the Accept header (no ``f``) does not depend on the URL alone: it is marked private, so
    that a response cache keyed by URL never hands HTML to a JSON client.
    """
    css = f"{assets.own_prefix()}/ogc/ogc.css"
    html = _env.get_template(f"ogc/{template}").render(css=css, **context)
    negotiated = "f" not in request.query_params
    return send(request, html.encode(), HTML, {"Cache-Control": "private, max-age=60"} if negotiated else None)


def alternates(request: Request, self_href: str, title: str, *, geo: bool = False) -> list[dict[str, str]]:
    """``self`` (JSON) and ``alternate`` (HTML) links of the current resource."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "f"]
    sep = "&" if params else ""
    query = urlencode(params)
    json_type = GEOJSON if geo else JSON
    return [
        link(f"{self_href}?{query}{sep}f=json", "self", json_type, f"{title} (JSON)"),
        link(f"{self_href}?{query}{sep}f=html", "alternate", "text/html", f"{title} (HTML)"),
    ]
