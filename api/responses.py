"""JSON responses of the data API. Answers that depend only on the URL and the data are marked public, so that the
response cache (:mod:`api.cache`) keeps them until the data version changes; answers computed for a visibility other
than the public's are ``private, no-store`` and vary on the credentials (:func:`cache_headers`)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse, Response

from gis.access import Visibility

# Every answer of the data API may depend on the credentials: shared caches must key on them.
PUBLIC_CACHE = {"Cache-Control": "public, max-age=60", "Vary": "Authorization, Cookie"}
#: Headers of an answer that depends on who asks: never stored by a shared cache nor by the response cache.
PRIVATE_CACHE = {"Cache-Control": "private, no-store", "Vary": "Authorization, Cookie"}
GEOJSON = "application/geo+json"


class GeoJSONResponse(JSONResponse):
    """GeoJSON (RFC 7946): documents the ``application/geo+json`` content type in the OpenAPI document."""

    media_type = GEOJSON


def public_json(payload: Any, media_type: str = "application/json") -> Response:
    """``payload`` serialised as JSON, public and cacheable."""
    return JSONResponse(payload, media_type=media_type, headers=PUBLIC_CACHE)


def json_bytes(body: bytes, media_type: str = "application/json") -> Response:
    """A JSON document already serialised (by PostgreSQL), public and cacheable."""
    return Response(body, media_type=media_type, headers=PUBLIC_CACHE)


def cache_headers(vis: Visibility) -> dict[str, str]:
    """``Cache-Control`` and ``Vary`` of an answer computed for ``vis``: public and cacheable only when public."""
    return dict(PUBLIC_CACHE) if vis.public else dict(PRIVATE_CACHE)


def json_for(payload: Any, vis: Visibility, media_type: str = "application/json") -> Response:
    """``payload`` serialised as JSON, with the cache headers of ``vis``."""
    return JSONResponse(payload, media_type=media_type, headers=cache_headers(vis))


def bytes_for(body: bytes, vis: Visibility, media_type: str = "application/json") -> Response:
    """A document already serialised (by PostgreSQL), with the cache headers of ``vis``."""
    return Response(body, media_type=media_type, headers=cache_headers(vis))
