"""Offers (services): who covers a commune, who is near a point, one offer, one establishment."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.auth import current_visibility
from api.deps import coverage_filters_dep, filters_dep, get_conn
from api.params import DepartementFilter, Finess, Insee, NomenclatureName, OfferId
from api.responses import GEOJSON, GeoJSONResponse, bytes_for, cache_headers, json_for, public_json
from api.schemas import (
    COVERAGE_FORMATS,
    ERROR_RESPONSES,
    OFFERS_FORMATS,
    CoverageCollection,
    Etablissement,
    NomenclatureCodes,
    Nomenclatures,
    OffreDetail,
    OffresCommune,
    OffresProximite,
    Suggestions,
    TerritoriesCollection,
)
from gis import export
from gis.access import Visibility
from gis.db import Conn
from gis.layers import etablissements, nomenclatures, offre_detail, offres, territoires
from gis.layers.filters import Filters
from gis.text import normalize

router = APIRouter(prefix="/api/v1", tags=["offres"], responses=ERROR_RESPONSES)

Format = Literal["json", "geojson", "csv", "xlsx"]
MAX_OFFSET = offres.MAX_OFFSET


Vis = Annotated[Visibility, Depends(current_visibility)]


def _download(content: bytes, media_type: str, filename: str, vis: Visibility) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **cache_headers(vis)},
    )


def _render(payload: dict[str, Any], fmt: str, stem: str, vis: Visibility) -> Response:
    results = payload["results"]
    if fmt == "geojson":
        extra = {k: v for k, v in payload.items() if k != "results"}
        return json_for(offres.as_geojson(results, **extra), vis, GEOJSON)
    if fmt == "csv":
        return _download(export.to_csv(results), "text/csv; charset=utf-8", f"{stem}.csv", vis)
    if fmt == "xlsx":
        return _download(
            export.to_xlsx(results, title="Offres"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            f"{stem}.xlsx", vis,
        )
    return json_for(payload, vis)


@router.get("/communes/{insee}/services", summary="Offres couvrant une commune", response_model=OffresCommune,
            responses=OFFERS_FORMATS)
def services_for_commune(
    insee: Insee,
    filters: Annotated[Filters, Depends(filters_dep)],
    vis: Vis,
    conn: Annotated[Conn, Depends(get_conn)],
    limit: Annotated[int, Query(ge=1, le=offres.MAX_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    tri: Annotated[Literal["distance", "nom", "motif"], Query()] = "distance",
    format: Annotated[Format, Query()] = "json",
) -> Response:
    """Offers whose zone d'intervention covers the commune, with the reason (`couverture.motif`) and
    the distance from the commune's centre to the establishment. `format=csv|xlsx` downloads the list
    with French headers; `format=geojson` gives points."""
    if format == "json":
        return bytes_for(offres.covering_json(conn, insee, filters, limit=limit, offset=offset, sort=tri, vis=vis),
                         vis)
    if format in ("csv", "xlsx"):
        limit, offset = offres.MAX_LIMIT, 0
    payload = offres.covering(conn, insee, filters, limit=limit, offset=offset, sort=tri, vis=vis)
    stem = f"offres-{payload['commune']['insee']}-{normalize(payload['commune']['nom']).replace(' ', '-')}"
    return _render(payload, format, stem, vis)


@router.get("/communes/{insee}/types-offre", summary="Types d'offre couvrant une commune, avec leur nombre d'offres")
def types_for_commune(
    insee: Insee,
    filters: Annotated[Filters, Depends(filters_dep)],
    conn: Annotated[Conn, Depends(get_conn)],
) -> Response:
    """Facet counts for the type d'offre list: each type d'offre of the offers covering the commune, with
    `offres` (how many) and `partielles` (how many cover only part of it, e.g. some arrondissements of Paris).
    The other filters (public, activité, âge) apply; `type_offre` is ignored."""
    return public_json(offres.type_counts(conn, insee, filters))


@router.get("/services", summary="Offres à proximité d'un point", response_model=OffresProximite,
            responses=OFFERS_FORMATS)
def services_nearby(
    filters: Annotated[Filters, Depends(filters_dep)],
    vis: Vis,
    conn: Annotated[Conn, Depends(get_conn)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
    rayon_km: Annotated[float, Query(gt=0, le=100)] = 5.0,
    limit: Annotated[int, Query(ge=1, le=offres.MAX_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    format: Annotated[Format, Query()] = "json",
) -> Response:
    """Offers located within `rayon_km` of the point, nearest first."""
    if format == "json":
        return bytes_for(offres.nearby_json(conn, lat, lon, rayon_km, filters, limit=limit, offset=offset, vis=vis),
                         vis)
    payload = offres.nearby(conn, lat, lon, rayon_km, filters, limit=limit, offset=offset, vis=vis)
    return _render(payload, format, f"offres-autour-{lat:.4f}-{lon:.4f}", vis)


@router.get("/services/{offer_id:path}", response_model=OffreDetail,
            summary="Une offre, sa zone d'intervention et son territoire")
def service_detail(offer_id: OfferId, vis: Vis, conn: Annotated[Conn, Depends(get_conn)]) -> Response:
    """By ROR resource id or identifiantOffre (e.g. `11/1234`). Sensitive units answer 404 (unless habilitated)."""
    return json_for(offre_detail.detail(conn, offer_id, vis), vis)


@router.get("/etablissements/{finess}", response_model=Etablissement, summary="Un établissement (EG) et ses offres")
def etablissement_detail(finess: Finess, vis: Vis, conn: Annotated[Conn, Depends(get_conn)]) -> Response:
    return json_for(etablissements.detail(conn, finess, vis), vis)


@router.get("/nomenclatures", response_model=Nomenclatures, summary="Nomenclatures chargées")
def nomenclature_names(conn: Annotated[Conn, Depends(get_conn)]) -> Response:
    return public_json({"nomenclatures": nomenclatures.names(conn)})


@router.get("/nomenclatures/{name}", response_model=NomenclatureCodes, summary="Codes et libellés d'une nomenclature")
def nomenclature_codes(
    name: NomenclatureName,
    conn: Annotated[Conn, Depends(get_conn)],
    obsoletes: Annotated[bool, Query(description="Inclure les codes obsolètes")] = False,
) -> Response:
    return public_json(nomenclatures.codes(conn, name, include_deprecated=obsoletes))


@router.get("/suggestions", response_model=Suggestions,
            summary="Suggestions pendant la saisie (types d'offre, activités, établissements)")
def suggestions(
    conn: Annotated[Conn, Depends(get_conn)],
    q: Annotated[str, Query(min_length=1, max_length=100)],
    limit: Annotated[int, Query(ge=1, le=30)] = 8,
) -> Response:
    return public_json(nomenclatures.suggestions(conn, q, limit=limit))


@router.get("/communes/{insee}/territoires", response_class=GeoJSONResponse, response_model=TerritoriesCollection,
            summary="Territoires des offres couvrant une commune (GeoJSON)")
def territories_for_commune(
    insee: Insee, filters: Annotated[Filters, Depends(filters_dep)], vis: Vis, conn: Annotated[Conn, Depends(get_conn)]
) -> Response:
    """One Feature per declared unit (commune, département, région, polygon) of the covering offers,
    with `offres` (how many) and `exemples` (names)."""
    return json_for(territoires.territories_covering(conn, insee, filters, vis), vis, GEOJSON)


@router.get("/couverture", response_class=GeoJSONResponse, response_model=CoverageCollection,
            summary="Nombre d'offres couvrant chaque commune (GeoJSON, CSV ou XLSX)", responses=COVERAGE_FORMATS)
def coverage_counts(
    filters: Annotated[Filters, Depends(coverage_filters_dep)],
    vis: Vis,
    conn: Annotated[Conn, Depends(get_conn)],
    departement: DepartementFilter = None,
    geometrie: Annotated[bool, Query(description="Inclure les contours (simplifiés)")] = True,
    format: Annotated[Literal["geojson", "csv", "xlsx"], Query(description="geojson, csv ou xlsx")] = "geojson",
) -> Response:
    """For planners: offers of the given type(s) covering each commune (Paris by arrondissement),
    offers per 10,000 inhabitants, and a summary of the communes and population covered by none.
    `format=csv|xlsx` downloads the table (no geometry)."""
    if format in ("csv", "xlsx"):
        data = territoires.coverage_by_commune(conn, filters, departement=departement, geometry=False, vis=vis)
        stem = "couverture-" + "-".join(filters.type_offre) + (f"-{departement}" if departement else "")
        if format == "csv":
            return _download(export.coverage_csv(data["features"]), "text/csv; charset=utf-8", f"{stem}.csv", vis)
        source = "ROR Île-de-France, INSEE COG 2026"
        if data["resume"].get("communes_offres_fictives"):
            source += (f" ; attention : {data['resume']['communes_offres_fictives']} communes couvertes par au moins "
                       "une offre fictive de démonstration")
        return _download(export.coverage_xlsx(data["features"], source=source),
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", f"{stem}.xlsx", vis)
    return bytes_for(territoires.coverage_by_commune_json(conn, filters, departement=departement,
                                                          geometry=geometrie, vis=vis), vis, GEOJSON)
