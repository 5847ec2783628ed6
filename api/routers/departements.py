"""Départements (GeoJSON)."""

from __future__ import annotations

from typing import Literal

import psycopg
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.deps import get_conn
from api.responses import GEOJSON, public_json
from api.schemas import Feature, FeatureCollection
from gis.layers import departements

router = APIRouter(prefix="/api/v1/departements", tags=["communes"])
Geometry = Literal["full", "simplified", "centre", "none"]


@router.get("", response_model=FeatureCollection, summary="Départements chargés (GeoJSON)")
def list_departements(
    geometry: Geometry = Query("simplified"), conn: psycopg.Connection = Depends(get_conn)
) -> Response:
    return public_json(departements.collection(conn, geometry=geometry), GEOJSON)


@router.get("/{code}", response_model=Feature, summary="Un département (GeoJSON Feature)")
def get_departement(
    code: str, geometry: Geometry = Query("simplified"), conn: psycopg.Connection = Depends(get_conn)
) -> Response:
    return public_json(departements.feature(conn, code, geometry=geometry), GEOJSON)
