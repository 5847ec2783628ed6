"""Who am I, a restricted read, and the login pages (``/connexion``, ``/deconnexion``) with their session cookie.

The login form takes an API token and opens a page session (server-side, table ``web_session``): the cookie holds a
random value (HttpOnly, SameSite=Lax, Secure unless on plain http://localhost, see ``ROR_GIS_COOKIE_SECURE``). Forms
are protected from cross-site requests by :mod:`api.csrf`.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from api.auth import SESSION_COOKIE, current_principal, require_role
from api.csrf import CSRF_COOKIE, check_form, secure_cookie
from api.deps import get_conn, run_write
from api.html import html_response
from api.params import OfferId
from api.ratelimit import FailureLimit
from api.responses import PRIVATE_CACHE
from api.schemas import AUTH_RESPONSES
from gis import tokens
from gis.access import Principal, Role, check_can_edit_etablissement, visibility
from gis.db import Conn
from gis.layers import gestion
from gis.settings import Settings
from web_map import assets
from web_map.page import render_template
from web_map.security import PRIVATE_NO_STORE

router = APIRouter(tags=["accès"])



def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.get("/api/v1/moi", summary="Rôle et périmètre de l'appelant", responses=AUTH_RESPONSES)
async def moi(principal: Annotated[Principal, Depends(current_principal)]) -> Response:
    """The caller as the service sees it: role, scope, what it may see. Anonymous: the public."""
    vis = visibility(principal)
    body = {
        "authentifie": principal.authenticated,
        "role": principal.role.value,
        "libelle": principal.role.label,
        "nom": principal.nom,
        "source": principal.source,
        "etablissements": sorted(principal.etablissements),
        "habilite_sensible": principal.habilite_sensible,
        "visibilite": {"confidentialite_max": int(vis.max_level), "unites_sensibles": vis.sensitive},
    }
    return JSONResponse(body, headers=dict(PRIVATE_CACHE))


@router.get("/api/v1/gestion/offres/{offer_id:path}", summary="Une offre telle que la voient ses référents",
            responses=AUTH_RESPONSES)
def offre_gestion(
    offer_id: OfferId,
    principal: Annotated[Principal, Depends(require_role(Role.REFERENT))],
    conn: Annotated[Conn, Depends(get_conn)],
) -> Response:
    """Every contact, the sensitive flag and the declared zone of an offer: for the référents of its EG (FINESS ET in
    their scope) and the administrators. 401 without credentials, 403 outside the scope."""
    pk, finess = gestion.offer_finess(conn, offer_id)
    check_can_edit_etablissement(principal, finess)
    return JSONResponse(gestion.offer_for_management(conn, pk), headers=dict(PRIVATE_CACHE))


# --------------------------------------------------------------------------------------------------- pages


def _login_limit(request: Request) -> FailureLimit:
    """The process's limit of failed logins per client address (created on first use)."""
    state = request.app.state
    limit: FailureLimit | None = getattr(state, "login_limit", None)
    if limit is None:
        settings = _settings(request)
        limit = FailureLimit(settings.login_max_echecs, settings.login_fenetre_s,
                             "Trop de tentatives de connexion depuis cette adresse ; réessayez dans {secondes} s.")
        state.login_limit = limit
    return limit


def _safe_next(value: Any) -> str:
    """Where to go after logging in: a path of this site only (never another origin)."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value[:500]


def _login_page(request: Request, *, csrf: str, message: str | None = None, status: int = 200,
                suivant: str = "/") -> HTMLResponse:
    html = render_template("connexion.html", css=assets.page_css(), csrf=csrf, message=message, suivant=suivant,
                           scripts=[f"{assets.own_prefix()}/session.js"])
    response = html_response(html, _settings(request), status_code=status, cache_control=PRIVATE_NO_STORE)
    response.set_cookie(CSRF_COOKIE, csrf, httponly=True, secure=secure_cookie(request), samesite="strict",
                        path="/")  # the login form always uses the double-submit cookie
    return response


@router.api_route("/connexion", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
async def connexion(request: Request) -> HTMLResponse:
    """The login form (an API token)."""
    known = request.cookies.get(CSRF_COOKIE)
    csrf = known if known and 20 <= len(known) <= 100 else secrets.token_urlsafe(32)
    return _login_page(request, csrf=csrf, suivant=_safe_next(request.query_params.get("suivant")))


@router.post("/connexion", response_class=HTMLResponse, include_in_schema=False)
async def connexion_post(request: Request) -> Response:
    """Check the token, open a session, set the cookie, go back where the user was."""
    limit = _login_limit(request)
    client = request.client.host if request.client else "?"
    limit.check(client)  # 429 with Retry-After after too many failures from this address
    form = await request.form()
    suivant = _safe_next(form.get("suivant"))
    await check_form(request, form.get("csrf"), session=False)  # a login form: the double-submit cookie
    token = str(form.get("jeton") or "").strip()
    hours = _settings(request).session_hours
    opened = None
    if tokens.looks_like_api_token(token) and _settings(request).api_tokens_enabled():
        opened = await run_write(request, lambda conn: tokens.create_session(conn, token, hours=hours))
    if opened is None:
        limit.failed(client)
        return _login_page(request, csrf=secrets.token_urlsafe(32), status=401, suivant=suivant,
                           message="Jeton invalide, expiré ou révoqué.")
    limit.succeeded(client)
    cookie, _session = opened
    response = RedirectResponse(suivant, status_code=303, headers={"Cache-Control": "no-store"})
    response.set_cookie(SESSION_COOKIE, cookie, max_age=int(hours * 3600), httponly=True,
                        secure=secure_cookie(request), samesite="lax", path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.api_route("/deconnexion", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
async def deconnexion_page(request: Request, principal: Annotated[Principal, Depends(current_principal)]) -> Response:
    """A logout confirmation form (logging out changes state: POST only)."""
    session = getattr(request.state, "session", None)
    if session is None:
        return RedirectResponse("/connexion", status_code=303, headers={"Cache-Control": "no-store"})
    html = render_template("deconnexion.html", css=assets.page_css(), csrf=session.csrf, principal=principal,
                           scripts=[f"{assets.own_prefix()}/session.js"])
    return html_response(html, _settings(request), cache_control=PRIVATE_NO_STORE)


@router.post("/deconnexion", include_in_schema=False)
async def deconnexion(request: Request, _principal: Annotated[Principal, Depends(current_principal)]) -> Response:
    """Close the session (CSRF-checked) and clear the cookie."""
    form = await request.form()
    cookie = request.cookies.get(SESSION_COOKIE)
    if getattr(request.state, "session", None) is not None and cookie:
        await check_form(request, form.get("csrf"))
        await run_write(request, lambda conn: tokens.delete_session(conn, cookie))
    response = RedirectResponse("/", status_code=303, headers={"Cache-Control": "no-store"})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
