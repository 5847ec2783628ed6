"""Real IDF establishment lists: per-source counts (README figures), dedup by FINESS, provenance,
coordinate quirks, Paris arrondissements, geocoding flags checked by hand, re-runs."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from gis.db import connect
from gis.importers.etablissements import (
    clean_finess,
    clean_postcode,
    is_mangled,
    load_establishments,
    split_cp_ville,
)
from gis.importers.geography import load_geography
from gis.importers.nomenclatures import load_nomenclatures
from gis.importers.report import ImportReport

IDF = {"75", "77", "78", "91", "92", "93", "94", "95"}
SOURCES_EXPECTED = {  # rows per source stated in establishments/README.md and the Eurostat section
    "idf_hopitaux_2013": 1223,
    "idf_handicap_adultes_2013": 858,
    "idf_handicap_enfants_2013": 645,
    "idf_centres_sante_2013": 108,
    "ime_idf_2021": 192,
    "cnsa_annuaire_pa": 1258,
    "eurostat_hopitaux": 610,
}
# Établissements whose point contradicts the declared postcode, checked by hand on a map.
POSTCODE_FLAGS = {
    "780002648",  # foyer de vie « Les Papillons blancs », 78701 Conflans: point in Herblay-sur-Seine
    "780680104",  # IME La Rencontre, 78150 Le Chesnay: IME 2021 point in Trappes
    "780826186",  # foyer Maison de Lyliane, 78550 Richebourg: point in Bernay-Vilbert (77)
    "910680081",  # CMPP, 91190 Gif-sur-Yvette: point in Saint-Rémy-lès-Chevreuse (78)
    "910805803",  # Résidence Avril, 91160 Longjumeau: point in Boussy-Saint-Antoine
    "910815729",  # ESAT des Guyards, 91201 Athis-Mons: point in Rungis (94)
    "930000328",  # CH Delafontaine, 93205 Saint-Denis: 2013 point in Gonesse (Eurostat point dropped)
    "950006098",  # Centre Thorez, 95100 Argenteuil: point in Bois-Colombes (92)
    "950006759",  # STEPAD Pierre Male, 95400 Arnouville: point in Le Blanc-Mesnil (93)
    "950801506",  # CMPP Arthur Rimbaud, 95140 Garges-lès-Gonesse: point in Saint-Denis (93)
}


@pytest.fixture(scope="module")
def loaded(empty_db_factory, fetcher, data_dir) -> Iterator[tuple[str, ImportReport]]:
    """A database of its own with geography, nomenclatures and the establishments (committed)."""
    url = empty_db_factory()
    with connect(url) as conn:
        load_geography(conn, fetcher, region="11")
        load_nomenclatures(conn, data_dir)
        report = load_establishments(conn, data_dir)
    yield url, report


@pytest.fixture
def db(loaded) -> Iterator[psycopg.Connection]:
    with connect(loaded[0]) as c, c.transaction(force_rollback=True):
        yield c


def _expected_finess(data_dir: Path) -> set[str]:
    """Distinct FINESS ET of the seven sources, computed with the csv module only."""
    out: set[str] = set()
    region = data_dir / "establishments" / "region-idf-finess-2013"
    for name in (
        "les_etablissements_hospitaliers_franciliens.csv",
        "etablissements_et_services_pour_adultes_handicapes.csv",
        "etablissements_et_services_pour_l_enfance_et_la_jeunesse_handicapee.csv",
    ):
        with (region / name).open(encoding="utf-8-sig", newline="") as f:
            out |= {r["FINESS_ET"] for r in csv.DictReader(f, delimiter=";")}
    doc = json.loads((region / "centres_de_soins_en_ile-de-france.geojson").read_text(encoding="utf-8"))
    out |= {f"{feat['properties']['finess_et']:09d}" for feat in doc["features"]}
    with (data_dir / "establishments" / "ime-idf" / "ime-idf-geocod-tri.csv").open(encoding="utf-8") as f:
        out |= {r["Numéro_FINESS"] for r in csv.DictReader(f) if r["Numéro_FINESS"]}
    with (data_dir / "establishments" / "cnsa-annuaire-pa" / "dataset_to_use.csv").open(encoding="utf-8") as f:
        out |= {r["noFinesset"] for r in csv.DictReader(f) if r["coordinates.deptcode"] in IDF}
    with (data_dir / "hopitaux-eurostat" / "FR.csv").open(encoding="utf-8") as f:
        out |= {r["id"].zfill(9) for r in csv.DictReader(f) if r["postcode"][:2] in IDF}
    return out


def test_pure_cleaners():
    assert clean_finess(750011850) == "750011850"
    assert clean_finess("10000024") == "010000024"
    assert clean_finess("930024120") == "930024120"
    assert clean_postcode("75017.0") == "75017" and clean_postcode("1600.0") == "01600"
    assert split_cp_ville("95800 CERGY") == ("95800", "CERGY")
    assert split_cp_ville("75738 PARIS CEDEX 15") == ("75738", "PARIS")
    assert split_cp_ville("78011 VERSAILLES CEDEX") == ("78011", "VERSAILLES")
    assert is_mangled("03-mai") and is_mangled("sept.-21") and is_mangled("déc.-14")
    assert not is_mangled("10 R DE L'ECLIPSE") and not is_mangled("BP 12")


def test_per_source_counts(loaded):
    _url, report = loaded
    assert report.status == "reussi"
    c = report.counts
    assert {name: c[f"{name}.lus"] for name in SOURCES_EXPECTED} == SOURCES_EXPECTED
    assert {name: c[f"{name}.rejetes"] for name in SOURCES_EXPECTED} == dict.fromkeys(SOURCES_EXPECTED, 0)
    assert c["ime_idf_2021.ignores"] == 10  # summary lines (blank, MOYENNE, MEDIANE…)
    assert c["cnsa_annuaire_pa.hors_perimetre"] == 11747 - 1258
    assert c["eurostat_hopitaux.hors_perimetre"] == 5368 - 610
    assert c["idf_handicap_enfants_2013.doublons"] == 1  # the one FINESS duplicated in the file


def test_distinct_finess_after_dedup(loaded, db, data_dir):
    expected = _expected_finess(data_dir)
    assert len(expected) == 4117
    assert loaded[1].counts["finess_distincts"] == len(expected)
    rows = {r["finess"] for r in db.execute("SELECT finess FROM etablissement")}
    assert rows == expected
    total = sum(SOURCES_EXPECTED.values())
    doublons = sum(loaded[1].counts[f"{n}.doublons"] for n in SOURCES_EXPECTED)
    assert total - doublons == len(expected)


def test_provenance_and_newest_wins(db):
    # IME Jacques Maraux: 2013 children file (Andilly) + IME 2021 list (point at lat 50.99, dropped).
    row = db.execute(
        "SELECT nom, source, source_date, categorie, provenance, commune_insee, geocodage_source, "
        "code_postal, ville, finess_ej FROM etablissement WHERE finess = '950002220'"
    ).fetchone()
    assert [(p["source"], p["date"]) for p in row["provenance"]] == [
        ("idf_handicap_enfants_2013", "2013-05-15"), ("ime_idf_2021", "2021-12-31")]
    assert row["provenance"][0]["ref"].endswith(".csv:332")
    assert row["source"] == "ime_idf_2021" and row["nom"] == "IME Jacques Maraux"  # newest name
    assert (row["code_postal"], row["ville"]) == ("95580", "ANDILLY")  # only the 2013 file has them
    assert row["geocodage_source"] == "idf_handicap_enfants_2013"
    assert row["commune_insee"] == "95014"  # Andilly
    assert row["categorie"] == "183" and row["finess_ej"] == "930019484"


def test_ime_outside_idf_is_warned(loaded):
    warnings = [w for w in loaded[1].warnings if "950002220" in w.reference]
    assert len(warnings) == 1
    assert warnings[0].motif == "coordonnées hors d'Île-de-France (lat 50.990234, lon 2.220086) : position ignorée"


def test_swapped_cnsa_row_lands_in_coubron(loaded, db):
    row = db.execute(
        "SELECT ST_Y(geom) AS lat, ST_X(geom) AS lon, commune_insee, categorie, code_postal, geocodage_alerte "
        "FROM etablissement WHERE finess = '930024120'"
    ).fetchone()
    assert row["commune_insee"] == "93015" and row["geocodage_alerte"] is None
    assert (round(row["lat"], 5), round(row["lon"], 6)) == (48.91625, 2.577531)
    assert row["categorie"] == "500" and row["code_postal"] == "93470"
    motifs = [w.motif for w in loaded[1].warnings if "930024120" in w.reference]
    assert len(motifs) == 1 and motifs[0].startswith("latitude et longitude inversées")


def test_paris_hospital_gets_its_arrondissement(db):
    row = db.execute(
        "SELECT commune_insee, arrondissement_insee, code_postal, ville FROM etablissement "
        "WHERE finess = '750100125'"  # Pitié-Salpêtrière, 75651 PARIS CEDEX 13
    ).fetchone()
    assert row == {"commune_insee": "75056", "arrondissement_insee": "75113", "code_postal": "75651",
                   "ville": "PARIS"}
    n = db.execute(
        "SELECT count(*) FILTER (WHERE arrondissement_insee IS NULL) AS sans, count(*) AS n "
        "FROM etablissement WHERE commune_insee = '75056'"
    ).fetchone()
    assert n["sans"] == 0 and n["n"] > 300


def test_quirks_categories_and_addresses(loaded, db):
    def one(finess):
        return db.execute("SELECT * FROM etablissement WHERE finess = %s", (finess,)).fetchone()

    cergy = one("950032722")  # CP_VILLE "95800 CERGY" (2013); Eurostat 2020 (newer) gives the address
    assert (cergy["code_postal"], cergy["ville"], cergy["adresse"]) == ("95800", "CERGY", "10 RUE DE L ECLIPSE")
    assert cergy["categorie"] == "355" and cergy["source"] == "eurostat_hopitaux"
    # ADRESSE_ADMINISTRATIVE_2 = "04-juin" (spreadsheet date): ADRESSE_COMPLETE is used
    assert one("750050973")["adresse"] == "4 VLA DE L'ASTROLABE"
    centre = one("750011850")  # centres de santé: integer FINESS, date 2062-01-06 read as 1962
    assert centre["date_ouverture"].isoformat() == "1962-01-06" and centre["categorie"] == "439"
    eurostat_only = db.execute(
        "SELECT categorie, count(*) AS n FROM etablissement WHERE source = 'eurostat_hopitaux' "
        "GROUP BY categorie ORDER BY categorie"
    ).fetchall()
    assert all(r["categorie"] is not None for r in eurostat_only)  # every label matched TRE_R66
    bourg = db.execute(
        "SELECT count(*) AS n FROM etablissement WHERE finess LIKE '0%'"
    ).fetchone()["n"]
    assert bourg == 0  # Eurostat rows outside IDF filtered out
    no_category = [w for w in loaded[1].warnings if "IsEHPA" in w.motif]
    assert len(no_category) == 23  # EHPA: 501 or 502, undecidable
    mangled = db.execute(
        "SELECT count(*) AS n FROM etablissement WHERE adresse ~ '^[0-9]{1,2}-[a-zéû]+\\.?$' "
        "OR adresse ~ '^[a-zéû]+\\.?-[0-9]{1,2}$'"
    ).fetchone()["n"]
    assert mangled == 0


def test_geocoding_flags_checked_by_hand(loaded, db):
    c = loaded[1].counts
    assert c["geocodage.localises"] == 4117 and c["geocodage.sans_position"] == 0
    assert c["geocodage.hors_region"] == 0 and c["geocodage.alerte_commune"] == 0
    flagged = {
        r["finess"]: r["geocodage_alerte"]
        for r in db.execute("SELECT finess, geocodage_alerte FROM etablissement WHERE geocodage_alerte IS NOT NULL")
    }
    assert set(flagged) == POSTCODE_FLAGS
    assert flagged["950006098"] == (
        "code postal déclaré 95100 incohérent avec la commune du point (Bois-Colombes, 92009)")
    # CEDEX postcodes of the right département are not flagged (CH de Versailles, 78011 VERSAILLES CEDEX)
    assert db.execute(
        "SELECT geocodage_alerte FROM etablissement WHERE finess = '780000345'"
    ).fetchone()["geocodage_alerte"] is None


def test_rerun_does_not_duplicate(loaded, db, data_dir):
    before = db.execute(
        "SELECT count(*) AS n, sum(jsonb_array_length(provenance)) AS p FROM etablissement"
    ).fetchone()
    ej = db.execute("SELECT count(*) AS n FROM entite_juridique").fetchone()["n"]
    report = load_establishments(db, data_dir)
    assert report.counts["finess_distincts"] == loaded[1].counts["finess_distincts"]
    after = db.execute(
        "SELECT count(*) AS n, sum(jsonb_array_length(provenance)) AS p FROM etablissement"
    ).fetchone()
    assert after == before
    assert before["p"] == sum(SOURCES_EXPECTED.values())
    assert db.execute("SELECT count(*) AS n FROM entite_juridique").fetchone()["n"] == ej


def _cnsa_idf_rows(data_dir: Path) -> list[dict[str, str]]:
    with (data_dir / "establishments" / "cnsa-annuaire-pa" / "dataset_to_use.csv").open(encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r["coordinates.deptcode"] in IDF]


def test_cnsa_capacity_status_and_price_equal_the_source(db, data_dir):
    rows = _cnsa_idf_rows(data_dir)
    expected = {
        r["noFinesset"]: (
            int(float(r["capacity"])) if r["capacity"] and float(r["capacity"]) > 0 else None,
            r["legal_status"] or None,
            round(float(r["prixMin"]), 2) if r["prixMin"] else None,
        )
        for r in rows
    }
    got = {
        r["finess"]: (r["capacite"], r["statut_juridique"], None if r["prix_min"] is None else float(r["prix_min"]))
        for r in db.execute(
            "SELECT finess, capacite, statut_juridique, prix_min FROM etablissement WHERE finess = ANY(%s)",
            (list(expected),),
        )
    }
    assert got == expected
    assert sum(1 for v in expected.values() if v[0] is not None) == 1258 - 55  # 55 rows give capacity 0
    total = db.execute("SELECT sum(capacite) AS s FROM etablissement").fetchone()["s"]
    assert total == sum(v[0] or 0 for v in expected.values())
    prov = db.execute(
        "SELECT provenance_champs FROM etablissement WHERE finess = '750030249'"  # accueil de jour Casa Delta 7
    ).fetchone()["provenance_champs"]
    cnsa = {"source": "Annuaire CNSA", "millesime": "≈ 2021"}
    assert prov == {"capacite": cnsa, "statut_juridique": cnsa}  # no price in the source row
    none = db.execute(
        "SELECT count(*) AS n FROM etablissement WHERE provenance_champs <> '{}' AND NOT finess = ANY(%s)",
        (list(expected),),
    ).fetchone()["n"]
    assert none == 0


def test_cnsa_zero_capacity_is_warned(loaded):
    motifs = [w.motif for w in loaded[1].warnings if w.motif == "capacité 0 dans la source : laissée vide"]
    assert len(motifs) == 55


def test_ror_value_wins_over_cnsa_on_reload(empty_db_factory, fetcher, data_dir):
    url = empty_db_factory()
    with connect(url) as conn:
        load_geography(conn, fetcher, region="11")
        load_nomenclatures(conn, data_dir)
        load_establishments(conn, data_dir)
        ror = {"source": "ROR", "millesime": "2024-03-01"}
        conn.execute(
            "UPDATE etablissement SET capacite = 7, provenance_champs = provenance_champs || %s::jsonb "
            "WHERE finess = '750030249'", (json.dumps({"capacite": ror}),))
        conn.commit()
        load_establishments(conn, data_dir)
        row = conn.execute(
            "SELECT capacite, statut_juridique, provenance_champs FROM etablissement WHERE finess = '750030249'"
        ).fetchone()
    assert row["capacite"] == 7 and row["provenance_champs"]["capacite"] == ror
    assert row["statut_juridique"] == "Privé non lucratif"
    assert row["provenance_champs"]["statut_juridique"] == {"source": "Annuaire CNSA", "millesime": "≈ 2021"}
