"""Pages of the anomaly reports and of the territory editor (HTML, French).

- ``GET /signalements/nouveau/offre/{id}`` (or ``…/etablissement/{finess}``): the public report form (cached like the
  other public pages: it depends only on the URL and the data);
- ``GET /signalements``: the reports an administrator or a référent processes (page session; anonymous visitors are
  sent to the login page, other roles get 403);
- ``GET /cartes/offre/{id}/zone``: the zone d'intervention editor of an offer (same rules, plus the EG scope).

The private pages are ``no-store`` and embed the session's CSRF token for their write requests.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import current_principal
from api.csrf import session_token
from api.deps import get_conn, get_primary_conn
from api.html import html_response
from api.params import Finess, OfferId
from api.schemas import HTML_ERROR_RESPONSES
from gis import signalements
from gis.access import Principal, Role, check_can_edit_etablissement, check_role
from gis.db import Conn
from gis.settings import Settings
from gis.territories import editing
from web_map.editing import report_form_page, reports_page, zone_editor_page
from web_map.security import PAGE_CACHE, PRIVATE_NO_STORE

router = APIRouter(tags=["pages"], responses=HTML_ERROR_RESPONSES)
PRIVATE_PAGE: dict[int | str, dict[str, Any]] = {
    303: {"description": "Non connecté : redirection vers la page de connexion (/connexion?suivant=…)"},
    403: {"description": "Rôle insuffisant ou établissement hors périmètre (page HTML en français)",
          "content": {"text/html": {}}},
}



def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/connexion?" + urlencode({"suivant": target}), status_code=303,
                            headers={"Cache-Control": "no-store"})


def _who(principal: Principal) -> dict[str, Any]:
    return {"nom": principal.nom, "subject": principal.subject, "role_label": principal.role.label,
            "perimetre": sorted(principal.etablissements)}


@router.get("/signalements/nouveau/offre/{offer_id:path}", response_class=HTMLResponse,
            summary="Formulaire : signaler une anomalie sur une offre")
def report_form_offer(request: Request, offer_id: OfferId, conn: Annotated[Conn, Depends(get_conn)]) -> HTMLResponse:
    """The public report form about one offer (ROR id or identifiantOffre)."""
    html = report_form_page(signalements.target(conn, "offre", offer_id), signalements.CATEGORIES)
    return html_response(html, _settings(request), cache_control=PAGE_CACHE)


@router.get("/signalements/nouveau/etablissement/{finess}", response_class=HTMLResponse,
            summary="Formulaire : signaler une anomalie sur un établissement")
def report_form_eg(request: Request, finess: Finess, conn: Annotated[Conn, Depends(get_conn)]) -> HTMLResponse:
    """The public report form about one establishment (FINESS ET)."""
    html = report_form_page(signalements.target(conn, "etablissement", finess.upper()), signalements.CATEGORIES)
    return html_response(html, _settings(request), cache_control=PAGE_CACHE)


@router.get("/signalements", response_class=HTMLResponse, summary="Signalements à traiter (administrateurs, référents)",
            responses=PRIVATE_PAGE)
def reports(
    request: Request,
    conn: Annotated[Conn, Depends(get_primary_conn)],
    principal: Annotated[Principal, Depends(current_principal)],
    statut: Annotated[str | None, Query(pattern=r"^[a-z_]{0,20}$")] = None,
) -> Response:
    """Newest first, 200 at most; status changes are made in the page (CSRF-protected)."""
    if not principal.authenticated:
        return _login(request)
    check_role(principal, Role.REFERENT)
    scope = None if principal.role is Role.ADMINISTRATEUR else principal.etablissements
    page = signalements.list_reports(conn, scope, signalements.ListFilter(statut=statut or None, limit=200))
    html = reports_page(page, principal=_who(principal), csrf=session_token(request), statut=statut or None,
                        categories=signalements.CATEGORIES)
    return html_response(html, _settings(request), cache_control=PRIVATE_NO_STORE)


@router.get("/cartes/offre/{offer_id:path}/zone", response_class=HTMLResponse,
            summary="Éditeur de la zone d'intervention d'une offre (référents, administrateurs)",
            responses=PRIVATE_PAGE)
def zone_editor(
    request: Request,
    offer_id: OfferId,
    conn: Annotated[Conn, Depends(get_primary_conn)],
    principal: Annotated[Principal, Depends(current_principal)],
) -> Response:
    """Communes, départements and a free-form polygon (drawn or uploaded as GeoJSON), saved with If-Match."""
    if not principal.authenticated:
        return _login(request)
    check_role(principal, Role.REFERENT)
    ref = editing.offer_ref(conn, offer_id)
    check_can_edit_etablissement(principal, ref.finess)
    state = editing.zone_state(conn, ref)
    html = zone_editor_page(state, csrf=session_token(request), principal=_who(principal))
    return html_response(html, _settings(request), cache_control=PRIVATE_NO_STORE)


__all__ = ["router"]
