"""Départements (GeoJSON)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from api.deps import get_conn
from api.params import DepartementCode, GeometryMode, geometrie_dep
from api.responses import GEOJSON, GeoJSONResponse, json_bytes, public_json
from api.schemas import ERROR_RESPONSES, Feature, FeatureCollection
from gis.db import Conn
from gis.layers import departements

router = APIRouter(prefix="/api/v1/departements", tags=["communes"], responses=ERROR_RESPONSES)
Geometry = Literal["full", "simplified", "centre", "none"]


@router.get("", response_model=FeatureCollection, response_class=GeoJSONResponse,
            summary="Départements chargés (GeoJSON)")
def list_departements(
    geometry: Annotated[GeometryMode, Depends(geometrie_dep)], conn: Annotated[Conn, Depends(get_conn)]
) -> Response:
    return json_bytes(departements.collection_json(conn, geometry=geometry), GEOJSON)


@router.get("/{code}", response_model=Feature, response_class=GeoJSONResponse,
            summary="Un département (GeoJSON Feature)")
def get_departement(
    code: DepartementCode,
    geometry: Annotated[GeometryMode, Depends(geometrie_dep)],
    conn: Annotated[Conn, Depends(get_conn)],
) -> Response:
    return public_json(departements.feature(conn, code, geometry=geometry), GEOJSON)
