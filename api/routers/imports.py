"""Import runs and their rejected rows, for data stewards.

What is shown is made for people (``gis.importers.report``): sources relative to the data directory,
French statuses (``statut``) and reasons, never an absolute server path or raw database text.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from api.deps import get_conn
from api.schemas import ERROR_RESPONSES
from gis.db import Conn
from gis.errors import NotFound
from gis.import_runs import get_run, recent_runs, run_rejections

router = APIRouter(prefix="/api/v1/imports", tags=["imports"], responses=ERROR_RESPONSES)


@router.get(
    "",
    summary="Derniers imports",
    description="Les derniers chargements (géographie, nomenclatures, FINESS, établissements, FHIR, démonstration), "
    "du plus récent au plus ancien : statut, durée, compteurs, nombre de lignes rejetées et signalées.",
)
def list_runs(
    conn: Annotated[Conn, Depends(get_conn)], limit: Annotated[int, Query(ge=1, le=200)] = 20
) -> dict[str, Any]:
    return {"imports": recent_runs(conn, limit=limit)}


@router.get(
    "/{run_id}",
    summary="Lignes rejetées ou signalées d'un import",
    description="Un import et ses lignes rejetées (« rejet ») ou chargées avec une alerte (« alerte »), "
    "avec leur motif en français.",
)
def run_detail(
    run_id: Annotated[int, Path(ge=1, le=2**31 - 1)], conn: Annotated[Conn, Depends(get_conn)]
) -> dict[str, Any]:
    run = get_run(conn, run_id)
    if run is None:
        raise NotFound(f"Import inconnu : {run_id}.")
    return {"import": run, "lignes": run_rejections(conn, run_id)}
