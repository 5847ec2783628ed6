"""OpenID Connect: JWT bearer tokens validated against the provider's JWKS (see :mod:`api.auth`)."""

from __future__ import annotations

from fastapi import Request

from gis.access import Principal
from gis.errors import NotAuthenticated


async def principal_for_jwt(request: Request, token: str) -> Principal:
    """The principal of a valid JWT.

    Raises
    ------
    NotAuthenticated
        Always, until the validation is implemented.
    """
    raise NotAuthenticated("Jeton OpenID Connect refusé.")
