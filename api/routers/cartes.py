"""Map widgets (HTML pages embeddable in an iframe): commune, offer, coverage and spreadsheet maps.

The routes query :mod:`gis.layers` and hand plain data to the :mod:`web_map` builders (a template
render). Every answer is HTML in French, including errors (404/413/422), with the strict page CSP
(frame-ancestors from the settings). ``HEAD`` and ``OPTIONS`` are answered on every page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect

from api.auth import request_visibility
from api.deps import coverage_filters_dep, filters_dep, get_conn
from api.html import error_response, html_response, map_response
from api.params import DepartementFilter, Insee, OfferId
from api.schemas import HTML_ERROR_RESPONSES, TABLEAU_FORM
from gis import tableau
from gis.access import PUBLIC_VISIBILITY, Visibility
from gis.db import Conn
from gis.errors import InvalidInput, NotFound, PayloadTooLarge
from gis.layers import communes, departements, nomenclatures, offres, territoires
from gis.layers.offres import Filters
from gis.settings import Settings
from web_map import assets
from web_map.basemaps import basemap_key
from web_map.choropleth import couverture_page, tableau_page
from web_map.page import MapPage, render_template
from web_map.security import PAGE_CACHE, PRIVATE_NO_STORE
from web_map.widgets import COMMUNE_WIDGET_OFFERS, commune_offers_page, offre_page

router = APIRouter(prefix="/cartes", tags=["cartes"], responses=HTML_ERROR_RESPONSES)

_FOND_HELP = "Fond de carte inconnu : valeurs permises plan-ign, osm ou aucun."
_FOND = Query(None, description="plan-ign (défaut), osm ou aucun")
Fond = Literal["plan-ign", "osm", "aucun", "none"]
Methode = Literal["quantiles", "seuils-naturels", "amplitudes-egales"]
_MULTIPART_OVERHEAD = 64 * 1024
_TITLE_MAX = 120


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _basemap(settings: Settings, fond: str | None) -> str:
    try:
        return basemap_key(fond, default=basemap_key(settings.basemap))
    except ValueError:
        raise InvalidInput(_FOND_HELP) from None


def _query(request: Request, drop: tuple[str, ...] = ("fond",)) -> str:
    """The request's query string without the display-only parameters (for API links)."""
    return urlencode([(k, v) for k, v in request.query_params.multi_items() if k not in drop])


def _page_or_error(settings: Settings, build: Callable[[], MapPage], *,
                   not_found: str = "Introuvable", vis: Visibility = PUBLIC_VISIBILITY) -> HTMLResponse:
    try:
        return map_response(build(), settings, cache_control=PAGE_CACHE if vis.public else PRIVATE_NO_STORE)
    except NotFound as exc:
        return error_response(settings, status_code=404, title=not_found, message=exc.message)
    except InvalidInput as exc:
        return error_response(settings, status_code=422, title="Requête invalide", message=exc.message)


@router.head("/commune/{insee}", include_in_schema=False)
@router.get("/commune/{insee}", response_class=HTMLResponse, summary="Carte des offres couvrant une commune")
def carte_commune(
    request: Request,
    insee: Insee,
    filters: Annotated[Filters, Depends(filters_dep)],
    conn: Annotated[Conn, Depends(get_conn)],
    fond: Fond | None = _FOND,
) -> HTMLResponse:
    """Commune outline, the offers covering it (markers by family, clustered), their territories
    (layer control, highlight on hover/click), legend, table and export links. Same filters as
    `/api/v1/communes/{insee}/services`. A former or delegated code shows the current commune."""
    settings = _settings(request)

    def build() -> MapPage:
        basemap = _basemap(settings, fond)
        feature = communes.feature(conn, insee, geometry="full")
        answer = offres.covering(conn, insee, filters, limit=COMMUNE_WIDGET_OFFERS, vis=vis)
        return commune_offers_page(feature, answer, basemap=basemap, query=_query(request))

    vis = request_visibility(request)
    return _page_or_error(settings, build, not_found="Commune introuvable", vis=vis)


