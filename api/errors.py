"""One table mapping errors to HTTP statuses and French messages, rendered as JSON (API) or HTML (pages).

Clients receive ``{"detail": <French message>, "code": <machine code>, ...}`` from the API, and the French HTML
error page from ``/`` and ``/cartes/*``; never a stack trace, SQL or server paths (those go to the log).
"""

from __future__ import annotations

import logging
import math
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from psycopg_pool import PoolTimeout
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.html import error_response
from gis.errors import (
    DatabaseUnavailable,
    DataNotLoaded,
    Forbidden,
    ImportFailed,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    RorGisError,
    Saturated,
    SourceUnavailable,
)
from gis.territories.editing import PreconditionMissing, StaleZone

log = logging.getLogger("ror_gis.api")

# error class -> (HTTP status, title of the HTML page)
STATUS_BY_ERROR: dict[type[RorGisError], tuple[int, str]] = {
    NotFound: (404, "Introuvable"),
    NotAuthenticated: (401, "Authentification requise"),
    Forbidden: (403, "Accès refusé"),
    StaleZone: (412, "Modification concurrente"),
    PreconditionMissing: (428, "En-tête If-Match requis"),
    RateLimited: (429, "Trop de demandes"),
    InvalidInput: (422, "Requête invalide"),
    PayloadTooLarge: (413, "Fichier trop volumineux"),
    DataNotLoaded: (503, "Données non chargées"),
    SourceUnavailable: (503, "Source indisponible"),
    ImportFailed: (422, "Import refusé"),
    Saturated: (503, "Service saturé"),
    DatabaseUnavailable: (503, "Service momentanément indisponible"),
}
RETRY_AFTER_S = {Saturated: "2", DatabaseUnavailable: "5"}
# RFC 6750: a 401 names the scheme the client should use.
WWW_AUTHENTICATE = 'Bearer realm="ror-gis"'

_HTTP_MESSAGES = {
    404: ("Introuvable", "Ressource introuvable."),
    405: ("Méthode non autorisée", "Méthode non autorisée pour cette adresse."),
    413: ("Fichier trop volumineux", "Fichier trop volumineux."),
}
_DB_DOWN = DatabaseUnavailable("La base de données ne répond pas ; réessayez dans quelques instants.")
_INTERNAL = "Erreur interne du service. L'incident a été journalisé."
_FIELD_NAMES = {"query": "paramètre", "path": "chemin", "body": "corps", "header": "en-tête"}
_HTML_PREFIXES = ("/cartes", "/connexion", "/deconnexion", "/signalements")
_LITERAL_HELP = {"fond": "Fond de carte inconnu : valeurs permises plan-ign, osm ou aucun"}
# What a malformed value of these parameters should look like (pattern mismatch).
_PATTERN_HELP = {
    "insee": "code INSEE mal formé (5 caractères, ex. 93066, 2A004)",
    "finess": "numéro FINESS mal formé (9 caractères, ex. 750000523)",
    "code": "code de département mal formé (ex. 93, 2A, 974)",
    "departement": "code de département mal formé (ex. 93, 2A, 974)",
    "offer_id": "identifiant d'offre mal formé",
    "name": "nom de nomenclature mal formé",
    "email": "adresse électronique invalide (ex. prenom.nom@exemple.fr), ou laissez le champ vide",
}


def wants_html(request: Request) -> bool:
    """Pages (``/`` and ``/cartes/*``) answer errors as HTML; everything else as JSON."""
    path = request.url.path
    return path == "/" or any(path == p or path.startswith(p + "/") for p in _HTML_PREFIXES)


def status_for(exc: RorGisError) -> tuple[int, str]:
    """The (status, page title) of a domain error, from the most specific class in the table."""
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 400, "Requête invalide"


def _error_headers(exc: RorGisError) -> dict[str, str] | None:
    if isinstance(exc, NotAuthenticated):
        return {"WWW-Authenticate": WWW_AUTHENTICATE, "Cache-Control": "no-store"}
    if isinstance(exc, Forbidden):
        return {"Cache-Control": "no-store"}
    if isinstance(exc, RateLimited):
        return {"Retry-After": str(exc.retry_after), "Cache-Control": "no-store"}
    for cls, seconds in RETRY_AFTER_S.items():
        if isinstance(exc, cls):
            return {"Retry-After": seconds}
    return None


