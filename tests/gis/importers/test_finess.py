"""FINESS cs1100507 importer on hand-written sample files (tests/fixtures/finess/, official layout).

The sample (written for these tests, not real establishments) has 13 structureet lines and 10
geolocalisation lines: an EHPAD in Créteil, a SSIAD in Melun, a hospital in Paris 13e, a CEDEX
postcode (Versailles), a Guadeloupe row in UTM_N20, a malformed FINESS, an old-style
geolocalisation line (``;`` inside sourcecoordet), a Marseille row (out of the IDF perimeter), an
unknown projection, coordinates outside France, a truncated line, a quoted name without
geolocalisation, and a SSIAD declared in Melun whose point is in Fontainebleau. Encoded in cp1252.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest

from gis.errors import ImportFailed
from gis.importers.etablissements import EtabRecord, upsert_etablissements
from gis.importers.finess import commune_insee, departement_insee, load_finess

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "finess"
SAMPLE = FIXTURES / "etalab-cs1100507-echantillon.csv"
IDF_AND_GUADELOUPE = {"75", "77", "78", "91", "92", "93", "94", "95", "971"}


def lambert93_to_wgs84(x: float, y: float) -> tuple[float, float]:
    """Inverse Lambert-93 by the IGN formulas (ALG0004), independent of pyproj: (lon, lat) degrees."""
    e = 0.0818191910428158
    n = 0.7256077650532670
    c = 11754255.426096
    xs, ys = 700000.0, 12655612.049876
    r = math.hypot(x - xs, y - ys)
    gamma = math.atan((x - xs) / (ys - y))
    lon = math.radians(3.0) + gamma / n
    latiso = -1 / n * math.log(abs(r / c))
    phi = 2 * math.atan(math.exp(latiso)) - math.pi / 2
    for _ in range(20):
        k = ((1 + e * math.sin(phi)) / (1 - e * math.sin(phi))) ** (e / 2)
        phi = 2 * math.atan(k * math.exp(latiso)) - math.pi / 2
    return math.degrees(lon), math.degrees(phi)


def _geoloc(finess: str) -> tuple[float, float]:
    for line in SAMPLE.read_text(encoding="cp1252").splitlines():
        parts = line.split(";")
        if parts[0] == "geolocalisation" and parts[1] == finess:
            return float(parts[2]), float(parts[3])
    raise AssertionError(finess)


def _etab(conn, finess):
    return conn.execute(
        "SELECT e.*, ST_X(geom) AS lon, ST_Y(geom) AS lat, j.finess AS ej_finess FROM etablissement e "
        "LEFT JOIN entite_juridique j ON j.id = e.ej_id WHERE e.finess = %s",
        (finess,),
    ).fetchone()


def test_pure_helpers():
    assert departement_insee("9A") == "971" and departement_insee("9F") == "976"
    assert departement_insee("75") == "75"
    assert commune_insee("9A", "101", "97139") == "97101"
    assert commune_insee("9D", "411", "97400") == "97411"
    assert commune_insee("75", "056", "75013") == "75113"
    assert commune_insee("75", "056", "75116") == "75116"
    assert commune_insee("75", "056", "75738") == "75056"  # CEDEX: no arrondissement
    assert commune_insee("2A", "004", "20000") == "2A004"


def test_sample_counts_and_rejections(conn):
    report = load_finess(conn, SAMPLE, departements=IDF_AND_GUADELOUPE)
    assert report.status == "reussi"
    c = report.counts
    assert (c["lignes_structure"], c["lignes_geolocalisation"]) == (13, 10)
    assert c["charges"] == 10 and c["hors_perimetre"] == 1 and c["sans_coordonnees"] == 3
    assert c["date_extraction"] == 20240512
    motifs = {r.reference.split(":")[-1]: r.motif for r in report.rejected}
    assert motifs == {
        "7": "numéro FINESS ET mal formé ('95000X016')",
        "12": "ligne illisible : 4 champs au lieu de 32",
        "22": "FINESS 910000019 : projection inconnue ('UTM_N99'), coordonnées ignorées",
        "23": motifs["23"],
    }
    assert motifs["23"].startswith("FINESS 930000020 : coordonnées hors de France")
    assert conn.execute("SELECT count(*) AS n FROM etablissement WHERE finess = '95000X016'").fetchone()["n"] == 0
    run = conn.execute("SELECT status, counts FROM import_run WHERE id = %s", (report.run_id,)).fetchone()
    assert run["status"] == "reussi" and run["counts"]["rejetes"] == 4


def test_lambert93_converted_within_one_metre(conn):
    load_finess(conn, SAMPLE, departements=IDF_AND_GUADELOUPE)
    for finess in ("940000011", "750000013", "920000017"):  # 920000017 = old-style line
        x, y = _geoloc(finess)
        lon, lat = lambert93_to_wgs84(x, y)
        row = _etab(conn, finess)
        dy = (row["lat"] - lat) * 111_320
        dx = (row["lon"] - lon) * 111_320 * math.cos(math.radians(lat))
        assert math.hypot(dx, dy) < 1.0, finess
    ehpad = _etab(conn, "940000011")
    assert ehpad["nom"] == "EHPAD LES TILLEULS (ÉCHANTILLON)"  # cp1252 decoded
    assert ehpad["categorie"] == "500" and ehpad["commune_insee"] == "94028"
    assert ehpad["ej_finess"] == "940000003" and ehpad["geocodage_qualite"] == "source"
    assert ehpad["geocodage_source"].endswith("LAMBERT_93")
    assert ehpad["adresse"] == "12 R DES ÉCOLES" and ehpad["source_date"].isoformat() == "2024-05-12"
    old_style = _etab(conn, "920000017")
    assert old_style["commune_insee"] == "92050" and old_style["geocodage_alerte"] is None


def test_guadeloupe_utm_n20(conn):
    load_finess(conn, SAMPLE, departements=IDF_AND_GUADELOUPE)
    row = _etab(conn, "970000015")
    x, y = _geoloc("970000015")
    expected = conn.execute(
        "SELECT ST_X(p) AS lon, ST_Y(p) AS lat FROM "
        "(SELECT ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 5490), 4326) AS p) s",
        (x, y),
    ).fetchone()
    assert abs(row["lon"] - expected["lon"]) < 1e-5 and abs(row["lat"] - expected["lat"]) < 1e-5
    assert 15.8 < row["lat"] < 16.6 and -61.9 < row["lon"] < -61.0  # Grande-Terre / Basse-Terre
    assert row["commune_declaree"] == "97101" and row["code_postal"] == "97139"
    # Guadeloupe is not in the loaded geography
    assert row["commune_insee"] is None and row["geocodage_alerte"] == "point hors de la région chargée"


def test_paris_cedex_quoted_and_commune_fallback(conn):
    report = load_finess(conn, SAMPLE, departements=IDF_AND_GUADELOUPE)
    paris = _etab(conn, "750000013")
    assert (paris["commune_declaree"], paris["commune_insee"], paris["arrondissement_insee"]) == (
        "75113", "75056", "75113")
    cedex = _etab(conn, "780000014")
    assert (cedex["code_postal"], cedex["ville"], cedex["commune_insee"]) == ("78011", "VERSAILLES", "78646")
    assert cedex["geocodage_alerte"] is None  # CEDEX postcode of the same département: not flagged
    quoted = _etab(conn, "950000022")
    assert quoted["nom"] == 'LIEU DE VIE "LES OISEAUX"'
    assert quoted["geocodage_qualite"] == "commune" and quoted["commune_insee"] == "95127"
    # unknown projection / outside France: loaded at the centre of the declared commune
    assert _etab(conn, "910000019")["geocodage_qualite"] == "commune"
    assert _etab(conn, "930000020")["commune_insee"] == "93008"
    misplaced = _etab(conn, "770000023")
    assert misplaced["commune_insee"] == "77186"
    assert "code postal déclaré 77000" in misplaced["geocodage_alerte"]
    assert "commune déclarée 77288 différente" in misplaced["geocodage_alerte"]
    c = report.counts
    assert (c["geocodage.hors_region"], c["geocodage.alerte_code_postal"], c["geocodage.alerte_commune"]) == (1, 1, 1)
    assert c["geocodage.centre_commune"] == 3


def test_default_perimeter_is_loaded_departements(conn):
    report = load_finess(conn, SAMPLE)
    assert report.counts["hors_perimetre"] == 2  # Marseille and Guadeloupe
    assert report.counts["charges"] == 9
    assert _etab(conn, "970000015") is None


def test_utf8_file_and_rerun_does_not_duplicate(conn, tmp_path):
    utf8 = tmp_path / "etalab-cs1100507-utf8.csv"
    utf8.write_text(SAMPLE.read_text(encoding="cp1252"), encoding="utf-8")
    load_finess(conn, SAMPLE, departements=IDF_AND_GUADELOUPE)
    load_finess(conn, SAMPLE, departements=IDF_AND_GUADELOUPE)
    load_finess(conn, utf8, departements=IDF_AND_GUADELOUPE)
    n = conn.execute("SELECT count(*) AS n FROM etablissement").fetchone()["n"]
    assert n == 10
    row = _etab(conn, "940000011")
    assert row["nom"] == "EHPAD LES TILLEULS (ÉCHANTILLON)"
    assert [p["ref"] for p in row["provenance"]] == [
        "etalab-cs1100507-echantillon.csv:2", "etalab-cs1100507-utf8.csv:2"]
    assert conn.execute("SELECT count(*) AS n FROM entite_juridique WHERE finess = '770000004'").fetchone()["n"] == 1


def test_newest_source_wins_and_keeps_older_values(conn):
    older = EtabRecord(finess="950000022", nom="ANCIEN NOM", source="idf_handicap_adultes_2013",
                       source_date=date(2013, 5, 15), ref="x.csv:2",
                       telephone="0130000000", lat=49.04, lon=2.06)
    upsert_etablissements(conn, [older])
    load_finess(conn, SAMPLE, departements=IDF_AND_GUADELOUPE)
    row = _etab(conn, "950000022")
    assert row["nom"] == 'LIEU DE VIE "LES OISEAUX"' and row["source"] == "finess"
    assert row["telephone"] == "0130000000"  # FINESS has none: older value kept
    assert row["geocodage_qualite"] == "source"  # the older real point beats a commune centre
    assert [p["source"] for p in row["provenance"]] == ["idf_handicap_adultes_2013", "finess"]


def test_malformed_file_rolls_back_everything(conn):
    load_finess(conn, SAMPLE, departements=IDF_AND_GUADELOUPE)
    before = conn.execute("SELECT count(*) AS n FROM etablissement").fetchone()["n"]
    with pytest.raises(ImportFailed) as err:
        load_finess(conn, FIXTURES / "pas-une-extraction.csv")
    assert "n'est pas une extraction FINESS" in err.value.message
    assert conn.execute("SELECT count(*) AS n FROM etablissement").fetchone()["n"] == before
    run = conn.execute(
        "SELECT status, message FROM import_run WHERE kind = 'finess' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert run["status"] == "echoue" and "première ligne inattendue" in run["message"]
