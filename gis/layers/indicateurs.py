"""Indicateurs layer: what the equipment rates and the 2SFCA accessibility count, and their answer.

**What is counted.** Either the installed capacity (``offre.capacite``) of the public, open offers of one or more
types d'offre, each counted in the commune where the offer is (its Lieu, else its EG: Paris by arrondissement);
or the capacity of the establishments (``etablissement.capacite``, places of the EG, e.g. from the CNSA annuaire)
of one or more FINESS categories, counted in the commune of the EG. Sensitive units and offers not ``ouverte``
(closed, temporarily closed) are never counted. A unit without a known capacity counts for 0 place and is reported
(``sans_capacite``); fictitious demo capacities are reported too (``places_fictives``).

**Population.** ``geo_commune.population``: the *population municipale* (INSEE populations légales, as published in
the COG 2026 package), each city once (Paris by its arrondissements).

**Indicators.** The equipment rates per area (:mod:`gis.layers.indicateurs_taux`) and the 2SFCA accessibility
per commune (:mod:`gis.layers.indicateurs_2sfca`) both start from the statement built here
(:func:`counted_places`: the units, what is counted, the places per unit) and answer an :class:`Indicator`; its
CSV/XLSX export is :mod:`gis.layers.indicateurs_export`. This module holds what they share: the selection and the
parameters, the counting, the description of an answer and the form's choices.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from psycopg import sql

from gis.access import PUBLIC_VISIBILITY
from gis.db import Conn
from gis.errors import InvalidInput
from gis.layers.filters import Filters, validate_filters, visible_unit
from gis.layers.geojson import collection_sql

Niveau = Literal["commune", "epci", "departement", "region"]
Decroissance = Literal["paliers", "gaussienne", "aucune"]
NIVEAUX: dict[str, str] = {"commune": "Commune (Paris par arrondissement)",
                           "epci": "EPCI (EPT dans la Métropole du Grand Paris)",
                           "departement": "Département", "region": "Région"}
DECROISSANCES: dict[str, str] = {
    "paliers": "Paliers comme l'APL de la DREES : poids 1 jusqu'à la moitié du rayon, 2/3 jusqu'aux trois quarts, "
               "1/3 jusqu'au rayon",
    "gaussienne": "Gaussienne : (exp(-½(d/R)²) − exp(-½)) / (1 − exp(-½)), 1 au centre, 0 au rayon",
    "aucune": "Aucune : poids 1 dans tout le rayon (2SFCA classique)",
}
RAYON_KM_DEFAUT = 15.0
RAYON_KM_MIN = 1.0
RAYON_KM_MAX = 60.0
POPULATION_LABEL = "Population municipale (INSEE, populations légales du COG 2026)"
UNITE = "places pour 1 000 habitants"

_MISSING = ("Paramètre manquant : indiquez un type d'offre (type_offre, ex. 21) ou une catégorie d'établissement "
            "(categorie, ex. 500 pour les EHPAD).")
_BOTH = ("Paramètres contradictoires : type_offre (capacité des offres) et categorie (capacité des établissements) "
         "ne peuvent pas être combinés ; choisissez l'un des deux.")


@dataclass(frozen=True)
class Selection:
    """What is counted: offers of types d'offre, or establishments of FINESS categories."""

    par: Literal["type_offre", "categorie"]
    codes: tuple[str, ...]

    @property
    def nomenclature(self) -> str:
        """The nomenclature of the codes."""
        return "type_offre" if self.par == "type_offre" else "categorie_eg"


def selection(type_offre: list[str], categorie: list[str]) -> Selection:
    """Return the selection asked for: exactly one of the two code lists must be given.

    Parameters
    ----------
    type_offre : list of str
        Codes of types d'offre (JDV_J238).
    categorie : list of str
        FINESS categories of establishments (TRE_R66).

    Returns
    -------
    Selection
        The kind and the codes (deduplicated, in order).

    Raises
    ------
    InvalidInput
        Neither or both lists given (French message).
    """
    if type_offre and categorie:
        raise InvalidInput(_BOTH)
    if not type_offre and not categorie:
        raise InvalidInput(_MISSING)
    if type_offre:
        return Selection("type_offre", tuple(dict.fromkeys(type_offre)))
    return Selection("categorie", tuple(dict.fromkeys(categorie)))


def check(conn: Conn, sel: Selection, *, checked: bool = False) -> None:
    """Check the codes against the loaded nomenclature (unless ``checked``: done in memory by the API).

    Raises
    ------
    InvalidInput
        Malformed or unknown codes.
    """
    if checked:
        return
    filters = Filters(type_offre=list(sel.codes)) if sel.par == "type_offre" else Filters(categorie=list(sel.codes))
    validate_filters(conn, filters)


def check_rayon(rayon_km: float) -> float:
    """Return the catchment radius if it is within the allowed range.

    Raises
    ------
    InvalidInput
        Out of [RAYON_KM_MIN, RAYON_KM_MAX].
    """
    if not RAYON_KM_MIN <= rayon_km <= RAYON_KM_MAX:
        raise InvalidInput(f"Rayon invalide : entre {RAYON_KM_MIN:g} et {RAYON_KM_MAX:g} km.")
    return rayon_km


