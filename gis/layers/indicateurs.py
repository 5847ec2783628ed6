"""Indicateurs layer: equipment rates (places per 1,000 inhabitants) and 2SFCA accessibility.

**What is counted.** Either the installed capacity (``offre.capacite``) of the public, open offers of one or more
types d'offre, each counted in the commune where the offer is (its Lieu, else its EG: Paris by arrondissement);
or the capacity of the establishments (``etablissement.capacite``, places of the EG, e.g. from the CNSA annuaire)
of one or more FINESS categories, counted in the commune of the EG. Sensitive units and offers not ``ouverte``
(closed, temporarily closed) are never counted. A unit without a known capacity counts for 0 place and is reported
(``sans_capacite``); fictitious demo capacities are reported too (``places_fictives``).

**Population.** ``geo_commune.population``: the *population municipale* (INSEE populations légales, as published in
the COG 2026 package), each city once (Paris by its arrondissements).

**Rates** (:func:`taux_equipement`): per commune, EPCI (the établissements publics territoriaux inside the Métropole
du Grand Paris, Paris as one territory), département or région: places, population, places per 1,000 inhabitants.

**Accessibility** (:func:`accessibilite`): a two-step floating catchment area (2SFCA, Luo & Wang 2003, with the
distance decay of the DREES *APL*): supply and demand at the commune centres, straight-line distances in Lambert-93,
catchment radius ``rayon_km``. Step 1: the ratio of each commune *j* with places,
``R_j = S_j / Σ_k W(d_kj) P_k`` over the communes *k* within the radius; step 2: the accessibility of each commune
*i*, ``A_i = Σ_j W(d_ij) R_j``, given in places per 1,000 inhabitants. Weights ``W``: ``paliers`` (APL-like steps:
1 up to half the radius, 2/3 up to three quarters, 1/3 up to the radius), ``gaussienne``
(``(exp(-½(d/R)²) − exp(-½)) / (1 − exp(-½))``) or ``aucune`` (1 within the radius). Everything is computed by one
SQL statement (pairs found with the GiST index of ``geo_commune.centre_l93``, migration 008).
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


def _with(sel: Selection) -> sql.Composable:
    source = _SOURCE_OFFERS if sel.par == "type_offre" else _SOURCE_ESTABLISHMENTS
    # Public visibility whoever asks: an indicator is the same answer for everyone (cached as public) and never
    # reveals a sensitive unit through its places.
    return sql.SQL("WITH " + ",".join((_UNITS, source, _LOCATED))).format(
        unit_c=_unit_cond("c"), visible=visible_unit(PUBLIC_VISIBILITY))


# Per niveau: area code and name (grouping over the units ``u``), and the display geometry of area ``r.id``
# (EPCI: union of its communes in Lambert-93, simplified 60 m like the communes).
_AREAS: dict[str, tuple[str, str, str]] = {
    "commune": ("u.insee", "min(u.nom)",
                "(SELECT ST_AsGeoJSON(g.geom_simple, 5)::json FROM geo_commune g WHERE g.insee = r.id)"),
    "departement": ("u.departement", "(SELECT d.nom FROM geo_departement d WHERE d.code = u.departement)",
                    "(SELECT ST_AsGeoJSON(d.geom_simple, 5)::json FROM geo_departement d WHERE d.code = r.id)"),
    "region": ("u.region", "(SELECT g.nom FROM geo_region g WHERE g.code = u.region)",
               "(SELECT ST_AsGeoJSON(g.geom_simple, 5)::json FROM geo_region g WHERE g.code = r.id)"),
    "epci": ("u.epci", "min(u.epci_nom)",
             "(SELECT ST_AsGeoJSON(ST_Transform(ST_SimplifyPreserveTopology(ST_Union(g.geom_l93), 60), 4326), 5)::json"
             " FROM unit m JOIN geo_commune g ON g.insee = m.insee WHERE m.epci = r.id)"),
}

_RATE_ROWS = """
    SELECT {code} AS id, {nom} AS nom, min(u.departement) AS departement,
           coalesce(sum(u.population), 0) AS population, coalesce(sum(k.places), 0) AS places,
           coalesce(sum(k.structures), 0) AS structures, coalesce(sum(k.sans_capacite), 0) AS sans_capacite,
           coalesce(sum(k.places_fictives), 0) AS places_fictives
      FROM unit u LEFT JOIN per_unit k ON k.insee = u.insee
     GROUP BY {code}"""

_RATE_PROPERTIES = """
    SELECT r.id, json_build_object(
               'code', r.id, 'nom', r.nom, 'niveau', %(niveau)s::text,
               'departement', CASE WHEN %(niveau)s::text = 'commune' THEN r.departement END,
               'population', r.population, 'places', r.places,
               'taux_pour_1000', CASE WHEN r.population > 0
                                      THEN round(r.places * 1000.0 / r.population, 2) END,
               'structures', r.structures, 'sans_capacite', r.sans_capacite,
               'places_fictives', r.places_fictives) AS properties,
           {geometry} AS geometry, r.population, r.places, r.structures, r.sans_capacite, r.places_fictives
      FROM ({rows}) r"""

# The 2SFCA. Pairs (j with places, i any unit) within the radius, their weights, step 1 and step 2.
_WEIGHTS: dict[str, str] = {
    "paliers": "CASE WHEN km <= %(r)s * 0.5 THEN 1.0 WHEN km <= %(r)s * 0.75 THEN 2.0 / 3 ELSE 1.0 / 3 END",
    "gaussienne": "(exp(-0.5 * (km / %(r)s) ^ 2) - exp(-0.5)) / (1 - exp(-0.5))",
    "aucune": "1.0",
}

_ACCESS = """,
    supply AS (SELECT k.insee AS j, k.places AS s, g.centre_l93 FROM per_unit k JOIN geo_commune g USING (insee)
                WHERE k.places > 0),
    pairs AS (
        SELECT sp.j, d.insee AS i, coalesce(ud.population, 0) AS pop, sp.s,
               ST_Distance(sp.centre_l93, d.centre_l93) / 1000.0 AS km
          FROM supply sp JOIN geo_commune d ON ST_DWithin(d.centre_l93, sp.centre_l93, %(r)s * 1000.0)
          JOIN unit ud ON ud.insee = d.insee
    ),
    weighted AS (SELECT j, i, pop, s, km, ({weight})::float8 AS w FROM pairs),
    ratio AS (SELECT j, max(s)::float8 / nullif(sum(w * pop), 0) AS r FROM weighted GROUP BY j),
    access AS (SELECT w.i AS insee, sum(w.w * r.r) AS a FROM weighted w JOIN ratio r USING (j) GROUP BY w.i)
    SELECT u.insee AS id, json_build_object(
               'code', u.insee, 'nom', u.nom, 'departement', u.departement, 'population', u.population,
               'places', coalesce(k.places, 0),
               'taux_pour_1000', CASE WHEN u.population > 0
                                      THEN round(coalesce(k.places, 0) * 1000.0 / u.population, 2) END,
               'accessibilite_pour_1000', round((coalesce(a.a, 0) * 1000.0)::numeric, 3),
               'structures', coalesce(k.structures, 0), 'sans_capacite', coalesce(k.sans_capacite, 0),
               'places_fictives', coalesce(k.places_fictives, 0)) AS properties,
           {geometry} AS geometry, u.population, coalesce(k.places, 0) AS places,
           coalesce(k.structures, 0) AS structures, coalesce(k.sans_capacite, 0) AS sans_capacite,
           coalesce(k.places_fictives, 0) AS places_fictives, coalesce(a.a, 0) * coalesce(u.population, 0) AS attribuees
      FROM unit u LEFT JOIN per_unit k ON k.insee = u.insee LEFT JOIN access a ON a.insee = u.insee
