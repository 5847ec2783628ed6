"""FHIR R4 API under ``/fhir`` (``application/fhir+json``), in the ROR profiles' shape: see docs/fhir.md.

Errors are OperationOutcome resources with French text, converted here (not by the JSON error table).
Answers that depend only on the URL and the data are public (cached by the response cache); a search
with ignored unknown parameters is not (``Prefer: handling=strict`` turns them into a 400).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.auth import current_visibility
from api.deps import get_conn
from api.responses import cache_headers
from gis import __version__
from gis.access import PUBLIC_VISIBILITY, Visibility
from gis.db import Conn
from gis.errors import InvalidInput, NotFound, RorGisError
from gis.fhir_out import bundle, capability, service

log = logging.getLogger(__name__)
router = APIRouter(prefix="/fhir", tags=["fhir"], include_in_schema=False)
FHIR_JSON = "application/fhir+json"


def fhir_response(payload: dict[str, Any], status: int = 200, *, public: bool = True,
                  vis: Visibility = PUBLIC_VISIBILITY) -> Response:
    """A FHIR JSON answer (public and cacheable unless told otherwise, or computed for a non-public ``vis``)."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    headers = cache_headers(vis) if public and status == 200 else {"Cache-Control": "no-store"}
    return Response(body, status_code=status, media_type=FHIR_JSON, headers=headers)


def outcome(exc: RorGisError) -> Response:
    """The OperationOutcome answer of a domain error."""
    code = "not-found" if isinstance(exc, NotFound) else "invalid"
    return fhir_response(bundle.operation_outcome(exc.message, code), bundle.ISSUE_STATUS[code])


def base_url(request: Request) -> str:
    """Base of the ``fullUrl`` and links: the public URL when configured, else the request's."""
    public = getattr(request.app.state.settings, "public_url", None)
    root = public.rstrip("/") if public else str(request.base_url).rstrip("/")
    return f"{root}/fhir"


def _guarded(work: Callable[[], Response]) -> Response:
    try:
        return work()
    except RorGisError as exc:
        if not isinstance(exc, NotFound | InvalidInput):
            raise
        return outcome(exc)


@router.get("/metadata")
def metadata(request: Request) -> Response:
    """CapabilityStatement."""
    return fhir_response(capability.capability_statement(base_url(request), __version__))


@router.get("/SearchParameter/{lid}")
def search_parameter(lid: str) -> Response:
    """The ror-gis SearchParameter resources."""
    build = capability.CUSTOM.get(lid)
    if build is None:
        return outcome(NotFound(f"Ressource SearchParameter/{lid[:64]} introuvable."))
    return fhir_response(build())


@router.get("/{rtype}/{lid}")
def read(rtype: str, lid: str, vis: Annotated[Visibility, Depends(current_visibility)],
         conn: Annotated[Conn, Depends(get_conn)]) -> Response:
    """Read one resource by logical id (Organization, HealthcareService, Location)."""
    def work() -> Response:
        service.check_type(rtype)
        return fhir_response(service.read(conn, rtype, lid, vis), vis=vis)
    return _guarded(work)


@router.get("/{rtype}")
def search(rtype: str, request: Request, vis: Annotated[Visibility, Depends(current_visibility)],
           conn: Annotated[Conn, Depends(get_conn)]) -> Response:
    """Search (searchset Bundle); unknown parameters per ``Prefer: handling=strict|lenient``."""
    def work() -> Response:
        service.check_type(rtype)
        items = list(request.query_params.multi_items())
        result, query = service.search(conn, rtype, items, base_url(request), vis)
        if query.unknown:
            if _strict(request):
                raise InvalidInput("Paramètre(s) de recherche inconnu(s) : " + ", ".join(sorted(query.unknown))
                                   + " (Prefer: handling=strict).")
            return fhir_response(result, public=False)
        return fhir_response(result, vis=vis)
    return _guarded(work)


def _strict(request: Request) -> bool:
    prefer = request.headers.get("prefer", "")
    return any(part.strip().replace(" ", "") == "handling=strict" for part in prefer.split(","))
