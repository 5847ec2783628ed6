"""Planning indicators: equipment rates (places per 1,000 inhabitants) and 2SFCA accessibility.

Thin: parameters, one layer call (:mod:`gis.layers.indicateurs_taux` or :mod:`gis.layers.indicateurs_2sfca`), the
answer in the asked format. Every answer is public (``Cache-Control: public``), so the response cache keeps it until
the data version changes.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.deps import get_conn
from api.responses import GEOJSON, PUBLIC_CACHE, public_json
from api.schemas import ERROR_RESPONSES, content
from gis import export
from gis.db import Conn
from gis.layers import indicateurs, indicateurs_2sfca, indicateurs_export, indicateurs_taux
from gis.layers.filters import Filters, check_codes
from gis.layers.indicateurs import Indicator, Selection

router = APIRouter(prefix="/api/v1/indicateurs", tags=["indicateurs"], responses=ERROR_RESPONSES)

Format = Literal["json", "geojson", "csv", "xlsx"]
Niveau = Literal["commune", "epci", "departement", "region"]
Decroissance = Literal["paliers", "gaussienne", "aucune"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = content("application/json", "application/geo+json", "text/csv", XLSX,
                  description="Indicateur par zone (format=json, geojson, csv ou xlsx)")
_SPLIT = re.compile(r"[,\s]+")


def split_codes(values: list[str]) -> list[str]:
    return [c for v in values for c in _SPLIT.split(v.strip()) if c]


def selection_dep(
    request: Request,
    type_offre: Annotated[list[str], Query(description="Type(s) d'offre (JDV_J238) : somme de la capacité installée "
                                                       "des offres ouvertes de ce type, ex. 21")] = [],  # noqa: B006
    categorie: Annotated[list[str], Query(description="Catégorie(s) FINESS d'établissement (TRE_R66) : somme de la "
                                                      "capacité des établissements, ex. 500 (EHPAD)")] = [],  # noqa: B006
) -> Selection:
    """Exactly one of ``type_offre`` and ``categorie``, with codes checked against the in-memory nomenclatures."""
    sel = indicateurs.selection(split_codes(type_offre), split_codes(categorie))
    catalog = request.app.state.data.catalog
    if catalog is not None:
        filters = Filters(type_offre=list(sel.codes)) if sel.par == "type_offre" else Filters(categorie=list(sel.codes))
        check_codes(filters, catalog)
    return sel


def _answer(result: Indicator, fmt: str, stem: str) -> Response:
    if fmt == "geojson":
        return public_json(result.as_geojson(), GEOJSON)
    if fmt in ("csv", "xlsx"):
        headers, cells = indicateurs_export.table(result)
        if fmt == "csv":
            body, media, ext = export.table_csv(headers, cells), "text/csv; charset=utf-8", "csv"
        else:
            body = export.table_xlsx(headers, cells, title="Indicateur", source=indicateurs_export.source_text(result))
            media, ext = XLSX, "xlsx"
        return Response(body, media_type=media,
                        headers={"Content-Disposition": f'attachment; filename="{stem}.{ext}"', **PUBLIC_CACHE})
    return public_json(result.as_json())


def _stem(name: str, sel: Selection, niveau: str) -> str:
    return f"{name}-{sel.par}-{'-'.join(sel.codes)[:60]}-{niveau}"


@router.get("/taux-equipement", summary="Taux d'équipement : places pour 1 000 habitants par zone", responses=FORMATS)
def taux_equipement(
    sel: Annotated[Selection, Depends(selection_dep)],
    conn: Annotated[Conn, Depends(get_conn)],
    niveau: Annotated[Niveau, Query(description="commune (Paris par arrondissement), epci (EPT dans la Métropole "
                                                "du Grand Paris), departement ou region")] = "commune",
    format: Annotated[Format, Query()] = "json",
) -> Response:
    """Places, population municipale and places per 1,000 inhabitants of every area of the level (areas without any
    place included, with 0). By `type_offre`: installed capacity of the open, non-sensitive offers of the type(s),
    counted in the commune of the offer (its Lieu, else its EG). By `categorie`: capacity of the establishments of
    the FINESS category(ies), counted in the commune of the EG. `sans_capacite` counts the units whose capacity is
    unknown (counted as 0). GeoJSON: display geometry of each area."""
    result = indicateurs_taux.taux_equipement(conn, sel, niveau, geometry=format == "geojson", checked=True)
    return _answer(result, format, _stem("taux-equipement", sel, niveau))


@router.get("/accessibilite", summary="Accessibilité (2SFCA) : places accessibles pour 1 000 habitants par commune",
            responses=FORMATS)
def accessibilite(
    sel: Annotated[Selection, Depends(selection_dep)],
    conn: Annotated[Conn, Depends(get_conn)],
    rayon_km: Annotated[float, Query(ge=indicateurs.RAYON_KM_MIN, le=indicateurs.RAYON_KM_MAX,
                                     description="Rayon de l'aire de chalandise (km, ligne droite entre centres "
                                                 "des communes)")] = indicateurs.RAYON_KM_DEFAUT,
    decroissance: Annotated[Decroissance, Query(description="paliers (comme l'APL : 1, 2/3, 1/3), gaussienne ou "
                                                            "aucune")] = "paliers",
    format: Annotated[Format, Query()] = "json",
) -> Response:
    """Two-step floating catchment area (2SFCA, like the DREES APL indicator) for every commune (Paris by
    arrondissement): places accessible per 1,000 inhabitants, from the places of the communes within `rayon_km`
    (straight line between commune centres, Lambert-93), weighted by the distance decay. Method, parameters and
    limits: README, section « Accessibilité (2SFCA) »."""
    result = indicateurs_2sfca.accessibilite(conn, sel, rayon_km=rayon_km, decroissance=decroissance,
                                       geometry=format == "geojson", checked=True)
    return _answer(result, format, _stem("accessibilite", sel, "commune"))
