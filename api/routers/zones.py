"""Territory editing: read and replace the zone d'intervention of an offer, its audit trail, the local overrides.

``GET /api/v1/offres/{id}/zone`` answers the zone with its ``ETag``; ``PUT`` replaces it when ``If-Match`` carries
that ETag (412 otherwise, 428 without it). Only administrators and the référents of the offer's EG may edit; a
sensitive unit the caller may not see answers 404 like an unknown offer. Answers are never cached (``no-store``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.auth import current_principal, require_role
from api.csrf import check_header
from api.deps import get_primary_conn
from api.params import OfferId
from api.schemas import AUTH_ERRORS, BODY_ERRORS, ERROR_RESPONSES, content
from gis.access import Principal, Role, can_edit_etablissement, check_can_edit_etablissement, sees_sensitive_units
from gis.db import Conn
from gis.errors import NotFound
from gis.fhir_out.overrides import overrides_bundle
from gis.territories import editing
from gis.territories.zone_checks import MAX_DIVISIONS

router = APIRouter(prefix="/api/v1", tags=["zones"], responses=ERROR_RESPONSES)

NO_STORE = {"Cache-Control": "no-store, private", "Vary": "Authorization, Cookie"}
PRECONDITIONS: dict[int | str, dict[str, Any]] = {
    412: {"description": "La zone a changé depuis sa lecture (If-Match périmé) : relire la zone",
          "content": {"application/json": {}}},
    428: {"description": "En-tête If-Match obligatoire", "content": {"application/json": {}}},
}


class DivisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type_division: Literal["1", "2", "3"] = Field(description="3 commune, 2 département, 1 région (TRE_R201)")
    code: str = Field(pattern=r"^(?:[0-9]{2,5}|2[ABab][0-9]{0,3})$", description="Code INSEE actuel",
                      examples=["93066"])


class ZoneIn(BaseModel):
    """The complete new zone (PUT replaces it): divisions and/or one polygon (GeoJSON, WGS84)."""

    model_config = ConfigDict(extra="forbid")

    divisions: list[DivisionIn] = Field(default_factory=list, max_length=MAX_DIVISIONS)
    polygone: dict[str, Any] | None = Field(
        default=None, description="GeoJSON Polygon ou MultiPolygon (ou Feature / FeatureCollection), en WGS84")
    commentaire: str | None = Field(default=None, max_length=1000)
    corriger_geometrie: bool = Field(default=False, description="Corriger un polygone invalide (ST_MakeValid)")


class ZoneOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    offre: dict[str, Any]
    divisions: list[dict[str, Any]]
    polygone: dict[str, Any] | None
    etag: str
    surcharge: dict[str, Any] | None


def _visible_ref(conn: Conn, offer_id: str, principal: Principal) -> editing.OfferRef:
    ref = editing.offer_ref(conn, offer_id)
    if ref.unite_sensible and not (sees_sensitive_units(principal) or can_edit_etablissement(principal, ref.finess)):
        raise NotFound(f"Aucune offre ne porte l'identifiant {offer_id}.")
    return ref


def _answer(state: dict[str, Any], principal: Principal, ref: editing.OfferRef) -> JSONResponse:
    body = {**state, "modifiable": can_edit_etablissement(principal, ref.finess)}
    return JSONResponse(body, headers={**NO_STORE, "ETag": f'"{state["etag"]}"'})


@router.get("/offres/{offer_id:path}/zone/historique", summary="Historique des modifications de la zone",
            responses=AUTH_ERRORS)
def zone_history(
    offer_id: OfferId,
    conn: Annotated[Conn, Depends(get_primary_conn)],
    principal: Annotated[Principal, Depends(require_role(Role.REFERENT))],
) -> JSONResponse:
    """Who changed the zone, when, from what to what (newest first): the référents of the EG and administrators."""
    ref = _visible_ref(conn, offer_id, principal)
    check_can_edit_etablissement(principal, ref.finess)
    return JSONResponse({"offre": {"id": ref.ror_id, "nom": ref.nom}, "modifications": editing.history(conn, ref)},
                        headers=NO_STORE)


@router.get("/offres/{offer_id:path}/zone", response_model=ZoneOut, summary="Zone d'intervention d'une offre (ETag)",
            responses={401: AUTH_ERRORS[401]})
def read_zone(
    offer_id: OfferId,
    conn: Annotated[Conn, Depends(get_primary_conn)],
    principal: Annotated[Principal, Depends(current_principal)],
) -> JSONResponse:
    """The declared divisions (with names), the polygon, the local override if any, `modifiable` for the caller, and
    the `ETag` to send back in `If-Match` when editing."""
    ref = _visible_ref(conn, offer_id, principal)
    return _answer(editing.zone_state(conn, ref), principal, ref)


@router.put("/offres/{offer_id:path}/zone", response_model=ZoneOut, summary="Modifier la zone d'intervention",
            responses={**AUTH_ERRORS, **PRECONDITIONS, **BODY_ERRORS})
async def write_zone(
    request: Request,
    offer_id: OfferId,
    body: Annotated[ZoneIn, Body()],
    conn: Annotated[Conn, Depends(get_primary_conn)],
    principal: Annotated[Principal, Depends(require_role(Role.REFERENT))],
    if_match: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    """Replace the zone (communes, départements, régions and/or a GeoJSON polygon). The coverage of the offer is
    recomputed at once and the data version bumped (cached answers change). An imported (ROR) zone becomes a local
    override, listed by `GET /api/v1/zones/surcharges`."""
    check_header(request)
    name = principal.subject or "inconnu"
    if principal.nom:
        name = f"{principal.nom} ({name})"
    edit = editing.ZoneEdit(divisions=[(d.type_division, d.code) for d in body.divisions], polygone=body.polygone,
                            commentaire=body.commentaire, corriger_geometrie=body.corriger_geometrie)

    def work() -> tuple[dict[str, Any], editing.OfferRef]:
        ref = _visible_ref(conn, offer_id, principal)
        check_can_edit_etablissement(principal, ref.finess)
        return editing.save_zone(conn, ref, edit, if_match=if_match, auteur=name, role=principal.role.value), ref

    state, ref = await run_in_threadpool(work)
    if state["modifie"]:
        request.app.state.data.invalidate()  # this process answers fresh at once; the others on the NOTIFY
    return _answer(state, principal, ref)


@router.get("/zones/surcharges", summary="Zones modifiées localement (surcharges de la zone ROR)",
            responses={**AUTH_ERRORS, **content("application/json", "application/fhir+json",
                                                 description="Surcharges (format=json, ou fhir : Bundle)")})
def list_overrides(
    request: Request,
    conn: Annotated[Conn, Depends(get_primary_conn)],
    principal: Annotated[Principal, Depends(require_role(Role.REFERENT))],
    format: Annotated[Literal["json", "fhir"], Query()] = "json",
) -> JSONResponse:
    """Offers whose zone was edited here while it comes from the ROR: the local zone, the ROR's, who and when, and the
    last import conflict. `format=fhir`: a Bundle of partial HealthcareService for the ROR support."""
    scope = None if principal.role is Role.ADMINISTRATEUR else principal.etablissements
    rows = editing.overrides(conn, scope)
    if format == "fhir":
        return JSONResponse(overrides_bundle(rows, base_url=str(request.base_url)), media_type="application/fhir+json",
                            headers=NO_STORE)
    return JSONResponse({"surcharges": rows}, headers=NO_STORE)
