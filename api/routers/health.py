"""Service health: database, data version and freshness, cache and queue (for probes and data stewards)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.schemas import Health
from gis import __version__
from gis.db import Conn, checked_connection
from gis.status import data_status, schema_version

router = APIRouter(tags=["service"])


def _probe(request: Request) -> dict[str, Any]:
    with checked_connection(request.app.state.pool) as conn:
        return _body(conn)


def _body(conn: Conn) -> dict[str, Any]:
    return {"schema_version": schema_version(conn), "donnees": data_status(conn)}


@router.get("/health", response_model=Health, summary="État du service et des données",
            responses={503: {"model": Health, "description": "Base de données injoignable"}})
async def health(request: Request) -> JSONResponse:
    """200 when the database answers, with the loaded data and their dates, the data version served and the state
    of the response cache and of the queue; 503 otherwise. (`status`/`database` are kept for older probes: use
    `statut`/`base`.)"""
    state = request.app.state
    cache = getattr(state, "cache", None)
    service: dict[str, Any] = {
        "version": __version__,
        "version_donnees": state.data.version,
        "file_attente": state.gate.waiting if hasattr(state, "gate") else 0,
        "cache": {"reponses": len(cache), "succes": cache.hits, "echecs": cache.misses} if cache else None,
    }
    replicas = getattr(state, "replicas", None)
    if replicas:
        service["replicas"] = replicas.status(state.data.version)
    try:
        body = await run_in_threadpool(_probe, request)
    except Exception:
        return JSONResponse({"statut": "indisponible", "base": "injoignable", "status": "indisponible",
                             "database": "injoignable", "detail": "La base de données ne répond pas.", **service},
                            status_code=503)
    return JSONResponse({"statut": "ok", "base": "ok", "status": "ok", "database": "ok", **body, **service})
