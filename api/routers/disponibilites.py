"""Availability (*Disponibilités*): the API (offers with available places around a commune, nearest first) and the
map page ``/cartes/disponibilites``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api.deps import filters_dep, get_conn
from api.html import error_response, map_response
from api.params import INSEE_PATTERN
from api.responses import GEOJSON
from api.schemas import ERROR_RESPONSES, HTML_ERROR_RESPONSES, OFFERS_FORMATS, Disponibilites
from gis import export
from gis.db import Conn
from gis.errors import InvalidInput, NotFound
from gis.layers import disponibilites, offres
from gis.layers.filters import Filters
from gis.settings import Settings
from web_map.basemaps import basemap_key
from web_map.disponibilites import availability_page
from web_map.page import MapPage

router = APIRouter(prefix="/api/v1", tags=["disponibilites"], responses=ERROR_RESPONSES)

#: Public and cached like the other answers, but for one minute at most: whether a figure is stale depends on the
#: time of the answer, not only on the data version.
TIMED_CACHE = {"Cache-Control": "public, max-age=60, s-maxage=60"}
TIMED_PAGE_CACHE = "public, max-age=60, s-maxage=60"


@router.get("/disponibilites", summary="Offres avec des places disponibles autour d'une commune",
            response_model=Disponibilites, responses=OFFERS_FORMATS)
def places_disponibles(
    request: Request,
    filters: Annotated[Filters, Depends(filters_dep)],
    conn: Annotated[Conn, Depends(get_conn)],
    commune: Annotated[str, Query(pattern=INSEE_PATTERN, description="Code INSEE de la commune",
                                  examples=["93066"])],
    rayon_km: Annotated[float, Query(gt=0, le=100, description="Rayon autour du centre de la commune")] = 10.0,
    limit: Annotated[int, Query(ge=1, le=disponibilites.MAX_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    format: Annotated[Literal["json", "geojson", "csv", "xlsx"], Query()] = "json",
) -> Response:
    """Offers with `capacite_disponible > 0` (filter with `type_offre`…) within `rayon_km` of the commune's centre,
    nearest first. Each result has `disponibilite`: `places`, `maj`, `fictive` (demo data), `perimee` — a figure
    older than `delai_peremption_h` hours (setting `ROR_GIS_DISPONIBILITE_PERIMEE_H`) is stale and must not be
    shown as current — and `perimee_apres`."""
    delay = request.app.state.settings.disponibilite_perimee_h
    kwargs = {"rayon_km": rayon_km, "delay_h": delay, "limit": limit, "offset": offset}
    if format == "json":
        body = disponibilites.around_json(conn, commune, filters, **kwargs)
        return Response(body, media_type="application/json", headers=TIMED_CACHE)
    payload = disponibilites.around(conn, commune, filters, **kwargs)
    results = payload["results"]
    if format == "geojson":
        extra = {k: v for k, v in payload.items() if k != "results"}
        return JSONResponse(offres.as_geojson(results, **extra), media_type=GEOJSON, headers=TIMED_CACHE)
    stem = f"disponibilites-{payload['commune']['insee']}"
    if format == "csv":
        content, media = export.to_csv(results), "text/csv; charset=utf-8"
    else:
        content = export.to_xlsx(results, title="Disponibilités")
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(content, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{stem}.{format}"', **TIMED_CACHE})


pages = APIRouter(prefix="/cartes", tags=["cartes"], responses=HTML_ERROR_RESPONSES)


@pages.head("/disponibilites", include_in_schema=False)
@pages.get("/disponibilites", response_class=HTMLResponse, summary="Carte et tableau des places disponibles")
def carte_disponibilites(
    request: Request,
    filters: Annotated[Filters, Depends(filters_dep)],
    conn: Annotated[Conn, Depends(get_conn)],
    commune: Annotated[str | None, Query(pattern=INSEE_PATTERN, description="Code INSEE de la commune")] = None,
    rayon_km: Annotated[float, Query(gt=0, le=100)] = 10.0,
    fond: Annotated[Literal["plan-ign", "osm", "aucun", "none"] | None, Query()] = None,
) -> HTMLResponse:
    """The offers with available places around a commune (same parameters as `/api/v1/disponibilites`): map,
    legend and table with the freshness of every figure ("mis à jour il y a 3 h"); a figure older than the delay
    is marked « périmé », a fictitious one « fictif ». Without `commune`: the form only."""
    settings: Settings = request.app.state.settings
    now = datetime.now(UTC)
    query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "fond"])

    def build() -> MapPage:
        basemap = basemap_key(fond, default=basemap_key(settings.basemap))
        answer = None
        if commune:
            answer = disponibilites.around(conn, commune, filters, rayon_km=rayon_km, now=now,
                                           delay_h=settings.disponibilite_perimee_h, limit=disponibilites.MAX_LIMIT)
        return availability_page(answer, commune=commune or "", type_offre=next(iter(filters.type_offre), ""),
                                 rayon_km=rayon_km, types=disponibilites.types_with_places(conn), now=now,
                                 basemap=basemap, query=query)

    try:
        return map_response(build(), settings, cache_control=TIMED_PAGE_CACHE)
    except NotFound as exc:
        return error_response(settings, status_code=404, title="Commune introuvable", message=exc.message)
    except InvalidInput as exc:
        return error_response(settings, status_code=422, title="Requête invalide", message=exc.message)
