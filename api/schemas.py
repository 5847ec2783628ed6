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
