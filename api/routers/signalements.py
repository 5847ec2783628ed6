"""Anomaly reports: sent by anyone (rate-limited), listed and processed by administrators and référents.

``POST /api/v1/signalements`` accepts anonymous reports; with ``Authorization: Bearer`` the sender is recorded (and may
report a sensitive unit it sees). A page session cookie is not used here: the report form is public, and ignoring the
cookie means a cross-site form cannot act under a logged-in user's name. Listing, reading and processing require the
administrator role (every report) or the référent role (the reports about the EGs of its scope); cookie sessions must
then send their CSRF token (``X-CSRF-Token``, see :func:`api.csrf.check_header`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import PRIVATE_CACHE, current_principal, require_role
from api.csrf import check_header
from api.deps import get_primary_conn
from api.params import FINESS_PATTERN
from api.schemas import AUTH_ERRORS, BODY_ERRORS, ERROR_RESPONSES, content
from gis import signalements
from gis.access import ANONYMOUS, Principal, Role, sees_sensitive_units
from gis.db import Conn
from gis.signalements import export

router = APIRouter(prefix="/api/v1", tags=["signalements"], responses=ERROR_RESPONSES)

Categorie = Literal["coordonnees", "zone", "fermeture", "activites", "localisation", "nom", "doublon", "autre"]
Statut = Literal["nouveau", "en_cours", "corrige", "rejete"]
FHIR_JSON = "application/fhir+json"


class SignalementIn(BaseModel):
    """A report: what it is about, what is wrong, optionally how to reach the sender."""

    model_config = ConfigDict(extra="forbid")

    cible_type: Literal["offre", "etablissement"] = Field(description="offre (HealthcareService) ou etablissement (EG)")
    cible: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z._/|-]{1,64}$",
                       description="Identifiant ROR de l'offre, ou numéro FINESS de l'établissement")
    categorie: Categorie = Field(description="Nature de l'anomalie")
    description: str = Field(min_length=5, max_length=4000, description="Ce qui est inexact, en quelques mots")
    email: str | None = Field(default=None, max_length=254, pattern=signalements.EMAIL_RE.pattern,
                              description="Courriel pour être recontacté (facultatif)")


class StatutIn(BaseModel):
    """A status change, with a comment (required to reject)."""

    model_config = ConfigDict(extra="forbid")

    statut: Statut
    commentaire: str | None = Field(default=None, max_length=2000)


class SignalementCree(BaseModel):
    id: int
    statut: str
    created_at: str
    cible: dict[str, Any]
    message: str


class Categories(BaseModel):
    categories: list[dict[str, str]]
    statuts: list[dict[str, str]]


class Signalements(BaseModel):
    model_config = ConfigDict(extra="allow")

    total: int
    limit: int
    offset: int
    results: list[dict[str, Any]]


RATE_LIMITED: dict[int | str, dict[str, Any]] = {
    429: {"description": "Trop de signalements depuis ce poste (en-tête Retry-After, message en français)",
          "content": {"application/json": {}}},
}


async def bearer_principal(request: Request) -> Principal:
    """The principal of an ``Authorization: Bearer`` credential; anonymous otherwise (cookies are not read)."""
    if request.headers.get("authorization") is None:
        return ANONYMOUS
    return await current_principal(request)


def _scope(principal: Principal) -> frozenset[str] | None:
    """FINESS numbers whose reports ``principal`` processes (None: every report)."""
    return None if principal.role is Role.ADMINISTRATEUR else principal.etablissements


def _who(principal: Principal) -> tuple[str, str]:
    name = principal.subject or "anonyme"
    if principal.nom:
        name = f"{principal.nom} ({name})"
    return name, principal.role.value


@router.get("/signalements/categories", response_model=Categories, summary="Catégories et statuts des signalements")
def categories() -> JSONResponse:
    """The French list of what can be wrong, and the statuses a report goes through."""
    return JSONResponse(
        {"categories": [{"code": k, "libelle": v} for k, v in signalements.CATEGORIES.items()],
         "statuts": [{"code": k, "libelle": v} for k, v in signalements.STATUTS.items()]},
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.post("/signalements", status_code=201, response_model=SignalementCree, summary="Signaler une anomalie",
             responses={**RATE_LIMITED, **BODY_ERRORS, 401: AUTH_ERRORS[401]})
def create_report(
    request: Request,
    body: SignalementIn,
    conn: Annotated[Conn, Depends(get_primary_conn)],
    principal: Annotated[Principal, Depends(bearer_principal)],
) -> JSONResponse:
    """Anyone may report an anomaly on an offer or an establishment. Limited per client
    (`ROR_GIS_SIGNALEMENT_MAX` reports per `ROR_GIS_SIGNALEMENT_WINDOW_S` seconds; then 429 with `Retry-After`)."""
    settings = request.app.state.settings
    auteur, role = _who(principal)
    created = signalements.create(
        conn,
        signalements.NewReport(body.cible_type, body.cible, body.categorie, body.description, body.email),
        client=request.client.host if request.client else "inconnu",
        limit=signalements.RateLimit(settings.signalement_max, settings.signalement_window_s),
        see_sensitive=sees_sensitive_units(principal), auteur=auteur, role=role,
    )
    created["message"] = (f"Merci : votre signalement n° {created['id']} a été transmis aux référents de "
                          "l'établissement et au support régional du ROR.")
    return JSONResponse(created, status_code=201, headers={"Cache-Control": "no-store"})


ListFormat = Literal["json", "csv", "fhir"]


@router.get("/signalements", response_model=Signalements, summary="Signalements (administrateurs, référents)",
            responses={**AUTH_ERRORS, **content("application/json", "text/csv", FHIR_JSON,
                                                 description="Signalements (format=json, csv ou fhir)")})
def list_reports(
    request: Request,
    conn: Annotated[Conn, Depends(get_primary_conn)],
    principal: Annotated[Principal, Depends(require_role(Role.REFERENT))],
    statut: Annotated[Statut | None, Query()] = None,
    finess: Annotated[str | None, Query(pattern=FINESS_PATTERN)] = None,
    cible_type: Annotated[Literal["offre", "etablissement"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=signalements.MAX_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    format: Annotated[ListFormat, Query()] = "json",
) -> Response:
    """Newest first. Administrators see every report, référents those of the EGs of their scope.
    `format=csv` for the regional support team, `format=fhir` a Bundle of FHIR `Task` (national ROR API)."""
    filters = signalements.ListFilter(statut=statut, finess=finess.upper() if finess else None,
                                      cible_type=cible_type, limit=limit, offset=offset)
    page = signalements.list_reports(conn, _scope(principal), filters)
    if format == "csv":
        return Response(export.to_csv(page["results"]), media_type="text/csv; charset=utf-8",
                        headers={**PRIVATE_CACHE, "Content-Disposition": 'attachment; filename="signalements.csv"'})
    if format == "fhir":
        rows = page["results"]
        history = signalements.histories(conn, [r["id"] for r in rows])
        tasks = [export.task({**r, "historique": history.get(r["id"], [])}) for r in rows]
        return JSONResponse(export.bundle(tasks, base_url=str(request.base_url)), media_type=FHIR_JSON,
                            headers=PRIVATE_CACHE)
    return JSONResponse(page, headers=PRIVATE_CACHE)


ReportId = Annotated[int, Path(ge=1, le=2**62)]


@router.get("/signalements/{report_id:int}", summary="Un signalement et son historique",
            responses={**AUTH_ERRORS, **content("application/json", FHIR_JSON,
                                                 description="Le signalement (format=json ou fhir : Task)")})
def read_report(
    conn: Annotated[Conn, Depends(get_primary_conn)],
    principal: Annotated[Principal, Depends(require_role(Role.REFERENT))],
    report_id: ReportId,
    format: Annotated[Literal["json", "fhir"], Query()] = "json",
) -> JSONResponse:
    """A report outside the référent's scope answers 404, like an unknown one."""
    report = signalements.get_report(conn, report_id, _scope(principal))
    if format == "fhir":
        return JSONResponse(export.task(report), media_type=FHIR_JSON, headers=PRIVATE_CACHE)
    return JSONResponse(report, headers=PRIVATE_CACHE)


@router.patch("/signalements/{report_id:int}", summary="Changer le statut d'un signalement",
              responses={**AUTH_ERRORS, **BODY_ERRORS})
def update_report(
    request: Request,
    body: StatutIn,
    conn: Annotated[Conn, Depends(get_primary_conn)],
    principal: Annotated[Principal, Depends(require_role(Role.REFERENT))],
    report_id: ReportId,
) -> JSONResponse:
    """nouveau → en_cours → corrige or rejete (a rejection needs a comment); every change is kept in the history."""
    check_header(request)
    auteur, role = _who(principal)
    report = signalements.change_status(conn, report_id, body.statut, scope=_scope(principal), auteur=auteur,
                                        role=role, commentaire=body.commentaire)
    return JSONResponse(report, headers=PRIVATE_CACHE)
