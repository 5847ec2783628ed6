"""CSRF protection of the write requests made by the pages with a session cookie.

A request authenticated by ``Authorization: Bearer`` cannot be forged by another site (browsers never add that
header on their own) and an anonymous request carries no authority. A request authenticated by the page-session
cookie must carry the session's synchronizer token in ``X-CSRF-Token`` (the pages read it from their JSON data
block); a cross-site form or ``fetch`` cannot know it.
"""

from __future__ import annotations

import hmac

from fastapi import Request

from gis.errors import Forbidden

CSRF_HEADER = "x-csrf-token"


def check_csrf(request: Request) -> None:
    """Raise :class:`gis.errors.Forbidden` when a cookie-session request lacks its CSRF token.

    Call it after the principal was resolved (:func:`api.auth.current_principal` keeps the session on
    ``request.state``).
    """
    if request.headers.get("authorization") is not None:
        return
    session = getattr(request.state, "session", None)
    if session is None:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent or not hmac.compare_digest(sent.encode(), str(session.csrf).encode()):
        raise Forbidden("Jeton anti-falsification (CSRF) manquant ou invalide : rechargez la page et recommencez.")


def csrf_token(request: Request) -> str | None:
    """The CSRF token of the request's page session, to embed in a page (None without a session)."""
    session = getattr(request.state, "session", None)
    return None if session is None else str(session.csrf)
