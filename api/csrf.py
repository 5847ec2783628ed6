"""Cross-site request forgery protection of the HTML forms (synchronizer token, or double-submit cookie).

- A connected user (page session) posts the session's own token (``web_session.csrf``);
- anyone else posts the value of the ``ror_gis_csrf`` cookie (HttpOnly, SameSite=Strict), set with the form.

Usage in a router::

    token = await form_token(request)                 # put it in <input type="hidden" name="csrf">
    response = html_response(...); set_form_cookie(request, response, token)
    ...
    await check_form(request, form.get("csrf"))       # on POST: Forbidden (403) unless it matches

The JSON write requests of the pages (anomaly processing, zone editor) send the session's token in the
``X-CSRF-Token`` header instead: :func:`check_header` (a Bearer request cannot be forged by another site, an anonymous
one carries no authority), and :func:`session_token` gives the pages the token to embed.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import Request, Response

from api.auth import current_principal
from gis.errors import Forbidden
from gis.settings import Settings

__all__ = ["CSRF_COOKIE", "CSRF_HEADER", "check_form", "check_header", "form_token", "secure_cookie",
           "session_token", "set_form_cookie"]

CSRF_COOKIE = "ror_gis_csrf"
CSRF_HEADER = "x-csrf-token"
_LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]"}


def secure_cookie(request: Request) -> bool:
    """``Secure`` flag of our cookies: always, except on plain http to a loopback host (``cookie_secure=auto``)."""
    settings: Settings = request.app.state.settings
    if settings.cookie_secure != "auto":
        return settings.cookie_secure == "oui"
    return not (request.url.scheme == "http" and (request.url.hostname or "") in _LOOPBACK)


async def form_token(request: Request) -> str:
    """The token to put in a form: the session's for a connected user, else the double-submit cookie's (or new)."""
    await current_principal(request)
    session = getattr(request.state, "session", None)
    if session is not None:
        return str(session.csrf)
    known = request.cookies.get(CSRF_COOKIE)
    if known and 20 <= len(known) <= 100:
        return known
    return secrets.token_urlsafe(32)


def set_form_cookie(request: Request, response: Response, token: str) -> None:
    """Set the double-submit cookie (needed when the user has no page session)."""
    if getattr(request.state, "session", None) is None:
        response.set_cookie(CSRF_COOKIE, token, httponly=True, secure=secure_cookie(request), samesite="strict",
                            path="/")


async def check_form(request: Request, submitted: Any, *, session: bool = True) -> None:
    """Raise unless the form's token matches (``session=False``: the double-submit cookie only, e.g. a login form).

    Raises
    ------
    Forbidden
        Missing or wrong token (403).
    """
    found = None
    if session:
        await current_principal(request)
        found = getattr(request.state, "session", None)
    expected = found.csrf if found is not None else request.cookies.get(CSRF_COOKIE)
    if not isinstance(submitted, str) or not expected or not hmac.compare_digest(submitted, expected):
        raise Forbidden("Formulaire expiré ou envoyé depuis un autre site : rechargez la page et recommencez.")


def check_header(request: Request) -> None:
    """Raise :class:`gis.errors.Forbidden` when a request authenticated by the page-session cookie lacks the session's
    token in ``X-CSRF-Token`` (call it after the principal was resolved: the session is kept on ``request.state``)."""
    if request.headers.get("authorization") is not None:
        return
    session = getattr(request.state, "session", None)
    if session is None:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent or not hmac.compare_digest(sent.encode(), str(session.csrf).encode()):
        raise Forbidden("Jeton anti-falsification (CSRF) manquant ou invalide : rechargez la page et recommencez.")


def session_token(request: Request) -> str | None:
    """The CSRF token of the request's page session, to embed in a page (None without a session)."""
    session = getattr(request.state, "session", None)
    return None if session is None else str(session.csrf)
