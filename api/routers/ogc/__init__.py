"""OGC API – Features (Part 1 Core/GeoJSON/HTML/OpenAPI, Part 2 CRS, Part 3 Filtering with CQL2) and
OGC API – Tiles (Mapbox Vector Tiles) under ``/ogc``, plus GIS downloads.

The routes are kept out of the service's own OpenAPI document: their definition is ``/ogc/api``.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.routers.ogc import common, items, tiles

router = APIRouter()
for _sub in (tiles.router, items.router, common.router):  # most requested first (routes are tried in order)
    router.include_router(_sub, prefix="/ogc", tags=["ogc"], include_in_schema=False)

__all__ = ["router"]