"""

_SUMMARY = """'resume', json_build_object(
        'zones', count(*), 'zones_sans_place', count(*) FILTER (WHERE f.places = 0),
        'population', coalesce(sum(f.population), 0), 'places', coalesce(sum(f.places), 0),
        'taux_pour_1000', CASE WHEN sum(f.population) > 0 THEN round(sum(f.places) * 1000.0 / sum(f.population), 2) END,
        'structures', coalesce(sum(f.structures), 0), 'sans_capacite', coalesce(sum(f.sans_capacite), 0),
        'places_fictives', coalesce(sum(f.places_fictives), 0){more})"""
_ACCESS_MORE = """,
        'places_attribuees', round(coalesce(sum(f.attribuees), 0)::numeric, 1)"""


# Where the counted capacities come from (provenance of the field ``capacite``), e.g. "Annuaire CNSA, 2021".
_SOURCES_OFFERS = """
    SELECT DISTINCT concat_ws(', ', o.provenance -> 'capacite' ->> 'source',
                              o.provenance -> 'capacite' ->> 'millesime') AS s
      FROM offre o WHERE o.type_offre = ANY (%s) AND o.capacite IS NOT NULL ORDER BY 1 LIMIT 10"""
_SOURCES_ESTABLISHMENTS = """
    SELECT DISTINCT concat_ws(', ', e.provenance_champs -> 'capacite' ->> 'source',
                              e.provenance_champs -> 'capacite' ->> 'millesime') AS s
      FROM etablissement e WHERE e.categorie = ANY (%s) AND e.capacite IS NOT NULL ORDER BY 1 LIMIT 10"""


def _meta(conn: Conn, sel: Selection, indicateur: str, extra: dict[str, Any]) -> dict[str, Any]:
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


def _run(conn: Conn, rows: sql.Composable, summary: sql.Composable,
         params: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One statement: the FeatureCollection of ``rows`` and its summary, built by PostgreSQL."""
    query = collection_sql(rows, extra=summary)
    row = conn.execute(query, params).fetchone()
    assert row is not None  # an aggregate always returns one row
    doc = json.loads(str(next(iter(row.values()))))
    return doc["resume"], doc["features"]


