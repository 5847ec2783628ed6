"""OpenID Connect: JWTs of a provider validated against its JWKS and mapped to a principal.

The provider may be Pro Santé Connect, ProConnect…; the mapping to a :class:`gis.access.Principal` comes from the
settings (``ROR_GIS_OIDC_*``).

Validation: signature by a key of the JWKS (``kid``), an asymmetric algorithm from ``oidc_algorithms`` (never ``none``
or a shared secret), ``exp`` and ``sub`` required, ``iss`` and ``aud`` checked when configured, 30 s of clock leeway.
The JWKS is fetched over HTTP and kept ``oidc_jwks_cache_s`` seconds; an unknown ``kid`` fetches it again (key
rotation), at most once per ``oidc_jwks_cooldown_s`` seconds (a flood of forged ``kid`` values cannot hammer the
provider). Mapping, failing closed: a role claim value that is not in ``oidc_role_map`` (nor a role name) is the
public; the scope claim keeps well-formed FINESS numbers only; habilitation needs a clear true.
"""

from __future__ import annotations

import threading
from typing import Any

import jwt

from gis.access import Principal, Role, parse_flag, parse_role
from gis.errors import NotAuthenticated
from gis.identifiers import FINESS_RE
from gis.settings import Settings

__all__ = ["principal_from_claims", "role_map", "verify"]

_ASYMMETRIC = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
_RANK = {Role.PUBLIC: 0, Role.PROFESSIONNEL: 1, Role.REFERENT: 2, Role.ADMINISTRATEUR: 3}
_clients: dict[tuple[str, float, float], jwt.PyJWKClient] = {}
_lock = threading.Lock()


def role_map(settings: Settings) -> dict[str, Role]:
    """Return claim value → role from ``oidc_role_map`` (``value=role`` pairs; unknown roles dropped)."""
    out: dict[str, Role] = {}
    for pair in settings.oidc_role_map.split(","):
        value, sep, role = pair.partition("=")
        parsed = parse_role(role)
        if sep and value.strip() and parsed is not Role.PUBLIC:
            out[value.strip()] = parsed
    return out


def _values(claim: Any) -> list[str]:
    if isinstance(claim, str):
        return [v for v in claim.replace(",", " ").split() if v]
    if isinstance(claim, list):
        return [v for v in claim if isinstance(v, str)]
    return []


def principal_from_claims(claims: dict[str, Any], settings: Settings) -> Principal:
    """Return the principal of validated ``claims`` (the most trusted mapped role; public when none maps)."""
    mapping = role_map(settings)
    role = Role.PUBLIC
    for value in _values(claims.get(settings.oidc_role_claim)):
        candidate = mapping.get(value) or parse_role(value)
        if _RANK[candidate] > _RANK[role]:
            role = candidate
    scope = frozenset(v.upper() for v in _values(claims.get(settings.oidc_scope_claim)) if FINESS_RE.match(v.upper()))
    nom = claims.get("name") or claims.get("preferred_username")
    return Principal(
        role=role,
        subject=f"oidc:{claims['sub']}",
        etablissements=scope if role is Role.REFERENT else frozenset(),
        habilite_sensible=parse_flag(claims.get(settings.oidc_sensible_claim)),
        nom=str(nom)[:200] if nom else None,
        source="oidc",
    )


def _client(settings: Settings) -> jwt.PyJWKClient:
    assert settings.oidc_jwks_url
    key = (settings.oidc_jwks_url, settings.oidc_jwks_cache_s, settings.oidc_jwks_cooldown_s)
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = jwt.PyJWKClient(settings.oidc_jwks_url, cache_jwk_set=settings.oidc_jwks_cache_s > 0,
                                     lifespan=max(settings.oidc_jwks_cache_s, 1), timeout=5,
                                     cooldown_duration=settings.oidc_jwks_cooldown_s)
            _clients[key] = client
    return client


def verify(token: str, settings: Settings) -> Principal:
    """Validate a JWT against the provider's JWKS and return its principal.

    Raises
    ------
    NotAuthenticated
        Bad signature, unknown key, expired, wrong issuer or audience, disallowed algorithm, JWKS unreachable.
    """
    algorithms = [a for a in settings.oidc_algorithms.split() if a in _ASYMMETRIC]
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") not in algorithms:
            raise NotAuthenticated("Jeton OpenID Connect refusé : algorithme de signature non accepté.")
        key = _client(settings).get_signing_key_from_jwt(token)
        claims: dict[str, Any] = jwt.decode(
            token, key.key, algorithms=algorithms, audience=settings.oidc_audience, issuer=settings.oidc_issuer,
            leeway=30, options={"require": ["exp", "sub"], "verify_aud": settings.oidc_audience is not None},
        )
    except jwt.PyJWKClientConnectionError as exc:
        raise NotAuthenticated("Jeton OpenID Connect non vérifiable : fournisseur d'identité injoignable.") from exc
    except jwt.ExpiredSignatureError as exc:
        raise NotAuthenticated("Jeton OpenID Connect expiré.") from exc
    except (jwt.PyJWTError, ValueError) as exc:
        raise NotAuthenticated("Jeton OpenID Connect invalide.") from exc
    return principal_from_claims(claims, settings)
