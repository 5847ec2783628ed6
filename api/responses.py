"""JSON responses of the data API. Answers that depend only on the URL and the data are marked public, so that the
response cache (:mod:`api.cache`) keeps them until the data version changes."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse, Response

PUBLIC_CACHE = {"Cache-Control": "public, max-age=60"}
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