@router.head("/offre/{offer_id:path}", include_in_schema=False)
@router.get("/offre/{offer_id:path}", response_class=HTMLResponse, summary="Carte d'une offre et de son territoire")
def carte_offre(
    request: Request,
    offer_id: OfferId,
    conn: Annotated[Conn, Depends(get_conn)],
    fond: Fond | None = _FOND,
) -> HTMLResponse:
    """The place of one offer, its intervention territory, its facts and the communes it covers."""
    settings = _settings(request)

    def build() -> MapPage:
        basemap = _basemap(settings, fond)
        return offre_page(offres.detail(conn, offer_id, vis), basemap=basemap)

    vis = request_visibility(request)
    return _page_or_error(settings, build, not_found="Offre introuvable", vis=vis)


_COVERAGE_TILES = "/ogc/collections/couverture/tiles/WebMercatorQuad/{z}/{x}/{y}?"
_COVERAGE_TILE_PROPERTIES = "insee,nom,offres,pour_10000,population"


def _coverage_tiles(filters: Filters, departement: str | None) -> str | None:
    """URL template of the coverage vector tiles (OGC API – Tiles) equivalent to the page's filters, or
    None when the tiles cannot express them (filters other than the type d'offre: the page then fetches
    the GeoJSON of /api/v1/couverture) or Leaflet.VectorGrid is not installed."""
    others = {k: v for k, v in filters.code_fields().items() if k != "type_offre"}
    if not assets.vector_tiles_available() or any(others.values()) or filters.age is not None:
        return None
    params = [("type_offre", ",".join(filters.type_offre)), ("properties", _COVERAGE_TILE_PROPERTIES)]
    if departement:
        params.append(("filter", f"departement='{departement.upper()}'"))  # checked by DEPARTEMENT_PATTERN
    return _COVERAGE_TILES + urlencode(params)


@router.head("/couverture", include_in_schema=False)
@router.get("/couverture", response_class=HTMLResponse, summary="Carte de couverture par type d'offre")
def carte_couverture(
    request: Request,
    filters: Annotated[Filters, Depends(coverage_filters_dep)],
    conn: Annotated[Conn, Depends(get_conn)],
    departement: DepartementFilter = None,
    par: Annotated[int | None, Query(ge=10000, le=10000, description="10000 : offres pour 10 000 habitants")] = None,
    classes: Annotated[int, Query(ge=3, le=7)] = 5,
    methode: Annotated[Methode, Query(description="quantiles, seuils-naturels ou amplitudes-egales")] = "quantiles",
    fond: Fond | None = _FOND,
) -> HTMLResponse:
    """How many offers of the type(s) cover each commune (optionally per 10,000 inhabitants), with
    the communes covered by none ("zones blanches") and a summary."""
    settings = _settings(request)
    if par not in (None, 10000):
        return error_response(settings, status_code=422, title="Requête invalide",
                              message="Paramètre par : seule la valeur 10000 est permise.")
    query = _query(request, drop=("fond", "par", "classes", "methode"))

    def build() -> MapPage:
        basemap = _basemap(settings, fond)
        data = territoires.coverage_by_commune(conn, filters, departement=departement, geometry=False, vis=vis)
        labels = nomenclatures.labels_for(conn, "type_offre", filters.type_offre) or list(filters.type_offre)
        return couverture_page(data, type_labels=labels, extent=departements.bbox(conn, departement),
                               departement=departement, per_10000=par == 10000, classes=classes,
                               methode=methode, basemap=basemap, query=query,
                               tiles_url=_coverage_tiles(filters, departement))

    vis = request_visibility(request)
    return _page_or_error(settings, build, vis=vis)


@router.head("/tableau", include_in_schema=False)
@router.get("/tableau", response_class=HTMLResponse, summary="Formulaire : carte à partir d'un tableau")
def formulaire_tableau(request: Request) -> HTMLResponse:
    """The upload form of the spreadsheet map."""
    html = render_template("tableau_form.html", action="/cartes/tableau", css=assets.page_css(),
                           methods=list(tableau.METHODS.items()), max_mb=tableau.MAX_BYTES // (1024 * 1024),
                           title_max=_TITLE_MAX)
    return html_response(html, _settings(request), cache_control=PAGE_CACHE)


