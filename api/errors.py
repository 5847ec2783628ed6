"""One table mapping domain exceptions to HTTP statuses, and the handlers that apply it.

Clients receive ``{"detail": <French message>, "code": <machine code>, ...}``; never a stack trace.
"""

from __future__ import annotations

import logging

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg_pool import PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from gis.errors import DataNotLoaded, ImportFailed, InvalidInput, NotFound, RorGisError, SourceUnavailable

log = logging.getLogger("ror_gis.api")

STATUS_BY_ERROR: dict[type[RorGisError], int] = {
    NotFound: 404,
    InvalidInput: 422,
    DataNotLoaded: 503,
    SourceUnavailable: 503,
    ImportFailed: 422,
}

_HTTP_MESSAGES = {
    404: "Ressource introuvable.",
    405: "Méthode non autorisée pour cette adresse.",
    413: "Fichier trop volumineux.",
}

_FIELD_NAMES = {"query": "paramètre", "path": "chemin", "body": "corps", "header": "en-tête"}


def _status_for(exc: RorGisError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 400


def _validation_message(err: dict) -> str:
    loc = [str(p) for p in err.get("loc", ())]
    where = _FIELD_NAMES.get(loc[0], loc[0]) if loc else "valeur"
    name = loc[-1] if len(loc) > 1 else ""
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        what = "obligatoire"
    elif kind.startswith("int") or kind.startswith("float"):
        what = "doit être un nombre"
    elif kind in ("greater_than_equal", "greater_than"):
        what = f"doit être supérieur ou égal à {ctx.get('ge', ctx.get('gt'))}"
    elif kind in ("less_than_equal", "less_than"):
        what = f"doit être inférieur ou égal à {ctx.get('le', ctx.get('lt'))}"
    elif kind == "literal_error" or kind == "enum":
        what = f"valeurs permises : {ctx.get('expected', '')}"
    elif kind == "string_too_short":
        what = "ne doit pas être vide" if ctx.get("min_length") == 1 else f"au moins {ctx.get('min_length')} caractères"
    elif kind == "string_too_long":
        what = f"trop long (au plus {ctx.get('max_length')} caractères)"
    elif kind == "string_pattern_mismatch":
        what = "format invalide"
    else:
        what = "valeur invalide"
    return f"{where} « {name} » : {what}".strip()


def install(app: FastAPI) -> None:
    """Register the exception handlers on ``app``."""

    @app.exception_handler(RorGisError)
    async def domain_error(_request: Request, exc: RorGisError) -> JSONResponse:
        body = {"detail": exc.message, "code": exc.code}
        if exc.details is not None:
            body["details"] = exc.details
        return JSONResponse(body, status_code=_status_for(exc))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        messages = [_validation_message(e) for e in exc.errors()]
        return JSONResponse(
            {"detail": "Requête invalide : " + " ; ".join(messages), "code": "saisie_invalide",
             "details": messages},
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) and exc.status_code not in _HTTP_MESSAGES else (
            _HTTP_MESSAGES.get(exc.status_code, "Erreur.")
        )
        return JSONResponse({"detail": message, "code": "http"}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(psycopg.OperationalError)
    @app.exception_handler(PoolTimeout)
    async def database_down(_request: Request, exc: Exception) -> JSONResponse:
        log.error("database unavailable: %s", exc)
        return JSONResponse(
            {"detail": "La base de données ne répond pas ; réessayez dans quelques instants.",
             "code": "base_indisponible"},
            status_code=503,
        )

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return JSONResponse(
            {"detail": "Erreur interne du service. L'incident a été journalisé.", "code": "erreur_interne"},
            status_code=500,
        )
