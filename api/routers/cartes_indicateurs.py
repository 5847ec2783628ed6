"""The planners' indicator map: equipment rates or 2SFCA accessibility (``/cartes/taux-equipement``).

A GET form over the indicator API: the page computes the classes and the table from the indicator (layer call), the
polygons come from the API's GeoJSON (cached path). Errors are French HTML pages (the ``/cartes`` prefix).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from api.deps import get_conn
from api.html import error_response, map_response
from api.routers.indicateurs import split_codes
from api.schemas import HTML_ERROR_RESPONSES
from gis.db import Conn
from gis.errors import InvalidInput, NotFound
from gis.layers import departements, indicateurs, indicateurs_2sfca, indicateurs_taux
from gis.settings import Settings
from web_map.basemaps import basemap_key
from web_map.indicateurs import FormState, indicateurs_page

router = APIRouter(prefix="/cartes", tags=["cartes"], responses=HTML_ERROR_RESPONSES)

Fond = Literal["plan-ign", "osm", "aucun", "none"]
Methode = Literal["quantiles", "seuils-naturels", "amplitudes-egales"]
DEFAULT_CATEGORIE = "500"  # EHPAD: the page opens on the most asked-for rate


@router.head("/taux-equipement", include_in_schema=False)
@router.get("/taux-equipement", response_class=HTMLResponse,
            summary="Carte des taux d'équipement et de l'accessibilité (2SFCA)")
def carte_taux_equipement(
    request: Request,
    conn: Annotated[Conn, Depends(get_conn)],
    type_offre: Annotated[list[str], Query(description="Type(s) d'offre (capacité des offres)")] = [],  # noqa: B006
    categorie: Annotated[list[str], Query(description="Catégorie(s) FINESS (capacité des EG) ; "
                                                      "500 (EHPAD) si ni l'un ni l'autre")] = [],  # noqa: B006
    indicateur: Annotated[Literal["taux", "accessibilite"], Query()] = "taux",
    niveau: Annotated[Literal["commune", "epci", "departement", "region"], Query()] = "commune",
    rayon_km: Annotated[float, Query(ge=indicateurs.RAYON_KM_MIN, le=indicateurs.RAYON_KM_MAX)] = (
        indicateurs.RAYON_KM_DEFAUT),
    decroissance: Annotated[Literal["paliers", "gaussienne", "aucune"], Query()] = "paliers",
    classes: Annotated[int, Query(ge=3, le=7)] = 5,
    methode: Annotated[Methode, Query(description="quantiles, seuils-naturels ou amplitudes-egales")] = "quantiles",
    fond: Annotated[Fond | None, Query(description="plan-ign (défaut), osm ou aucun")] = None,
) -> HTMLResponse:
    """Choropleth of places per 1,000 inhabitants by commune, EPCI/EPT, département or région, or of the 2SFCA
    accessibility by commune, for a type d'offre or an establishment category; controls, legend, data date,
    CSV/XLSX/GeoJSON exports and the full table."""
    settings: Settings = request.app.state.settings
    types, cats = split_codes(type_offre), split_codes(categorie)
    if not types and not cats:
        cats = [DEFAULT_CATEGORIE]
    form = FormState(indicateur=indicateur, type_offre=types, categorie=cats, niveau=niveau, rayon_km=rayon_km,
                     decroissance=decroissance, classes=classes, methode=methode, fond=fond)
    basemap = basemap_key(fond, default=basemap_key(settings.basemap))  # fond: checked by its Literal type
    try:
        sel = indicateurs.selection(types, cats)
        if indicateur == "accessibilite":
            result = indicateurs_2sfca.accessibilite(conn, sel, rayon_km=rayon_km, decroissance=decroissance)
        else:
            result = indicateurs_taux.taux_equipement(conn, sel, niveau)
        page = indicateurs_page(result, form, choices=indicateurs.choices(conn), extent=departements.bbox(conn, None),
                                basemap=basemap)
    except NotFound as exc:
        return error_response(settings, status_code=404, title="Introuvable", message=exc.message)
    except InvalidInput as exc:
        return error_response(settings, status_code=422, title="Requête invalide", message=exc.message,
                              back_url="/cartes/taux-equipement", back_label="Revenir à la carte")
    return map_response(page, settings)
