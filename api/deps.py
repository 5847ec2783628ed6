"""Request dependencies: a pooled database connection."""

from __future__ import annotations

import re
from collections.abc import Iterator

import psycopg
from fastapi import Query, Request

from gis.layers.offres import Filters


def get_conn(request: Request) -> Iterator[psycopg.Connection]:
    """A connection from the app's pool, returned to it after the request (read-only work)."""
    with request.app.state.pool.connection() as conn:
        yield conn


_SPLIT = re.compile(r"[,\s]+")


def _codes(values: list[str]) -> list[str]:
    return [c for v in values for c in _SPLIT.split(v.strip()) if c]


def filters_dep(
    type_offre: list[str] = Query([], description="Code(s) de type d'offre (JDV_J238), répétable"),
    categorie: list[str] = Query([], description="Catégorie d'établissement FINESS (TRE_R66)"),
    activite: list[str] = Query([], description="Activité opérationnelle (JDV_J17)"),
    mode_prise_en_charge: list[str] = Query([], description="Mode de prise en charge (TRE_R213)"),
    public: list[str] = Query([], description="Public pris en charge (JDV_J29)"),
    champ: list[str] = Query([], description="Champ d'activité (TRE_R227)"),
    age: int | None = Query(None, ge=0, le=130, description="Âge de la personne (ans)"),
) -> Filters:
    return Filters(
        type_offre=_codes(type_offre),
        categorie=_codes(categorie),
        activite=_codes(activite),
        mode_prise_en_charge=_codes(mode_prise_en_charge),
        public=_codes(public),
        champ=_codes(champ),
        age=age,
    )


