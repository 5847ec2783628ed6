"""OpenID Connect JWT bearer tokens (see :mod:`gis.oidc`): validated in a worker thread (the JWKS may be fetched)."""

from __future__ import annotations

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from gis import oidc
from gis.access import Principal
from gis.settings import Settings


async def principal_for_jwt(request: Request, token: str) -> Principal:
    """The principal of a valid JWT.

    Raises
    ------
    NotAuthenticated
        Invalid, expired or unverifiable token (401).
    """
    settings: Settings = request.app.state.settings
    return await run_in_threadpool(oidc.verify, token, settings)
