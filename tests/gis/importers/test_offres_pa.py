"""Real offers for older people from the CNSA annuaire: offers and capacities equal the source rows read here
with the csv module, provenance, coverage, rejected rows, re-runs, the ROR winning field by field, and the demo
inventing no unit where real ones exist."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from gis.db import connect
from gis.demo import generate
from gis.importers.etablissements import load_establishments
from gis.importers.fhir import load_fhir
from gis.importers.geography import load_geography
from gis.importers.nomenclatures import load_nomenclatures
from gis.importers.offres_pa import SOURCE_LABEL, load_cnsa_offers
from gis.importers.report import ImportReport

IDF = {"75", "77", "78", "91", "92", "93", "94", "95"}
CNSA = {"source": "Annuaire CNSA", "millesime": "≈ 2021"}


def _rows(data_dir: Path) -> list[dict[str, str]]:
    with (data_dir / "establishments" / "cnsa-annuaire-pa" / "dataset_to_use.csv").open(encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r["coordinates.deptcode"] in IDF]


def _expected_types(r: dict[str, str]) -> list[str]:
    """Types d'offre of one row, written out again from the README of the mapping (not from the code)."""
    y = {k: v == "True" for k, v in r.items() if k.startswith("Is")}
    autonomous = (y["IsRA"] or y["IsEHPA"]) and not y["IsEHPAD"]
    out = []
    out += ["21"] if y["IsHCOMPL"] and y["IsEHPAD"] else []
    out += ["22"] if y["IsHCOMPL"] and y["IsEHPA"] and not y["IsEHPAD"] else []
    out += ["22"] if y["IsRA"] else []
    out += ["249"] if y["IsESLD"] else []
    out += ["22" if autonomous else "21"] if y["IsHTEMPO"] else []
    out += ["21"] if y["IsAJA"] or y["IsACC_JOUR"] else []
    out += ["21"] if y["IsACC_NUIT"] else []
    out += ["23"] if y["IsUHR"] else []
    out += ["24"] if y["IsALZH"] and (y["IsEHPAD"] or y["IsEHPA"]) else []
    out += ["25"] if y["IsPASA"] else []
    return sorted(out)


@pytest.fixture(scope="module")
def loaded(empty_db_factory, fetcher, data_dir) -> Iterator[tuple[str, ImportReport]]:
    url = empty_db_factory()
    with connect(url) as conn:
        load_geography(conn, fetcher, region="11")
        load_nomenclatures(conn, data_dir)
        load_establishments(conn, data_dir)
        report = load_cnsa_offers(conn, data_dir)
    yield url, report


@pytest.fixture
def db(loaded) -> Iterator[psycopg.Connection]:
    with connect(loaded[0]) as c, c.transaction(force_rollback=True):
        yield c


def test_offers_equal_the_source_flags(loaded, db, data_dir):
    rows = _rows(data_dir)
    expected = {r["noFinesset"]: _expected_types(r) for r in rows}
    got: dict[str, list[str]] = {}
    for r in db.execute(
        "SELECT e.finess, array_agg(o.type_offre ORDER BY o.type_offre) AS types FROM offre o "
        "JOIN etablissement e ON e.id = o.etablissement_id GROUP BY e.finess"
    ):
        got[r["finess"]] = sorted(r["types"])
    assert got == {k: v for k, v in expected.items() if v}
    n = sum(len(v) for v in expected.values())
    assert loaded[1].counts["offres"] == n
    assert db.execute("SELECT count(*) AS n FROM offre").fetchone()["n"] == n
    by_type = Counter(t for v in expected.values() for t in v)
    assert by_type["21"] == 706 + 274 + 179 + 5  # HP EHPAD + HT EHPAD + accueils de jour + accueils de nuit
    assert by_type["23"] == 11 and by_type["25"] == 123 and by_type["249"] == 54