def taux_equipement(conn: Conn, sel: Selection, niveau: str = "commune", *, geometry: bool = False,
                    checked: bool = False) -> Indicator:
    """Return places, population and places per 1,000 inhabitants per area.

    Parameters
    ----------
    conn : gis.db.Conn
        Open connection.
    sel : Selection
        Offers of types d'offre (their capacity) or establishments of categories (theirs).
    niveau : str
        ``commune`` (Paris by arrondissement), ``epci``, ``departement`` or ``region``.
    geometry : bool
        Include the display geometry of each area (GeoJSON).
    checked : bool
        The codes were already checked against the nomenclatures.

    Returns
    -------
    Indicator
        Description, summary and one feature per area (all areas, with 0 place where none), ordered by code.

    Raises
    ------
    InvalidInput
        Unknown niveau, malformed or unknown codes.
    """
    if niveau not in _AREAS:
        raise InvalidInput("Niveau inconnu : commune, epci, departement ou region.")
    check(conn, sel, checked=checked)
    code, nom, geom = _AREAS[niveau]
    rows = sql.SQL(_RATE_ROWS).format(code=sql.SQL(code), nom=sql.SQL(nom))
    geometry_sql = sql.SQL(geom if geometry else "NULL::json")
    full = _with(sel) + sql.SQL(_RATE_PROPERTIES).format(rows=rows, geometry=geometry_sql)
    summary = sql.SQL(_SUMMARY).format(more=sql.SQL(""))
    resume, features = _run(conn, full, summary, {"codes": list(sel.codes), "niveau": niveau})
    meta = _meta(conn, sel, "taux-equipement", {"niveau": niveau, "niveau_libelle": NIVEAUX[niveau]})
    return Indicator(meta, resume, features)


