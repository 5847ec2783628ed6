"""Response models (for validation of what we send and for the OpenAPI documentation)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class CommuneHit(BaseModel):
    insee: str = Field(examples=["93066"])
    nom: str = Field(examples=["Saint-Denis"])
    type: str = Field(examples=["commune"], description="commune ou arrondissement-municipal")
    codes_postaux: list[str] = Field(examples=[["93200", "93210", "93380"]])
    departement: str = Field(examples=["93"])
    departement_nom: str | None = Field(default=None, examples=["Seine-Saint-Denis"])
    population: int | None = Field(default=None, examples=[150000])
    parent_insee: str | None = Field(default=None, description="Commune parente d'un arrondissement")
    label: str = Field(examples=["Saint-Denis (93)"])
    correspondance: str | None = Field(
        default=None, description="Pour un code à 5 chiffres : code INSEE, code postal ou ancien code INSEE"
    )


class CommuneSearch(BaseModel):
    results: list[CommuneHit]


class Health(BaseModel):
    status: str
    database: str
    schema_version: int | None = None
    donnees: dict[str, Any] = {}
    version: str


class Feature(BaseModel):
    """A GeoJSON Feature (RFC 7946, WGS84)."""

    type: str = "Feature"
    id: str | None = None
    properties: dict[str, Any]
    geometry: dict[str, Any] | None
    bbox: list[float] | None = None


class FeatureCollection(BaseModel):
    type: str = "FeatureCollection"
    features: list[Feature]


class ErrorBody(BaseModel):
    """Every error of the API: a French message for people and a stable code for programs."""

    detail: str = Field(examples=["Aucune commune ne correspond au code INSEE 99999."])
    code: str = Field(examples=["introuvable"], description="introuvable, saisie_invalide, base_indisponible, "
                      "service_sature, donnees_absentes, http, erreur_interne…")
    details: list[str] | dict[str, Any] | None = Field(default=None, description="Précisions (une par problème)")


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description, "content": {"application/json": {}}}


def _html_error(description: str) -> dict[str, Any]:
    return {"description": description + " (page HTML en français)", "content": {"text/html": {}}}


# Documented on every data operation (router level).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: _error("Introuvable (code inconnu)"),
    422: _error("Paramètre invalide (message en français)"),
    503: _error("Base de données injoignable, ou trop de demandes en attente (en-tête Retry-After)"),
}


# The pages (``/cartes/*``) answer their errors as French HTML pages.
HTML_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: _html_error("Introuvable"),
    422: _html_error("Paramètre invalide"),
    503: _html_error("Service momentanément indisponible"),
}


def content(*media_types: str, description: str = "Réponse") -> dict[int | str, dict[str, Any]]:
    """A 200 response documented with several content types (JSON, GeoJSON, CSV, XLSX, HTML…)."""
    return {200: {"description": description, "content": {m: {} for m in media_types}}}


OFFERS_FORMATS = content("application/json", "application/geo+json", "text/csv",
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         description="Offres (format=json, geojson, csv ou xlsx)")