# --- SQL ------------------------------------------------------------------------------------------------------------

# A commune counted once: Paris (and any city whose arrondissements have shapes) by its arrondissements.
_UNIT_OF = """NOT EXISTS (SELECT 1 FROM geo_commune a WHERE a.parent_insee = {c}.insee AND a.geom IS NOT NULL)
           AND ({c}.parent_insee IS NULL
                OR EXISTS (SELECT 1 FROM geo_commune s
                            WHERE s.parent_insee = {c}.parent_insee AND s.geom IS NOT NULL))"""


def _unit_cond(alias: str) -> sql.Composable:
    return sql.SQL(_UNIT_OF.format(c=alias))


# The communes (units) with their areas: EPCI key = the EPT inside a split EPCI (Métropole du Grand Paris), the city
# itself for its members without EPT (Paris), else the EPCI.
_UNITS = """
    split AS (SELECT DISTINCT epci_code FROM geo_commune WHERE ept_code IS NOT NULL),
    unit AS (
        SELECT c.insee, c.nom, c.departement, c.region, c.population,
               coalesce(c.ept_code, CASE WHEN c.epci_code IN (SELECT epci_code FROM split)
                                         THEN coalesce(c.parent_insee, c.insee) END, c.epci_code) AS epci,
               coalesce(c.ept_nom, CASE WHEN c.epci_code IN (SELECT epci_code FROM split)
                                        THEN coalesce(p.nom, c.nom) END, c.epci_nom) AS epci_nom
          FROM geo_commune c LEFT JOIN geo_commune p ON p.insee = c.parent_insee
         WHERE {unit_c}
    )"""

# What is counted (one row per offer or EG): a hint of its commune and its point.
_SOURCE_OFFERS = """
    source AS (
        SELECT o.capacite AS places, o.fictif, o.geom,
               CASE WHEN o.lieu_id IS NULL THEN coalesce(e.arrondissement_insee, e.commune_insee)
                    ELSE (SELECT l.commune_insee FROM lieu l WHERE l.id = o.lieu_id) END AS hint
          FROM offre o LEFT JOIN etablissement e ON e.id = o.etablissement_id
         WHERE o.type_offre = ANY (%(codes)s) AND {visible} AND o.statut = 'ouverte'
    )"""
_SOURCE_ESTABLISHMENTS = """
    source AS (
        SELECT e.capacite AS places, e.fictif, e.geom, coalesce(e.arrondissement_insee, e.commune_insee) AS hint
          FROM etablissement e
         WHERE e.categorie = ANY (%(codes)s)
    )"""

# Each counted row in its unit: the hinted commune when it is a unit, else the unit containing the point.
_LOCATED = """
    located AS (
        SELECT coalesce(h.insee, pip.insee) AS insee, s.places, s.fictif
          FROM source s
          LEFT JOIN unit h ON h.insee = s.hint
          LEFT JOIN LATERAL (SELECT c.insee FROM geo_commune c
                              WHERE h.insee IS NULL AND s.geom IS NOT NULL AND ST_Intersects(c.geom, s.geom)
                                AND {unit_c} LIMIT 1) pip ON true
    ),
    per_unit AS (
        SELECT insee, coalesce(sum(places), 0) AS places, count(*) AS structures,
               count(*) FILTER (WHERE places IS NULL) AS sans_capacite,
               coalesce(sum(places) FILTER (WHERE fictif), 0) AS places_fictives
          FROM located WHERE insee IS NOT NULL GROUP BY insee
    )"""


def counted_places(sel: Selection) -> sql.Composable:
    """Return the ``WITH`` of an indicator: units (``unit``), what is counted (``source``), places per unit.

    The CTE ``per_unit`` holds, per unit (commune, Paris by arrondissement) with something counted: ``places``,
    ``structures``, ``sans_capacite`` and ``places_fictives``; parameter ``%(codes)s`` is the selection's codes.
    """
    source = _SOURCE_OFFERS if sel.par == "type_offre" else _SOURCE_ESTABLISHMENTS
    # Public visibility whoever asks: an indicator is the same answer for everyone (cached as public) and never
    # reveals a sensitive unit through its places.
    return sql.SQL("WITH " + ",".join((_UNITS, source, _LOCATED))).format(
        unit_c=_unit_cond("c"), visible=visible_unit(PUBLIC_VISIBILITY))


_SUMMARY = """'resume', json_build_object(
        'zones', count(*), 'zones_sans_place', count(*) FILTER (WHERE f.places = 0),
        'population', coalesce(sum(f.population), 0), 'places', coalesce(sum(f.places), 0),
        'taux_pour_1000', CASE WHEN sum(f.population) > 0 THEN round(sum(f.places) * 1000.0 / sum(f.population), 2) END,
        'structures', coalesce(sum(f.structures), 0), 'sans_capacite', coalesce(sum(f.sans_capacite), 0),
        'places_fictives', coalesce(sum(f.places_fictives), 0){more})"""


