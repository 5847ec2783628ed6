"""Map widgets (HTML pages embeddable in an iframe): commune, offer, coverage and spreadsheet maps.

The routes query :mod:`gis.layers` and hand plain data to the :mod:`web_map` builders (a template
render). Every answer is HTML in French, including errors (404/413/422), with the strict page CSP
(frame-ancestors from the settings). ``HEAD`` and ``OPTIONS`` are answered on every page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect

from api.auth import request_visibility
from api.deps import filters_dep, get_conn
from api.html import error_response, html_response, map_response
from api.params import DEPARTEMENT_PATTERN, Insee, OfferId
from api.schemas import HTML_ERROR_RESPONSES, TABLEAU_FORM
from gis import export, status, tableau
from gis.access import PUBLIC_VISIBILITY, Visibility
from gis.db import Conn
from gis.errors import InvalidInput, NotFound, PayloadTooLarge
from gis.layers import communes, departements, nomenclatures, offre_detail, offres, territoires
from gis.layers.offres import Filters
from gis.settings import Settings
from gis.tableau import share
from gis.territories import editing
from gis.text import normalize
from web_map import assets
from web_map.basemaps import basemap_key
from web_map.choropleth import couverture_page, coverage_controls
from web_map.editing import add_offer_actions
from web_map.page import MapPage, render_template
from web_map.security import PAGE_CACHE, PRIVATE_NO_STORE
from web_map.tableau_map import TABLEAU_EXPORT_HEADERS, inline_limit, tableau_export_rows, tableau_page
from web_map.widgets import COMMUNE_WIDGET_OFFERS, commune_offers_page, offre_page

router = APIRouter(prefix="/cartes", tags=["cartes"], responses=HTML_ERROR_RESPONSES)

_FOND_HELP = "Fond de carte inconnu : valeurs permises plan-ign, osm ou aucun."
_FOND = Query(None, description="plan-ign (défaut), osm ou aucun")
Fond = Literal["plan-ign", "osm", "aucun", "none"]
Methode = Literal["quantiles", "seuils-naturels", "amplitudes-egales"]
Mode = Literal["complet", "compact"]
_MODE = Query(None, description="compact : carte seule (sans en-tête ni tableaux), légende repliable sur la carte")
_MULTIPART_OVERHEAD = 64 * 1024
_TITLE_MAX = 120
_DEPARTEMENT_OR_EMPTY = "^(?:" + DEPARTEMENT_PATTERN.strip("^$") + ")?$"


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
                   not_found: str = "Introuvable", vis: Visibility = PUBLIC_VISIBILITY,
                   mode: str | None = None) -> HTMLResponse:
    try:
        page = build()
        page.compact = mode == "compact"
        return map_response(page, settings, cache_control=PAGE_CACHE if vis.public else PRIVATE_NO_STORE)
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
    mode: Mode | None = _MODE,
) -> HTMLResponse:
    """Commune outline, the offers covering it (markers by family, clustered), their territories
    (layer control, highlight on hover/click), legend, table and export links. Same filters as
    `/api/v1/communes/{insee}/services`. A former or delegated code shows the current commune."""
    settings = _settings(request)

    def build() -> MapPage:
        basemap = _basemap(settings, fond)
        feature = communes.feature(conn, insee, geometry="full")
        answer = offres.covering(conn, insee, filters, limit=COMMUNE_WIDGET_OFFERS, vis=vis)
        return commune_offers_page(feature, answer, basemap=basemap, query=_query(request, drop=("fond", "mode")))

    vis = request_visibility(request)
    return _page_or_error(settings, build, not_found="Commune introuvable", vis=vis, mode=mode)


@router.head("/offre/{offer_id:path}", include_in_schema=False)
@router.get("/offre/{offer_id:path}", response_class=HTMLResponse, summary="Carte d'une offre et de son territoire")
def carte_offre(
    request: Request,
    offer_id: OfferId,
    conn: Annotated[Conn, Depends(get_conn)],
    fond: Fond | None = _FOND,
    mode: Mode | None = _MODE,
) -> HTMLResponse:
    """The place of one offer, its intervention territory, its facts and the communes it covers."""
    settings = _settings(request)

    def build() -> MapPage:
        basemap = _basemap(settings, fond)
        offer = offre_detail.detail(conn, offer_id, vis)
        page = offre_page(offer, basemap=basemap)
        add_offer_actions(page, offer, editing.override_info(conn, editing.offer_ref(conn, offer["id"]).pk))
        return page

    vis = request_visibility(request)
    return _page_or_error(settings, build, not_found="Offre introuvable", vis=vis, mode=mode)


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


def _data_date(conn: Conn) -> str | None:
    """Date of the last load of the offers (French ``JJ/MM/AAAA``), for the maps' source line."""
    loaded = status.data_status(conn).get("offres", {}).get("charge_le")
    return f"{loaded[8:10]}/{loaded[5:7]}/{loaded[0:4]}" if loaded else None


