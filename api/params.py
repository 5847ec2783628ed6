"""Path and query parameters shared by the routers, with the patterns the API really accepts (documented in the
OpenAPI document, checked before any query)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Path, Query

# gis.identifiers' rules, lower case accepted (the layers upper-case the code).
INSEE_PATTERN = r"^(?:[0-9]{5}|2[ABab][0-9]{3})$"
FINESS_PATTERN = r"^(?:[0-9]{2}|2[ABab])[0-9]{7}$"
DEPARTEMENT_PATTERN = r"^(?:\d{2}|2[ABab]|97\d|98\d)$"
OFFER_ID_PATTERN = r"^[0-9A-Za-z._/|-]{1,64}$"
NOMENCLATURE_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"

Insee = Annotated[str, Path(pattern=INSEE_PATTERN, description="Code INSEE (commune ou arrondissement ; un ancien "
                                                               "code répond pour la commune actuelle)",
                            examples=["93066"])]
Finess = Annotated[str, Path(pattern=FINESS_PATTERN, description="Numéro FINESS géographique (ET)",
                             examples=["930110051"])]
DepartementCode = Annotated[str, Path(pattern=DEPARTEMENT_PATTERN, examples=["93"])]
OfferId = Annotated[str, Path(pattern=OFFER_ID_PATTERN, description="Identifiant ROR ou identifiantOffre",
                              examples=["demo-93066-ssiad"])]
NomenclatureName = Annotated[str, Path(pattern=NOMENCLATURE_PATTERN, examples=["type_offre"])]
DepartementFilter = Annotated[str | None, Query(pattern=DEPARTEMENT_PATTERN,
                                                description="Limiter à un département (ex. 93)")]


GeometryMode = Literal["full", "simplified", "centre", "none"]


def geometrie_dep(
    geometrie: GeometryMode | None = Query(None, description="full, simplified (défaut), centre ou none"),
    geometry: GeometryMode | None = Query(None, deprecated=True, description="Ancien nom de « geometrie »"),
) -> GeometryMode:
    """The geometry mode, under its French name ``geometrie`` (``geometry`` kept as a deprecated alias)."""
    return geometrie or geometry or "simplified"
