"""Import runs and their rejected rows, for data stewards."""

from __future__ import annotations

import psycopg
from fastapi import APIRouter, Depends, Path, Query

from api.deps import get_conn
from api.schemas import ERROR_RESPONSES
from gis.errors import NotFound
from gis.importers.report import get_run, recent_runs, run_rejections

router = APIRouter(prefix="/api/v1/imports", tags=["imports"], responses=ERROR_RESPONSES)


@router.get("", summary="Derniers imports")
def list_runs(limit: int = Query(20, ge=1, le=200), conn: psycopg.Connection = Depends(get_conn)) -> dict:
    return {"imports": recent_runs(conn, limit=limit)}


@router.get("/{run_id}", summary="Lignes rejetées ou signalées d'un import")
def run_detail(run_id: int = Path(ge=1, le=2**31 - 1), conn: psycopg.Connection = Depends(get_conn)) -> dict:
    run = get_run(conn, run_id)
    if run is None:
        raise NotFound(f"Import inconnu : {run_id}.")
    return {"import": run, "lignes": run_rejections(conn, run_id)}