def test_offers_are_real_labelled_and_located(db):
    bad = db.execute(
        "SELECT count(*) FILTER (WHERE fictif) AS fictifs, count(*) FILTER (WHERE source <> %s) AS autres, "
        "count(*) FILTER (WHERE provenance -> 'offre' <> %s::jsonb) AS sans_provenance, "
        "count(*) FILTER (WHERE nom ILIKE '%%fictif%%') AS noms_fictifs FROM offre",
        (SOURCE_LABEL, json.dumps(CNSA)),
    ).fetchone()
    assert bad == {"fictifs": 0, "autres": 0, "sans_provenance": 0, "noms_fictifs": 0}
    assert SOURCE_LABEL == "Annuaire CNSA, ≈ 2021"
    # covered by the commune of their EG (no zone d'intervention)
    uncovered = db.execute(
        "SELECT count(*) AS n FROM offre o WHERE o.geom IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM couverture c WHERE c.offre_id = o.id AND c.motif = 'localisation')"
    ).fetchone()["n"]
    assert uncovered == 0
    assert db.execute("SELECT count(*) AS n FROM zone_intervention").fetchone()["n"] == 0
    row = db.execute(
        "SELECT o.nom, o.modes_pec, o.temporalites, o.publics, e.commune_insee, c.insee FROM offre o "
        "JOIN etablissement e ON e.id = o.etablissement_id JOIN couverture c ON c.offre_id = o.id "
        "WHERE o.ror_id = 'cnsa-770790640-hebergement-temporaire'"
    ).fetchone()
    assert row["nom"] == "Hébergement temporaire — EHPAD de l'Hôpital de Brie Comte Robert"
    assert (row["modes_pec"], row["temporalites"], row["publics"]) == (["46"], ["01"], ["01"])
    assert row["insee"] == row["commune_insee"]


def test_capacity_on_the_main_offer_when_unambiguous(loaded, db, data_dir):
    rows = {r["noFinesset"]: r for r in _rows(data_dir)}
    caps = {r["ror_id"]: (r["capacite"], r["capacite_type"], r["provenance"].get("capacite")) for r in db.execute(
        "SELECT ror_id, capacite, capacite_type, provenance FROM offre WHERE capacite IS NOT NULL")}
    # Brie-Comte-Robert: HP + HT + AJ + UHR + UVP + PASA, all HT/AJ are type 21 like HP: the EG total on HP
    assert caps["cnsa-770790640-hebergement-permanent"] == (int(float(rows["770790640"]["capacity"])), "place", CNSA)
    assert not [k for k in caps if k.startswith("cnsa-770790640-") and not k.endswith("-hebergement-permanent")]
    # Résidence du moulin: résidence autonomie (22) + accueil de jour (21): ambiguous, EG only
    assert not [k for k in caps if k.startswith("cnsa-940805039-")]
    assert db.execute("SELECT capacite FROM etablissement WHERE finess = '940805039'").fetchone()["capacite"] == 98
    # independent sum: every EG with a capacity and exactly one main unit whose other own-place units share its type
    assert sum(c for c, _t, _p in caps.values()) == db.execute(
        "SELECT sum(e.capacite) AS s FROM etablissement e WHERE e.finess = ANY(%s)",
        ([f for f in rows if any(k.startswith(f"cnsa-{f}-") for k in caps)],)).fetchone()["s"]
    assert loaded[1].counts["capacites_placees"] == len(caps)
    # every ESLD row gives capacity 0 (unknown): no USLD figure
    assert not [k for k in caps if k.endswith("-usld")]


def test_rejected_rows_have_french_reasons(loaded):
    assert loaded[1].status == "reussi"
    assert loaded[1].counts["lus"] == 1258 and loaded[1].counts["rejetes"] == 1
    (rej,) = loaded[1].rejected
    assert rej.motif.startswith("FINESS 780022976 : aucun type d'établissement ni d'unité indiqué")


def test_rerun_is_idempotent_and_missing_egs_are_rejected(empty_db_factory, fetcher, data_dir, loaded):
    with connect(loaded[0]) as conn:
        before = conn.execute("SELECT count(*) AS n, max(id) AS m FROM offre").fetchone()
        again = load_cnsa_offers(conn, data_dir)
        after = conn.execute("SELECT count(*) AS n, max(id) AS m FROM offre").fetchone()
    assert before == after and again.counts["offres_supprimees"] == 0
    url = empty_db_factory()
    with connect(url) as conn:
        load_geography(conn, fetcher, region="11")
        report = load_cnsa_offers(conn, data_dir)
    assert report.counts["rejetes"] == 1258 and report.counts["offres"] == 0
    assert "chargez d'abord les établissements" in report.rejected[0].motif


def _ror_bundle(finess: str, capacity: bool) -> dict:
    """A ROR EG (by FINESS) and its hébergement permanent offer, optionally with a Location capacity."""
    hs = {
        "resourceType": "HealthcareService", "id": "ror-hp-1", "meta": {"lastUpdated": "2025-03-01T10:00:00Z"},
        "identifier": [{"value": "11/0001"}], "name": "EHPAD — hébergement permanent (ROR)",
        "providedBy": {"identifier": {"system": "http://finess.esante.gouv.fr", "value": finess}},
        "category": [{"coding": [{"system": "https://mos.esante.gouv.fr/NOS/TRE_R244-CategorieOrganisation/FHIR/"
                                            "TRE-R244-CategorieOrganisation", "code": "21"}]}],
        "characteristic": [{"coding": [{"system": "https://mos.esante.gouv.fr/NOS/TRE_R213-ModePriseEnCharge/FHIR/"
                                                  "TRE-R213-ModePriseEnCharge", "code": "46"}]}],
    }
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": hs}]}


