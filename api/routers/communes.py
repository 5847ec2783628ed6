"""Communes: autocomplete and GeoJSON features."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.deps import get_conn
from api.params import GeometryMode, Insee, geometrie_dep
from api.responses import GEOJSON, GeoJSONResponse, public_json
from api.schemas import ERROR_RESPONSES, CommuneSearch, Feature
from gis.db import Conn
from gis.layers import communes

router = APIRouter(prefix="/api/v1/communes", tags=["communes"], responses=ERROR_RESPONSES)


@router.get("", response_model=CommuneSearch, summary="Recherche de communes (autocomplétion)")
def search_communes(
    conn: Annotated[Conn, Depends(get_conn)],
    q: Annotated[str, Query(min_length=1, max_length=100, description="Nom, code postal ou code INSEE")],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Response:
    """Accent-, case- and hyphen-insensitive; `st`/`ste` = Saint/Sainte; a postcode returns every
    commune or arrondissement it serves; an INSEE code returns that commune first."""
    return public_json({"results": communes.search(conn, q, limit=limit)})


@router.get("/{insee}", response_model=Feature, response_class=GeoJSONResponse, summary="Une commune (GeoJSON Feature)")
def get_commune(
    insee: Insee,
    geometry: Annotated[GeometryMode, Depends(geometrie_dep)],
    conn: Annotated[Conn, Depends(get_conn)],
) -> Response:
    """A former, delegated or associated code answers with the current commune
    (`properties.code_demande` says which code was asked)."""
    return public_json(communes.feature(conn, insee, geometry=geometry), GEOJSON)