def _coverage_controls(conn: Conn, current: dict[str, Any]) -> Markup:
    types = nomenclatures.codes(conn, "type_offre")["codes"]
    deps = [f["properties"] for f in departements.collection(conn, geometry="none")["features"]]
    return coverage_controls(types, sorted(deps, key=lambda d: d["code"]), current)


@router.head("/couverture", include_in_schema=False)
@router.get("/couverture", response_class=HTMLResponse, summary="Carte de couverture par type d'offre")
def carte_couverture(
    request: Request,
    filters: Annotated[Filters, Depends(filters_dep)],
    conn: Annotated[Conn, Depends(get_conn)],
    departement: Annotated[str | None, Query(pattern=_DEPARTEMENT_OR_EMPTY,
                                             description="Limiter à un département (ex. 93)")] = None,
    par: Annotated[Literal["", "10000"] | None,
                   Query(description="10000 : offres pour 10 000 habitants (vide : nombre d'offres)")] = None,
    classes: Annotated[int, Query(ge=3, le=7)] = 5,
    methode: Annotated[Methode, Query(description="quantiles, seuils-naturels ou amplitudes-egales")] = "quantiles",
    fond: Fond | None = _FOND,
    mode: Mode | None = _MODE,
) -> HTMLResponse:
    """How many offers of the type(s) cover each commune (optionally per 10,000 inhabitants), with
    the communes covered by none ("zones blanches"), a summary, the controls and the table (CSV, XLSX).
    Without a type d'offre: the controls, with a French message."""
    settings = _settings(request)
    if par not in (None, "", "10000"):
        return error_response(settings, status_code=422, title="Requête invalide",
                              message="Paramètre par : seule la valeur 10000 est permise.")
    departement = departement or None
    per_10000 = par == "10000"
    current = {"type_offre": filters.type_offre, "departement": departement, "par": per_10000,
               "classes": classes, "methode": methode, "fond": fond}
    if not filters.type_offre:  # the form alone (a page to choose from, not an error)
        return error_response(settings, status_code=200, title="Choisissez un type d'offre",
                              message="La carte de couverture montre un type d'offre à la fois (paramètre "
                                      "« type_offre » : obligatoire). Choisissez-le ci-dessous.",
                              extra=_coverage_controls(conn, current))
    drop = ("fond", "par", "classes", "methode", "mode") + (("departement",) if not departement else ())
    query = _query(request, drop=drop)

    def build() -> MapPage:
        basemap = _basemap(settings, fond)
        data = territoires.coverage_by_commune(conn, filters, departement=departement, geometry=False, vis=vis)
        labels = nomenclatures.labels_for(conn, "type_offre", filters.type_offre) or list(filters.type_offre)
        return couverture_page(data, type_labels=labels, extent=departements.bbox(conn, departement),
                               departement=departement, per_10000=per_10000, classes=classes,
                               methode=methode, basemap=basemap, query=query,
                               tiles_url=_coverage_tiles(filters, departement),
                               controls=_coverage_controls(conn, current), data_date=_data_date(conn))

    vis = request_visibility(request)
    return _page_or_error(settings, build, vis=vis, mode=mode)


