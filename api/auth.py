"""Who makes the request: the :class:`gis.access.Principal` of an API token, an OIDC JWT or a page session.

Dependencies for routers:

- :func:`current_principal` — the principal (the anonymous public when no credentials are presented). Credentials
  that are presented but invalid, expired or revoked are refused with 401 (never silently downgraded), except a stale
  page-session cookie, which is the public (the pages then offer to log in again);
- :func:`require_role` ``(*roles)`` — the principal, or 401/403 (domain errors, mapped in :mod:`api.errors`);
- :func:`current_visibility` — what the read layers may return for this request (:class:`gis.access.Visibility`);
- :func:`cache_headers` — ``Cache-Control``/``Vary`` for an answer computed with a visibility: public answers are
  shared and cached, the others are ``private`` and never enter the response cache.

Nothing here caches the validity of a credential beyond the request: a revoked token is refused at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from api.responses import PRIVATE_CACHE, cache_headers
from gis import tokens
from gis.access import ANONYMOUS, PUBLIC_VISIBILITY, Principal, Role, Visibility, check_role, visibility
from gis.db import Conn, checked_getconn
from gis.errors import NotAuthenticated
from gis.settings import Settings

__all__ = ["PRIVATE_CACHE", "SESSION_COOKIE", "cache_headers", "current_principal", "current_visibility",
           "request_visibility", "require_role"]

#: Name of the page-session cookie (the response cache never answers a request carrying it).
SESSION_COOKIE = "ror_gis_session"

_BAD_TOKEN = "Jeton d'accès invalide, expiré ou révoqué."


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _with_conn(request: Request, work: Callable[[Conn], Any]) -> Any:
    """Run ``work(conn)`` in a worker thread with a pooled connection taken behind the gate."""
    state = request.app.state

    def run() -> Any:
        conn = checked_getconn(state.pool)
        try:
            return work(conn)
        finally:
            state.pool.putconn(conn)

    async with state.gate.slot():
        return await run_in_threadpool(run)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or len(value) > 8192:
        raise NotAuthenticated("En-tête Authorization invalide : « Bearer <jeton> » attendu.")
    return value


async def _from_bearer(request: Request, token: str) -> Principal:
    settings = _settings(request)
    if tokens.looks_like_jwt(token) and settings.oidc_enabled():
        from api import oidc  # imported only when OIDC is configured

        return await oidc.principal_for_jwt(request, token)
    if not settings.api_tokens_enabled() or not tokens.looks_like_api_token(token):
        raise NotAuthenticated(_BAD_TOKEN)
    principal: Principal | None = await _with_conn(request, lambda conn: tokens.principal_for_token(conn, token))
    if principal is None:
        raise NotAuthenticated(_BAD_TOKEN)
    return principal


async def _from_session(request: Request, cookie: str) -> Principal:
    found = await _with_conn(request, lambda conn: tokens.session(conn, cookie))
    if found is None:
        return ANONYMOUS
    request.state.session = found
    principal: Principal = found.principal
    return principal


async def current_principal(request: Request) -> Principal:
    """The principal of ``request``: from ``Authorization: Bearer``, else the session cookie, else anonymous.

    Raises
    ------
    NotAuthenticated
        For a malformed ``Authorization`` header or an invalid, expired or revoked token (401).
    """
    known = getattr(request.state, "principal", None)
    if isinstance(known, Principal):
        return known
    token = _bearer(request)
    principal = ANONYMOUS
    if token is not None:
        principal = await _from_bearer(request, token)
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            principal = await _from_session(request, cookie)
    request.state.principal = principal
    return principal


def require_role(*roles: Role) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency giving the principal when it has one of ``roles`` (administrators always pass).

    Anonymous → 401 (:class:`gis.errors.NotAuthenticated`); another role → 403 (:class:`gis.errors.Forbidden`).
    ``require_role()`` with no role admits administrators only.
    """

    async def dependency(request: Request) -> Principal:
        principal = await current_principal(request)
        check_role(principal, *roles)
        return principal

    return dependency


async def current_visibility(request: Request) -> Visibility:
    """The :class:`gis.access.Visibility` of the request's principal (public when anonymous)."""
    principal = await current_principal(request)
    if not principal.authenticated:
        return PUBLIC_VISIBILITY
    return visibility(principal)


def request_visibility(request: Request) -> Visibility:
    """The visibility of a request whose principal was already resolved (every route taking ``get_conn`` has it).

    Fails closed: a request whose principal is unknown here sees what the public sees.
    """
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal) or not principal.authenticated:
        return PUBLIC_VISIBILITY
    return visibility(principal)