def _too_large(settings: Settings) -> HTMLResponse:
    return error_response(settings, status_code=413, title="Fichier trop volumineux",
                          message=f"Le fichier dépasse la taille maximale de "
                                  f"{tableau.MAX_BYTES // (1024 * 1024)} Mo.",
                          back_url="/cartes/tableau", back_label="Charger un autre fichier")


def _invalid(settings: Settings, message: str) -> HTMLResponse:
    return error_response(settings, status_code=422, title="Fichier non exploitable", message=message,
                          back_url="/cartes/tableau", back_label="Charger un autre fichier")


async def _read_form(request: Request, settings: Settings) -> tuple[bytes, str, dict[str, str]] | HTMLResponse:
    """The uploaded file, its safe name and the text fields; or the French error page."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > tableau.MAX_BYTES + _MULTIPART_OVERHEAD:
        return _too_large(settings)
    try:
        form = await request.form(max_files=1, max_fields=20)
    except ClientDisconnect:
        return _invalid(settings, "Envoi du fichier interrompu.")
    except PayloadTooLarge:
        raise
    except Exception:  # malformed multipart body
        return _invalid(settings, "Formulaire illisible : envoyez le fichier dans le champ « fichier ».")
    try:
        upload = form.get("fichier")
        if not isinstance(upload, UploadFile):
            return _invalid(settings, "Aucun fichier reçu : choisissez un fichier CSV ou XLSX (champ « fichier »).")
        data = await upload.read(tableau.MAX_BYTES + 1)
        if len(data) > tableau.MAX_BYTES:
            return _too_large(settings)
        fields = {k: str(form.get(k) or "").strip() for k in
                  ("colonne_code", "colonne_valeur", "classes", "methode", "titre", "fond")}
        filename = (upload.filename or "fichier").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:120]
    finally:
        await form.close()
    return data, filename, fields


@router.post("/tableau", response_class=HTMLResponse, summary="Carte choroplèthe d'un tableau (CSV ou XLSX)",
             openapi_extra=TABLEAU_FORM,
             responses={403: {"description": "Envoi depuis un autre site (page HTML)", "content": {"text/html": {}}},
                        413: {"description": "Fichier trop volumineux (page HTML)", "content": {"text/html": {}}}})
async def carte_tableau(request: Request) -> HTMLResponse:
    """Multipart form: ``fichier`` (CSV/XLSX), optional ``colonne_code``, ``colonne_valeur``,
    ``classes`` (3 to 7), ``methode`` (quantiles, seuils-naturels, amplitudes-egales), ``titre``, ``fond``."""
    settings = _settings(request)
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        # A form posted from another site (auto-submitted or not) would show that site's text under our
        # name: only our own form, or a non-browser client, may post.
        return error_response(settings, status_code=403, title="Envoi refusé",
                              message="Ce formulaire ne peut être envoyé que depuis le service cartographique.",
                              back_url="/cartes/tableau", back_label="Ouvrir le formulaire")
    read = await _read_form(request, settings)
    if isinstance(read, HTMLResponse):
        return read
    data, filename, fields = read
    try:
        k = int(fields["classes"] or 5)
        if not 1 <= k <= 7:
            raise ValueError
    except ValueError:
        return _invalid(settings, "Nombre de classes invalide : entre 3 et 7.")
    try:
        basemap = _basemap(settings, fields["fond"] or None)
        html = await run_in_threadpool(_build_tableau, request, data, filename, fields, k, basemap)
    except PayloadTooLarge as exc:
        return error_response(settings, status_code=413, title="Fichier trop volumineux", message=exc.message,
                              back_url="/cartes/tableau", back_label="Charger un autre fichier")
    except InvalidInput as exc:
        return _invalid(settings, exc.message)
    return html_response(html, settings, cache_control=PRIVATE_NO_STORE)


def _build_tableau(request: Request, data: bytes, filename: str, fields: dict[str, str], k: int,
                   basemap: str) -> str:
    sheet = tableau.read_sheet(data, filename)
    with request.app.state.pool.connection() as conn:
        result = tableau.analyse(conn, sheet, filename=filename, code_column=fields["colonne_code"] or None,
                                 value_column=fields["colonne_valeur"] or None, k=k,
                                 method=fields["methode"] or "quantiles")
    page = tableau_page(result, basemap=basemap, title=fields["titre"][:_TITLE_MAX] or None)
    return page.render()