def test_ror_wins_over_cnsa_field_by_field(empty_db_factory, fetcher, data_dir, tmp_path):
    url = empty_db_factory()
    finess = "770790640"
    path = tmp_path / "ror.json"
    path.write_text(json.dumps(_ror_bundle(finess, capacity=False)), encoding="utf-8")
    with connect(url) as conn:
        load_geography(conn, fetcher, region="11")
        load_nomenclatures(conn, data_dir)
        load_establishments(conn, data_dir)
        load_cnsa_offers(conn, data_dir)
        cap = conn.execute("SELECT capacite FROM offre WHERE ror_id = %s",
                           (f"cnsa-{finess}-hebergement-permanent",)).fetchone()["capacite"]
        report = load_fhir(conn, [path])
        assert report.counts["offres_cnsa_remplacees"] == 1
        rows = {r["ror_id"]: r for r in conn.execute(
            "SELECT o.ror_id, o.nom, o.capacite, o.provenance, o.source FROM offre o "
            "JOIN etablissement e ON e.id = o.etablissement_id WHERE e.finess = %s", (finess,))}
        assert f"cnsa-{finess}-hebergement-permanent" not in rows
        ror = rows["ror-hp-1"]
        assert ror["nom"] == "EHPAD — hébergement permanent (ROR)" and ror["capacite"] == cap  # CNSA fills the gap
        assert ror["provenance"]["offre"] == {"source": "ROR", "millesime": "2025-03-01"}
        assert ror["provenance"]["capacite"] == CNSA
        assert f"cnsa-{finess}-hebergement-temporaire" in rows  # other units stay
        # the annuaire loaded again does not bring the replaced unit back
        again = load_cnsa_offers(conn, data_dir)
        assert again.counts["remplacees_par_ror"] == 1
        assert conn.execute("SELECT count(*) AS n FROM offre WHERE ror_id = %s",
                            (f"cnsa-{finess}-hebergement-permanent",)).fetchone()["n"] == 0
        assert conn.execute("SELECT capacite FROM offre WHERE ror_id = 'ror-hp-1'").fetchone()["capacite"] == cap


def test_demo_invents_no_unit_where_real_ones_exist(loaded, tmp_path):
    with connect(loaded[0]) as conn:
        summary = generate(conn, tmp_path)
        real = {r["finess"] for r in conn.execute(
            "SELECT DISTINCT e.finess FROM offre o JOIN etablissement e ON e.id = o.etablissement_id")}
    assert not any(k in summary["offres_par_type"] for k in ("ehpad_hp", "ehpad_ht", "ehpad_aj", "pasa", "uhr"))
    text = (tmp_path / "02-ehpad.json").read_text(encoding="utf-8") if (tmp_path / "02-ehpad.json").exists() else ""
    assert not any(f"demo-{f}-" in text for f in real)


R69 = "https://mos.esante.gouv.fr/NOS/TRE_R69-FinessAgregatStatutJuridiqueNiv2/FHIR/TRE-R69-FinessAgregatStatutJuridiqueNiv2"
R72 = "https://mos.esante.gouv.fr/NOS/TRE_R72-FinessStatutJuridique/FHIR/TRE-R72-FinessStatutJuridique"
ROR_SD = "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition"


def _price(kind: str, unit: str, amount: float, **more: object) -> dict:
    """One ``ror-organization-price`` (TRE_R246 type, TRE_R228 unit), as ROROrganizationPrice.fsh defines it."""
    nos = "https://mos.esante.gouv.fr/NOS"
    subs = [
        {"url": "priceType", "valueCodeableConcept": {"coding": [
            {"system": f"{nos}/TRE_R246-TypeTarif/FHIR/TRE-R246-TypeTarif", "code": kind}]}},
        {"url": "priceUnit", "valueCodeableConcept": {"coding": [
            {"system": f"{nos}/TRE_R228-UnitePrix/FHIR/TRE-R228-UnitePrix", "code": unit}]}},
        {"url": "amount", "valueMoney": {"value": amount, "currency": "EUR"}},
        {"url": "startDate", "valueDateTime": "2025-01-01T00:00:00+01:00"},
    ]
    if "welcome" in more:
        system = f"{nos}/TRE_R240-TemporaliteAccueil/FHIR/TRE-R240-TemporaliteAccueil"
        subs.append({"url": "welcomeType",
                     "valueCodeableConcept": {"coding": [{"system": system, "code": more["welcome"]}]}})
    if "under60" in more:
        subs.append({"url": "under60", "valueBoolean": more["under60"]})
    return {"url": f"{ROR_SD}/ror-organization-price", "extension": subs}