def summary_sql(more: str = "") -> sql.Composable:
    """Return the summary (``'resume', json_build_object(...)`` over the features ``f``), with ``more`` fields."""
    return sql.SQL(_SUMMARY).format(more=sql.SQL(more))


# Where the counted capacities come from (provenance of the field ``capacite``), e.g. "Annuaire CNSA, 2021".
_SOURCES_OFFERS = """
    SELECT DISTINCT concat_ws(', ', o.provenance -> 'capacite' ->> 'source',
                              o.provenance -> 'capacite' ->> 'millesime') AS s
      FROM offre o WHERE o.type_offre = ANY (%s) AND o.capacite IS NOT NULL ORDER BY 1 LIMIT 10"""
_SOURCES_ESTABLISHMENTS = """
    SELECT DISTINCT concat_ws(', ', e.provenance_champs -> 'capacite' ->> 'source',
                              e.provenance_champs -> 'capacite' ->> 'millesime') AS s
      FROM etablissement e WHERE e.categorie = ANY (%s) AND e.capacite IS NOT NULL ORDER BY 1 LIMIT 10"""


def describe(conn: Conn, sel: Selection, indicateur: str, extra: dict[str, Any]) -> dict[str, Any]:
    """Return the description of an answer: what is counted, population, unit, data version and sources."""
    labels = {r["code"]: r["label"] for r in conn.execute(
        "SELECT code, label FROM nomenclature WHERE name = %s AND code = ANY (%s)",
        (sel.nomenclature, list(sel.codes)))}
    query = _SOURCES_OFFERS if sel.par == "type_offre" else _SOURCES_ESTABLISHMENTS
    sources = conn.execute(query, (list(sel.codes),)).fetchall()
    version = conn.execute("SELECT version, updated_at FROM data_version").fetchone()
    return {
        "indicateur": indicateur,
        "selection": {"par": sel.par, "codes": list(sel.codes),
                      "libelles": [labels.get(c, c) for c in sel.codes]},
        "unite": UNITE,
        "population": POPULATION_LABEL,
        "places_comptees": ("capacité installée des offres ouvertes et non sensibles, dans la commune de leur lieu "
                            "(à défaut de leur établissement)" if sel.par == "type_offre" else
                            "capacité (places) des établissements de la catégorie, dans la commune où ils se trouvent"),
        "sources_capacites": [r["s"] for r in sources if r["s"]],
        "donnees": {"version": version["version"] if version else None,
                    "mise_a_jour": version["updated_at"].isoformat() if version else None},
        **extra,
    }


@dataclass
class Indicator:
    """One computed indicator: the description, the summary and the rows (properties; geometry if asked)."""

    meta: dict[str, Any]
    resume: dict[str, Any]
    features: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        """Return the JSON answer: description, summary and one result per area (no geometry)."""
        return {**self.meta, "resume": self.resume, "resultats": [f["properties"] for f in self.features]}

    def as_geojson(self) -> dict[str, Any]:
        """Return the GeoJSON FeatureCollection (display geometry), description and summary as foreign members."""
        return {"type": "FeatureCollection", **self.meta, "resume": self.resume, "features": self.features}


def run(conn: Conn, rows: sql.Composable, summary: sql.Composable,
        params: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One statement: the FeatureCollection of ``rows`` and its summary, built by PostgreSQL."""
    query = collection_sql(rows, extra=summary)
    row = conn.execute(query, params).fetchone()
    assert row is not None  # an aggregate always returns one row
    doc = json.loads(str(next(iter(row.values()))))
    return doc["resume"], doc["features"]


def choices(conn: Conn) -> dict[str, list[dict[str, Any]]]:
    """Return the types d'offre and FINESS categories present in the data (for the map's controls).

    Each with its label, how many units (public open offers, or establishments) and how many have a capacity.
    """
    types = conn.execute("""
        SELECT o.type_offre AS code, coalesce(n.label, o.type_offre) AS label, count(*) AS n,
               count(o.capacite) AS avec_capacite
          FROM offre o LEFT JOIN nomenclature n ON n.name = 'type_offre' AND n.code = o.type_offre
         WHERE o.type_offre IS NOT NULL AND o.unite_sensible IS FALSE AND o.statut = 'ouverte'
         GROUP BY 1, 2 ORDER BY 2""").fetchall()
    categories = conn.execute("""
        SELECT e.categorie AS code, coalesce(n.label, e.categorie) AS label, count(*) AS n,
               count(e.capacite) AS avec_capacite
          FROM etablissement e LEFT JOIN nomenclature n ON n.name = 'categorie_eg' AND n.code = e.categorie
         WHERE e.categorie IS NOT NULL
         GROUP BY 1, 2 ORDER BY 2""").fetchall()
    return {"type_offre": [dict(r) for r in types], "categorie": [dict(r) for r in categories]}


