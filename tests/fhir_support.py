"""Shared by the FHIR API and sync tests: a source database (coverage fixture + fictitious demo offers,
organisations internes, hours, polygons), a live server over it, and empty target databases."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest

from gis.db import connect
from gis.settings import Settings
from gis.sources import Fetcher
from tests.conftest import LiveServer

# EGs in real IDF communes (FINESS, name, category, lon, lat) on which the demo offers are generated.
EGS = [
    ("750099001", "EHPAD TEST VAUGIRARD", "500", 2.3000, 48.8417),
    ("930099004", "SESSAD TEST BOBIGNY", "182", 2.4400, 48.9030),
    ("920099005", "SAVS TEST BOIS-COLOMBES", "446", 2.2690, 48.9180),
    ("750099007", "CH TEST PARIS 14", "355", 2.3260, 48.8300),
]

_OI_SQL = """
INSERT INTO entite_juridique (ror_id, finess, nom, statut_juridique, source)
     VALUES ('ej-test-1', '750099000', 'EJ DE TEST (fictif)', '72', 'test') RETURNING id
"""


def _add_egs(conn: psycopg.Connection) -> None:
    for finess, nom, cat, lon, lat in EGS:
        conn.execute(
            "INSERT INTO etablissement (finess, nom, categorie, geom, geocodage_qualite, source, commune_insee) "
            "SELECT %(f)s, %(n)s, %(c)s, p, 'source', 'test', (SELECT insee FROM geo_commune "
            "WHERE type = 'commune' AND ST_Intersects(geom, p) LIMIT 1) "
            "FROM (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS p) s",
            {"f": finess, "n": nom, "c": cat, "lon": lon, "lat": lat},
        )


# The five capacity lines of RORLocationExemple1.fsh (ROR IG): 15 beds installed, a crisis line, 0 + 0 + 3 available.
_L = {"maj": "2024-07-08T18:15:39Z", "type": "01", "temporalite": "01", "source": "01", "affectation": "01"}
CAPACITY_LINES = [
    {"nombre": 15, "statut": "01", **_L},
    {"nombre": 0, "statut": "06", "type_supplementaire": "03", "type_crise": "02", **_L},
    {"nombre": 0, "statut": "02", "genre": "02", **_L},
    {"nombre": 0, "statut": "02", "genre": "01", **_L},
    {"nombre": 3, "statut": "02", "genre": "03", **_L},
]


def _add_capacities(conn: psycopg.Connection, lieu: int) -> None:
    """The capacity lines on the place and, derived, on its offers (as a FHIR import of them would store them)."""
    lines = json.dumps(CAPACITY_LINES)
    conn.execute("UPDATE lieu SET capacites = %s WHERE id = %s", (lines, lieu))
    conn.execute(
        "UPDATE offre SET capacites = %s, capacite = 15, capacite_type = 'lit', "
        "capacite_maj = '2024-07-08T18:15:39Z', capacite_disponible = 3, "
        "capacite_disponible_maj = '2024-07-08T18:15:39Z' WHERE lieu_id = %s", (lines, lieu))


def _add_internal_organisations(conn: psycopg.Connection) -> None:
    """An EJ over the hospital, a pôle > service chain in it, and two offers of the service (one with hours)."""
    ej = conn.execute(_OI_SQL).fetchone()["id"]
    eg = conn.execute("UPDATE etablissement SET ej_id = %s, finess_ej = '750099000' WHERE finess = '750099007' "
                      "RETURNING id", (ej,)).fetchone()["id"]
    pole = conn.execute("INSERT INTO organisation_interne (ror_id, nom, type_oi, etablissement_id, source) "
                        "VALUES ('oi-pole-1', 'Pôle gériatrie (fictif)', '1', %s, 'test') RETURNING id",
                        (eg,)).fetchone()["id"]
    svc = conn.execute("INSERT INTO organisation_interne (ror_id, nom, type_oi, etablissement_id, parent_id, source) "
                       "VALUES ('oi-svc-1', 'Service EMG (fictif)', '2', %s, %s, 'test') RETURNING id",
                       (eg, pole)).fetchone()["id"]
    lieu = conn.execute("INSERT INTO lieu (ror_id, nom, adresse, code_postal, ville, commune_cog, commune_insee, "
                        "geom, statut, source) VALUES ('lieu-oi-1', 'Site Paris 14 (fictif)', '1 rue de Test', "
                        "'75014', 'Paris', '75114', '75114', ST_SetSRID(ST_MakePoint(2.3265, 48.8305), 4326), "
                        "'O', 'test') RETURNING id").fetchone()["id"]
    hours = ('[{"jour": 1, "debut": "09:00", "fin": "17:00", "toute_la_journee": false, "type": "01",'
             ' "debut_validite": null, "fin_validite": null},'
             ' {"jour": 2, "debut": "09:00", "fin": "12:30", "toute_la_journee": false, "type": "01",'
             ' "debut_validite": "2026-01-01", "fin_validite": null}]')
    for ror_id, nom in (("oi-offre-1", "Équipe mobile gériatrique (fictif)"), ("oi-offre-2", "Consultation (fictif)")):
        conn.execute(
            "INSERT INTO offre (ror_id, identifiant, nom, type_offre, champ, activites, modes_pec, actes, "
            "specialisations, age_min, age_max, etablissement_id, oi_id, source, horaires, contacts, lieu_id) VALUES "
            "(%s, %s, %s, '78', '01', '{227}', '{59}', '{0784}', '{24}', 75, 120, %s, %s, 'test', %s, %s, %s)",
            (ror_id, f"11/{ror_id}", nom, eg, svc, hours if ror_id == "oi-offre-1" else "[]",
             '[{"nature": "01", "canal": "2", "valeur": "01 00 00 00 09", "confidentialite": "1", "nom": "Accueil"}]',
             lieu if ror_id == "oi-offre-1" else None),
        )
    _add_capacities(conn, lieu)


#: A unit of the CNSA annuaire (as gis.importers.offres_pa writes it): a capacity and no place of its own, published
#: with the Location derived from it (gis.fhir_out.derived).
CNSA_OFFER = "cnsa-750099001-hebergement-permanent"
CNSA_PROVENANCE = {"source": "Annuaire CNSA", "millesime": "≈ 2021"}


#: Its identifier, as gis.importers.offres_pa writes it.
CNSA_IDENTIFIER = "CNSA/750099001/hebergement-permanent"
#: A sensitive unit with a capacity and no place: neither it nor a Location derived from it is ever public.
CNSA_SENSITIVE = "cnsa-750099001-sensible"
#: The EG of these units, as the FINESS import and the geocoder describe it (postcode, arrondissement of its point).
CNSA_EG_POSTCODE, CNSA_EG_ARRONDISSEMENT = "75015", "75115"

#: A ROR offer that replaced a CNSA unit and kept its figure: its place has no capacity line (derived Location too).
ROR_OFFER_CNSA_FIGURE, ROR_PLACE_WITHOUT_LINES = "ror-ehpad-ht-1", "lieu-ehpad-sans-capacite"


def _add_cnsa_offers(conn: psycopg.Connection) -> list[int]:
    conn.execute("UPDATE etablissement SET adresse = '1 rue de Test', code_postal = %s, ville = 'Paris', "
                 "arrondissement_insee = (SELECT insee FROM geo_commune WHERE type = 'arrondissement-municipal' "
                 "AND ST_Intersects(geom, etablissement.geom) LIMIT 1) WHERE finess = '750099001'",
                 (CNSA_EG_POSTCODE,))
    insert = ("INSERT INTO offre (ror_id, identifiant, nom, type_offre, champ, activites, modes_pec, publics, "
              "temporalites, age_min, etablissement_id, source, capacite, capacite_type, provenance, lieu_id) "
              "SELECT %s, %s, %s, '21', '04', '{293,287}', '{46}', '{01}', %s, 60, id, %s, %s, 'place', %s, %s "
              "FROM etablissement WHERE finess = '750099001' RETURNING id")
    cnsa = conn.execute(insert, (CNSA_OFFER, CNSA_IDENTIFIER, "EHPAD TEST VAUGIRARD — hébergement permanent", "{02}",
                                 "Annuaire CNSA, ≈ 2021", 80, json.dumps({"offre": CNSA_PROVENANCE,
                                                                           "capacite": CNSA_PROVENANCE}), None))
    lieu = conn.execute("INSERT INTO lieu (ror_id, nom, commune_cog, commune_insee, geom, statut, source) VALUES "
                        "(%s, 'EHPAD TEST VAUGIRARD (fictif)', '75115', '75115', "
                        "ST_SetSRID(ST_MakePoint(2.3001, 48.8418), 4326), 'O', 'test') RETURNING id",
                        (ROR_PLACE_WITHOUT_LINES,)).fetchone()["id"]
    ror = conn.execute(insert, (ROR_OFFER_CNSA_FIGURE, "11/0099", "EHPAD TEST VAUGIRARD — hébergement temporaire",
                                "{01}", "test", 12, json.dumps({"offre": {"source": "ROR", "millesime": "2025-03-01"},
                                                               "capacite": CNSA_PROVENANCE}), lieu))
    ids = [cnsa.fetchone()["id"], ror.fetchone()["id"]]
    sensitive = conn.execute(insert, (CNSA_SENSITIVE, "CNSA/750099001/sensible", "Unité sensible (fictif)", "{02}",
                                      "test", 10, "{}", None)).fetchone()["id"]
    conn.execute("UPDATE offre SET unite_sensible = true WHERE id = %s", (sensitive,))
    return [*ids, sensitive]


def build_source(url: str, fetcher: Fetcher, data_dir: Path, tmp: Path) -> None:
    """Fill ``url`` (migrated, empty) with the geography, nomenclatures and the FHIR test offers."""
    from gis.demo import generate
    from gis.importers.fhir import load_fhir
    from gis.importers.geography import load_geography
    from gis.importers.nomenclatures import load_nomenclatures
    from gis.maintenance import after_load
    from gis.territories import coverage
    from tests import coverage_fixture

    with connect(url) as conn:
        load_geography(conn, fetcher, region="11")
        load_nomenclatures(conn, data_dir)
        with conn.transaction():
            coverage_fixture.insert(conn)
            _add_egs(conn)
            _add_internal_organisations(conn)
            coverage.refresh(conn)
        generate(conn, tmp)
        load_fhir(conn, [tmp], source="demo", fictif=True, today=date(2026, 6, 1))
        with conn.transaction():  # after the demo, which invents no unit where a real one exists
            coverage.refresh(conn, _add_cnsa_offers(conn))
        after_load(conn)


def empty_target(url: str, fetcher: Fetcher, data_dir: Path) -> str:
    """``url`` with the geography and nomenclatures only."""
    from gis.importers.geography import load_geography
    from gis.importers.nomenclatures import load_nomenclatures

    with connect(url) as conn:
        load_geography(conn, fetcher, region="11")
        load_nomenclatures(conn, data_dir)
    return url


@pytest.fixture(scope="session")
def fhir_source_url(empty_db_factory: Callable[..., str], fetcher: Fetcher, data_dir: Path,
                    tmp_path_factory: pytest.TempPathFactory) -> str:
    url = empty_db_factory()
    build_source(url, fetcher, data_dir, tmp_path_factory.mktemp("demo-fhir"))
    return url


@pytest.fixture(scope="session")
def fhir_server(fhir_source_url: str, data_dir: Path) -> Iterator[LiveServer]:
    server = LiveServer(Settings(database_url=fhir_source_url, data_dir=data_dir, download=False))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fhir_uncached_server(fhir_source_url: str, data_dir: Path) -> Iterator[LiveServer]:
    """The same source without the response cache: the harvester tests reach the
    server through proxies on other ports, whose address the Bundle links carry."""
    server = LiveServer(Settings(database_url=fhir_source_url, data_dir=data_dir, download=False, cache_max_mb=0))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def target_factory(empty_db_factory: Callable[..., str], fetcher: Fetcher, data_dir: Path) -> Callable[[], str]:
    return lambda: empty_target(empty_db_factory(), fetcher, data_dir)


def public_offers(url: str) -> dict[str, dict[str, Any]]:
    """The public projection of every offer (what /fhir publishes), by ror_id, comparable across databases."""
    with connect(url) as conn:
        rows = conn.execute(
            """
            SELECT o.ror_id, coalesce(o.identifiant, o.ror_id) AS identifiant, o.nom, o.type_offre, o.champ,
                   o.activites, o.familles, o.modes_pec,
                   o.publics, o.modalites_accueil, o.temporalites, o.actes, o.specialisations, o.age_min,
                   o.age_max, o.statut, o.date_fermeture, o.date_reouverture, o.horaires, o.capacites,
                   o.capacite, o.capacite_type, o.capacite_maj, o.capacite_disponible, o.capacite_disponible_maj,
                   (SELECT coalesce(jsonb_agg(c ORDER BY c::text), '[]') FROM jsonb_array_elements(o.contacts) c
                     WHERE c->>'confidentialite' = '1') AS contacts,
                   e.finess AS eg_finess, e.nom AS eg_nom, e.categorie AS eg_categorie, oi.ror_id AS oi,
                   oi.nom AS oi_nom, l.ror_id AS lieu, ST_AsText(ST_SnapToGrid(o.geom, 1e-6)) AS point,
                   (SELECT array_agg(z.type_division || ':' || z.code ORDER BY z.type_division, z.code)
                      FROM zone_intervention z WHERE z.offre_id = o.id) AS zones,
                   (SELECT (ST_Area(p.geom_l93) / 1e4)::bigint FROM zone_polygone p
                     WHERE p.offre_id = o.id) AS polygone_ha,
                   (SELECT array_agg(cv.insee || ':' || cv.motif || ':' || cv.partielle ORDER BY cv.insee)
                      FROM couverture cv WHERE cv.offre_id = o.id) AS couverture
              FROM offre o
              LEFT JOIN etablissement e ON e.id = o.etablissement_id
              LEFT JOIN organisation_interne oi ON oi.id = o.oi_id
              LEFT JOIN lieu l ON l.id = o.lieu_id
             WHERE o.unite_sensible IS FALSE AND o.statut IS DISTINCT FROM 'fermee'
            """
        ).fetchall()
    return {r["ror_id"]: r for r in rows}


def differences(got: dict[str, dict[str, Any]], want: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Offers missing or extra, and the differing fields of the others (empty when identical)."""
    out: dict[str, Any] = {k: "absente" for k in want.keys() - got.keys()}
    out.update({k: "en trop" for k in got.keys() - want.keys()})
    for k in want.keys() & got.keys():
        fields = {f: (got[k][f], want[k][f]) for f in want[k] if got[k][f] != want[k][f]}
        if fields:
            out[k] = fields
    return out