def _ror_structures(finess: str, prices: list[dict]) -> dict:
    """The EJ (TRE_R72 + TRE_R69 as in ROROrganizationExempleEJ.fsh) and the EG of a CNSA EHPAD, with prices."""
    ej = {"resourceType": "Organization", "id": "ror-ej-1", "meta": {"lastUpdated": "2025-02-01T10:00:00Z"},
          "name": "Association gestionnaire (ROR)",
          "type": [{"coding": [{"system": R72, "code": "61"}]}, {"coding": [{"system": R69, "code": "2100"}]}]}
    eg = {"resourceType": "Organization", "id": "ror-eg-1", "meta": {"lastUpdated": "2025-03-01T10:00:00Z"},
          "name": "EHPAD (ROR)", "partOf": {"reference": "Organization/ror-ej-1"},
          "identifier": [{"system": "https://finess.esante.gouv.fr", "value": finess}],
          "type": [{"coding": [{"system": "https://mos.esante.gouv.fr/NOS/TRE_R66-CategorieEtablissement/FHIR/"
                                          "TRE-R66-CategorieEtablissement", "code": "500"}]}],
          "extension": prices}
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": ej}, {"resource": eg}]}


def test_ror_legal_status_and_price_win_over_cnsa(db, data_dir, tmp_path):
    """The ROR's legal status (EJ, TRE_R69) and lowest permanent-accommodation price (EG, monthly; a daily price
    converted to 30 days) replace the CNSA values with provenance ROR; the capacity, which the ROR does not give on
    the EG, stays the CNSA one; the annuaire loaded again changes none of the ROR values."""
    finess = "770790640"  # CNSA: Public, 209 places, prixMin 2,072.10 € (monthly)
    before = db.execute("SELECT capacite, statut_juridique, prix_min, provenance_champs FROM etablissement "
                        "WHERE finess = %s", (finess,)).fetchone()
    assert (before["capacite"], before["statut_juridique"], float(before["prix_min"])) == (209, "Public", 2072.10)
    prices = [
        _price("02", "3", 2150.0, welcome="02"),      # monthly, permanent
        _price("02", "2", 69.5),                      # daily, accommodation unspecified: 69.5 × 30 = 2,085
        _price("02", "2", 40.0, welcome="01"),        # temporary accommodation: not the CNSA price
        _price("02", "2", 30.0, under60=True),        # under-60 rate: not the CNSA price
        _price("03", "2", 6.1),                       # dependency rate (TRE_R246 03): not accommodation
        _price("02", "1", 20.0),                      # hourly: not comparable
    ]
    path = tmp_path / "ror-structures.json"
    path.write_text(json.dumps(_ror_structures(finess, prices)), encoding="utf-8")
    report = load_fhir(db, [path])
    assert report.status == "reussi", report.rejected
    ror = {"source": "ROR"}
    got = db.execute("SELECT capacite, statut_juridique, prix_min, provenance_champs FROM etablissement "
                     "WHERE finess = %s", (finess,)).fetchone()
    assert (got["capacite"], got["statut_juridique"], float(got["prix_min"])) == (209, "Privé non lucratif", 2085.0)
    assert got["provenance_champs"]["capacite"] == before["provenance_champs"]["capacite"] == CNSA
    assert got["provenance_champs"]["statut_juridique"] == {**ror, "millesime": "2025-03-01"}
    assert got["provenance_champs"]["prix_min"] == {
        **ror, "millesime": "2025-01-01", "unite": "mensuel", "montant_lu": 69.5, "unite_lue": "journalier",
        "debut_validite": "2025-01-01", "conversion": "tarif journalier × 30 jours"}
    load_establishments(db, data_dir)  # the CNSA annuaire again
    again = db.execute("SELECT capacite, statut_juridique, prix_min, provenance_champs FROM etablissement "
                       "WHERE finess = %s", (finess,)).fetchone()
    assert again == got
    # a later ROR EG without prices clears the ROR price only (the CNSA one is reloaded by the next annuaire load)
    path.write_text(json.dumps(_ror_structures(finess, [])), encoding="utf-8")
    load_fhir(db, [path])
    last = db.execute("SELECT statut_juridique, prix_min, provenance_champs FROM etablissement WHERE finess = %s",
                      (finess,)).fetchone()
    assert last["prix_min"] is None and "prix_min" not in last["provenance_champs"]
    assert last["statut_juridique"] == "Privé non lucratif"
    load_establishments(db, data_dir)
    assert float(db.execute("SELECT prix_min FROM etablissement WHERE finess = %s",
                            (finess,)).fetchone()["prix_min"]) == 2072.10