def accessibilite(conn: Conn, sel: Selection, *, rayon_km: float = RAYON_KM_DEFAUT,
                  decroissance: str = "paliers", geometry: bool = False, checked: bool = False) -> Indicator:
    """Return the 2SFCA accessibility of every commune (places per 1,000 inhabitants), see the module docstring.

    Parameters
    ----------
    conn : gis.db.Conn
        Open connection.
    sel : Selection
        Offers of types d'offre (their capacity) or establishments of categories (theirs).
    rayon_km : float
        Catchment radius (straight line between commune centres), km.
    decroissance : str
        Distance decay: ``paliers`` (APL-like), ``gaussienne`` or ``aucune``.
    geometry : bool
        Include the display geometry of each commune (GeoJSON).
    checked : bool
        The codes were already checked against the nomenclatures.

    Returns
    -------
    Indicator
        Description (method and parameters), summary (``places_attribuees`` = Σ A_i P_i, equal to the places when
        every commune with places has inhabitants within the radius) and one feature per commune.

    Raises
    ------
    InvalidInput
        Radius out of range, unknown decay, malformed or unknown codes.
    """
    if decroissance not in _WEIGHTS:
        raise InvalidInput("Décroissance inconnue : paliers, gaussienne ou aucune.")
    check_rayon(rayon_km)
    check(conn, sel, checked=checked)
    geom = ("(SELECT ST_AsGeoJSON(g.geom_simple, 5)::json FROM geo_commune g WHERE g.insee = u.insee)" if geometry
            else "NULL::json")
    weight = sql.SQL(_WEIGHTS[decroissance])
    full = _with(sel) + sql.SQL(_ACCESS).format(weight=weight, geometry=sql.SQL(geom))
    summary = sql.SQL(_SUMMARY).format(more=sql.SQL(_ACCESS_MORE))
    params = {"codes": list(sel.codes), "r": rayon_km}
    resume, features = _run(conn, full, summary, params)
    meta = _meta(conn, sel, "accessibilite", {
        "niveau": "commune", "niveau_libelle": NIVEAUX["commune"],
        "methode": {"nom": "2SFCA (aire de chalandise flottante à deux étapes), comme l'APL de la DREES",
                    "distance": "ligne droite entre les centres des communes (Lambert-93)",
                    "rayon_km": rayon_km, "decroissance": decroissance,
                    "decroissance_libelle": DECROISSANCES[decroissance],
                    "resultat": "accessibilite_pour_1000 : places accessibles pour 1 000 habitants"}})
    return Indicator(meta, resume, features)


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


# Export columns (French headers) of each indicator: (header, property).
_COLUMNS_RATE = [("Code", "code"), ("Nom", "nom"), ("Niveau", "niveau"), ("Département", "departement"),
                 ("Population municipale", "population"), ("Places", "places"),
                 ("Places pour 1 000 habitants", "taux_pour_1000"), ("Structures comptées", "structures"),
                 ("dont sans capacité connue", "sans_capacite"), ("Places fictives (démonstration)", "places_fictives")]
_COLUMNS_ACCESS = [("Code INSEE", "code"), ("Commune", "nom"), ("Département", "departement"),
                   ("Population municipale", "population"), ("Places dans la commune", "places"),
                   ("Places pour 1 000 habitants (commune)", "taux_pour_1000"),
                   ("Accessibilité 2SFCA (places pour 1 000 habitants)", "accessibilite_pour_1000"),
                   ("Structures comptées", "structures"), ("dont sans capacité connue", "sans_capacite"),
                   ("Places fictives (démonstration)", "places_fictives")]


def table(result: Indicator) -> tuple[list[str], list[list[Any]]]:
    """Return the headers and cells of the CSV/XLSX export of an indicator (one row per area)."""
    columns = _COLUMNS_ACCESS if result.meta["indicateur"] == "accessibilite" else _COLUMNS_RATE
    cells = [[f["properties"].get(key) for _h, key in columns] for f in result.features]
    return [h for h, _k in columns], cells


def source_text(result: Indicator) -> str:
    """Return the "Sources" text of an export: what is counted, population, method, data version."""
    meta = result.meta
    parts = [f"Indicateur : {meta['indicateur']} ({meta['unite']}), niveau {meta['niveau_libelle']}",
             f"Sélection : {meta['selection']['par']} {', '.join(meta['selection']['codes'])} "
             f"({' ; '.join(meta['selection']['libelles'])})",
             f"Places : {meta['places_comptees']}",
             f"Capacités : {', '.join(meta['sources_capacites']) or 'source non renseignée'}",
             f"Population : {meta['population']}"]
    if "methode" in meta:
        m = meta["methode"]
        parts.append(f"Méthode : {m['nom']}, {m['distance']}, rayon {m['rayon_km']:g} km, "
                     f"décroissance {m['decroissance_libelle']}")
    parts.append(f"Données : version {meta['donnees']['version']} du {meta['donnees']['mise_a_jour']}")
    return ". ".join(parts) + "."