def render(request: Request, status: int, title: str, body: dict[str, Any],
           headers: dict[str, str] | None = None) -> Response:
    """The error answer in the form the client expects (HTML page or JSON body)."""
    if wants_html(request):
        response = error_response(request.app.state.settings, status_code=status, title=title,
                                  message=str(body["detail"]))
        if headers:
            response.headers.update(headers)
        return response
    return JSONResponse(body, status_code=status, headers=headers)


def _validation_message(err: Any) -> str:
    loc = [str(p) for p in err.get("loc", ())]
    where = _FIELD_NAMES.get(loc[0], loc[0]) if loc else "valeur"
    name = loc[-1] if len(loc) > 1 else ""
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        what = "obligatoire"
    elif kind.startswith(("int", "float")):
        what = "doit être un nombre entier" if kind.startswith("int") else "doit être un nombre"
    elif kind in _BOUNDS and _is_nan(err.get("input")):
        what = "doit être un nombre"
    elif kind in _BOUNDS:
        text, key = _BOUNDS[kind]
        what = f"{text} {_french_number(ctx.get(key))}"
    elif kind in ("literal_error", "enum"):
        what = _LITERAL_HELP.get(name) or f"valeurs permises : {_french_or(ctx.get('expected', ''))}"
    elif kind == "string_too_short":
        what = "ne doit pas être vide" if ctx.get("min_length") == 1 else f"au moins {ctx.get('min_length')} caractères"
    elif kind == "string_too_long":
        what = f"trop long (au plus {ctx.get('max_length')} caractères)"
    elif kind in ("string_pattern_mismatch", "value_error"):
        what = _PATTERN_HELP.get(name, "format invalide")
    elif kind.startswith("bool"):
        what = "doit valoir true ou false"
    else:
        what = "valeur invalide"
    return f"{where} « {name} » : {what}".strip()


_BOUNDS = {"greater_than_equal": ("doit être supérieur ou égal à", "ge"),
           "greater_than": ("doit être strictement supérieur à", "gt"),
           "less_than_equal": ("doit être inférieur ou égal à", "le"),
           "less_than": ("doit être strictement inférieur à", "lt")}


def _is_nan(value: Any) -> bool:
    """A query's ``nan`` (pydantic accepts it as a float, then every bound refuses it)."""
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def _french_number(value: Any) -> str:
    """A bound as French writes it: ``60.0`` → ``60``, ``0.5`` → ``0,5``."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value).replace(".", ",")
    return str(value)


def _french_or(expected: str) -> str:
    """Pydantic's "'a', 'b' or 'c'" in French."""
    return expected.replace("' or '", "' ou '")


def install(app: FastAPI) -> None:
    """Register the exception handlers on ``app``."""

    @app.exception_handler(RorGisError)
    async def domain_error(request: Request, exc: RorGisError) -> Response:
        status, title = status_for(exc)
        body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
        if exc.details is not None:
            body["details"] = exc.details
        return render(request, status, title, body, _error_headers(exc))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        messages = [_validation_message(e) for e in exc.errors()]
        body = {"detail": "Requête invalide : " + " ; ".join(messages), "code": "saisie_invalide",
                "details": messages}
        return render(request, 422, "Requête invalide", body)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        title, default = _HTTP_MESSAGES.get(exc.status_code, ("Erreur", "Erreur."))
        message = exc.detail if isinstance(exc.detail, str) and exc.status_code not in _HTTP_MESSAGES else default
        return render(request, exc.status_code, title, {"detail": message, "code": "http"},
                      getattr(exc, "headers", None))

    @app.exception_handler(psycopg.OperationalError)
    @app.exception_handler(PoolTimeout)
    async def database_down(request: Request, exc: Exception) -> Response:
        log.error("database unavailable: %s", exc)
        pool = getattr(request.app.state, "pool", None)
        if pool is not None:
            await run_in_threadpool(pool.check)  # drop the dead connections now, not at their next use
        return await domain_error(request, _DB_DOWN)

    @app.exception_handler(psycopg.DataError)
    async def bad_value(request: Request, exc: Exception) -> Response:
        # e.g. a number out of PostgreSQL's range that validation let through: the input is at fault.
        log.warning("value refused by the database: %s", exc)
        return await domain_error(request, InvalidInput("Valeur hors des limites acceptées."))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error", exc_info=exc)
        return render(request, 500, "Erreur interne", {"detail": _INTERNAL, "code": "erreur_interne"})
