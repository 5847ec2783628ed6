"""Service health."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.schemas import Health
from gis import __version__
from gis.status import data_status, schema_version

router = APIRouter(tags=["service"])


@router.get("/health", response_model=Health, summary="État du service et des données")
def health(request: Request) -> JSONResponse:
    """200 when the database answers, with the loaded data and their dates; 503 otherwise."""
    try:
        with request.app.state.pool.connection(timeout=3) as conn:
            body = {
                "status": "ok",
                "database": "ok",
                "schema_version": schema_version(conn),
                "donnees": data_status(conn),
                "version": __version__,
            }
    except Exception:
        return JSONResponse(
            {"status": "indisponible", "database": "injoignable", "version": __version__,
             "detail": "La base de données ne répond pas."},
            status_code=503,
        )
    return JSONResponse(body)
