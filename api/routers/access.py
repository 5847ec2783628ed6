"""Who am I, a restricted read, and the login pages (``/connexion``, ``/deconnexion``) with their session cookie.

The login form takes an API token and opens a page session (server-side, table ``web_session``): the cookie holds a
random value (HttpOnly, SameSite=Lax, Secure unless on plain http://localhost, see ``ROR_GIS_COOKIE_SECURE``). Forms
are protected from cross-site requests by a synchronizer token: the session's own for a connected user, else a
double-submit cookie (``ror_gis_csrf``, SameSite=Strict) matched against the form field.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.auth import SESSION_COOKIE, current_principal, require_role
from api.deps import get_conn
from api.html import html_response
from api.params import OfferId
from api.responses import PRIVATE_CACHE
from api.schemas import ERROR_RESPONSES
from gis import tokens
from gis.access import Principal, Role, check_can_edit_etablissement, visibility
from gis.db import Conn, checked_getconn
from gis.errors import Forbidden
from gis.layers import gestion
from gis.settings import Settings
from web_map import assets
from web_map.page import render_template
from web_map.security import PRIVATE_NO_STORE

router = APIRouter(tags=["accès"])

CSRF_COOKIE = "ror_gis_csrf"
_LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]"}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.get("/api/v1/moi", summary="Rôle et périmètre de l'appelant", responses=ERROR_RESPONSES)
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
            responses=ERROR_RESPONSES)
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


def secure_cookie(request: Request) -> bool:
    """``Secure`` flag of our cookies: always, except on plain http to a loopback host (``cookie_secure=auto``)."""
    mode = _settings(request).cookie_secure
    if mode != "auto":
        return mode == "oui"
    return not (request.url.scheme == "http" and (request.url.hostname or "") in _LOOPBACK)


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
                        path="/")
    return response


def _csrf_for(request: Request) -> str:
    known = request.cookies.get(CSRF_COOKIE)
    if known and 20 <= len(known) <= 100:
        return known
    return secrets.token_urlsafe(32)


@router.get("/connexion", response_class=HTMLResponse, include_in_schema=False)
async def connexion(request: Request) -> HTMLResponse:
    """The login form (an API token)."""
    return _login_page(request, csrf=_csrf_for(request), suivant=_safe_next(request.query_params.get("suivant")))


def check_csrf(request: Request, submitted: Any) -> None:
    """Raise unless the form's token matches: the session's (connected) or the double-submit cookie.

    Raises
    ------
    Forbidden
        Missing or wrong token (403).
    """
    session = getattr(request.state, "session", None)
    expected = session.csrf if session is not None else request.cookies.get(CSRF_COOKIE)
    if not isinstance(submitted, str) or not expected or not hmac.compare_digest(submitted, expected):
        raise Forbidden("Formulaire expiré ou envoyé depuis un autre site : rechargez la page et recommencez.")


async def _write(request: Request, work: Any) -> Any:
    """Run ``work(conn)`` in one read-write transaction on a pooled connection (behind the gate)."""
    state = request.app.state

    def run() -> Any:
        conn = checked_getconn(state.pool)
        try:
            with conn.transaction():
                conn.execute("SET TRANSACTION READ WRITE")
                return work(conn)
        finally:
            state.pool.putconn(conn)

    async with state.gate.slot():
        return await run_in_threadpool(run)


@router.post("/connexion", response_class=HTMLResponse, include_in_schema=False)
async def connexion_post(request: Request) -> Response:
    """Check the token, open a session, set the cookie, go back where the user was."""
    form = await request.form()
    suivant = _safe_next(form.get("suivant"))
    request.state.session = None  # a login form is checked against the double-submit cookie
    check_csrf(request, form.get("csrf"))
    token = str(form.get("jeton") or "").strip()
    hours = _settings(request).session_hours
    opened = None
    if tokens.looks_like_api_token(token) and _settings(request).api_tokens_enabled():
        opened = await _write(request, lambda conn: tokens.create_session(conn, token, hours=hours))
    if opened is None:
        return _login_page(request, csrf=secrets.token_urlsafe(32), status=401, suivant=suivant,
                           message="Jeton invalide, expiré ou révoqué.")
    cookie, _session = opened
    response = RedirectResponse(suivant, status_code=303, headers={"Cache-Control": "no-store"})
    response.set_cookie(SESSION_COOKIE, cookie, max_age=int(hours * 3600), httponly=True,
                        secure=secure_cookie(request), samesite="lax", path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/deconnexion", response_class=HTMLResponse, include_in_schema=False)
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
        check_csrf(request, form.get("csrf"))
        await _write(request, lambda conn: tokens.delete_session(conn, cookie))
    response = RedirectResponse("/", status_code=303, headers={"Cache-Control": "no-store"})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