@router.head("/tableau", include_in_schema=False)
@router.get("/tableau", response_class=HTMLResponse, summary="Formulaire : carte à partir d'un tableau")
def formulaire_tableau(request: Request) -> HTMLResponse:
    """The upload form of the spreadsheet map."""
    html = render_template("tableau_form.html", action="/cartes/tableau", css=assets.page_css(),
                           scripts=[f"{assets.own_prefix()}/tableau-form.js"],
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


def _cross_site_refusal(request: Request, settings: Settings) -> HTMLResponse | None:
    """The French 403 page for a form posted from another site, None for our own forms and non-browser clients.

    A form posted from another site (auto-submitted or not) would show that site's text under our name.
    """
    if request.headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none"):
        return None
    return error_response(settings, status_code=403, title="Envoi refusé",
                          message="Ce formulaire ne peut être envoyé que depuis le service cartographique.",
                          back_url="/cartes/tableau", back_label="Ouvrir le formulaire")


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
    refused = _cross_site_refusal(request, settings)
    if refused is not None:
        return refused
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


def _share_url(token: str | None, *, k: int, method: str, title: str, fond: str) -> str | None:
    """The GET URL of a spreadsheet map (``/cartes/tableau/carte?d=…``), None without a token."""
    if token is None:
        return None
    params = [("d", token), ("classes", str(k)), ("methode", method)]
    params += [(key, v) for key, v in (("titre", title), ("fond", fond)) if v]
    return "/cartes/tableau/carte?" + urlencode(params)


def _build_tableau(request: Request, data: bytes, filename: str, fields: dict[str, str], k: int,
                   basemap: str) -> str:
    sheet = tableau.read_sheet(data, filename)
    method = fields["methode"] or "quantiles"
    title = fields["titre"][:_TITLE_MAX]
    with request.app.state.pool.connection() as conn:
        result = tableau.analyse(conn, sheet, filename=filename, code_column=fields["colonne_code"] or None,
                                 value_column=fields["colonne_valeur"] or None, k=k, method=method,
                                 inline_max=inline_limit())
    token = share.pack(sheet, filename=filename, code_column=result.code_column, value_column=result.value_column)
    url = _share_url(token, k=k, method=result.method, title=title, fond=fields["fond"])
    export = None
    if url is None and result.matched:  # too large for a link: the export form posts the matched rows back
        posted = share.pack(sheet, filename=filename, code_column=result.code_column,
                            value_column=result.value_column, max_chars=share.MAX_EXPORT_TOKEN,
                            only_rows={e["ligne"] for e in result.matched})
        if posted is not None:
            export = {"d": posted, "classes": str(k), "methode": result.method, "titre": title}
    page = tableau_page(result, basemap=basemap, title=title or None, share_url=url, export=export)
    return page.render()


def _export_response(result: tableau.TableauResult, filename: str, titre: str, format: str) -> Response:
    """The matched communes of a spreadsheet map as a CSV or XLSX download."""
    rows = tableau_export_rows(result)
    stem = "carte-" + (normalize(titre or result.value_column).replace(" ", "-")[:40] or "tableau")
    if format == "csv":
        body = export.table_csv(TABLEAU_EXPORT_HEADERS, rows)
        media = "text/csv; charset=utf-8"
    else:
        body = export.table_xlsx(TABLEAU_EXPORT_HEADERS, rows, title="Communes",
                                 source=f"Fichier {filename}, INSEE COG 2026")
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{stem}.{format}"', "Cache-Control": PAGE_CACHE})


@router.head("/tableau/carte", include_in_schema=False)
@router.get("/tableau/carte", response_class=HTMLResponse, summary="Carte d'un tableau, à partir de son lien")
def carte_tableau_lien(
    request: Request,
    conn: Annotated[Conn, Depends(get_conn)],
    d: Annotated[str, Query(max_length=share.MAX_TOKEN, pattern=r"^[A-Za-z0-9_-]+$",
                            description="Le tableau (codes et valeurs), tel que l'écrit le lien de partage")],
    classes: Annotated[int, Query(ge=3, le=7)] = 5,
    methode: Annotated[Methode, Query(description="quantiles, seuils-naturels ou amplitudes-egales")] = "quantiles",
    titre: Annotated[str, Query(max_length=_TITLE_MAX)] = "",
    fond: Fond | None = _FOND,
    format: Annotated[Literal["html", "csv", "xlsx"], Query(description="html (carte), csv ou xlsx")] = "html",
) -> Response:
    """The map of a spreadsheet from its shareable link (the data are in the link: nothing is stored),
    or its table as CSV/XLSX."""
    settings = _settings(request)
    try:
        sheet, filename = share.unpack(d)
        result = tableau.analyse(conn, sheet, filename=filename, code_column=sheet.headers[0],
                                 value_column=sheet.headers[1], k=classes, method=methode,
                                 inline_max=inline_limit() if format == "html" else 0)
        if format != "html":
            return _export_response(result, filename, titre, format)
        url = _share_url(d, k=classes, method=result.method, title=titre, fond=fond or "")
        page = tableau_page(result, basemap=_basemap(settings, fond), title=titre or None, share_url=url)
    except InvalidInput as exc:  # a damaged or forged link: no such map
        return error_response(settings, status_code=404, title="Carte introuvable", message=exc.message,
                              back_url="/cartes/tableau", back_label="Charger un fichier")
    return map_response(page, settings)


@router.post("/tableau/export", summary="Tableau CSV ou XLSX d'une carte trop volumineuse pour un lien",
             responses={200: {"description": "Tableau des communes rapprochées", "content": {
                 "text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}},
                 403: {"description": "Envoi depuis un autre site (page HTML)", "content": {"text/html": {}}}})
def export_tableau(
    request: Request,
    conn: Annotated[Conn, Depends(get_conn)],
    d: Annotated[str, Form(max_length=share.MAX_EXPORT_TOKEN, pattern=r"^[A-Za-z0-9_-]+$",
                           description="Le tableau (codes et valeurs), tel que l'écrit la page de la carte")],
    classes: Annotated[int, Form(ge=3, le=7)] = 5,
    methode: Annotated[Methode, Form(description="quantiles, seuils-naturels ou amplitudes-egales")] = "quantiles",
    titre: Annotated[str, Form(max_length=_TITLE_MAX)] = "",
    format: Annotated[Literal["csv", "xlsx"], Form(description="csv ou xlsx")] = "csv",
) -> Response:
    """The table of a spreadsheet map whose data do not fit in a link: the map page posts them back (nothing is
    stored, any instance answers). Same content as ``GET /cartes/tableau/carte?format=…``."""
    settings = _settings(request)
    refused = _cross_site_refusal(request, settings)
    if refused is not None:
        return refused
    try:
        sheet, filename = share.unpack(d, share.MAX_EXPORT_TOKEN)
        result = tableau.analyse(conn, sheet, filename=filename, code_column=sheet.headers[0],
                                 value_column=sheet.headers[1], k=classes, method=methode, inline_max=0)
    except InvalidInput as exc:  # damaged or forged data: no such map, as for a damaged link
        return error_response(settings, status_code=404, title="Carte introuvable", message=exc.message,
                              back_url="/cartes/tableau", back_label="Charger un fichier")
    response = _export_response(result, filename, titre, format)
    response.headers["Cache-Control"] = PRIVATE_NO_STORE
    return response
