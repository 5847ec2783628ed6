"""FHIR importer against the real PostGIS test database: the ANS examples, format-faithful Bundles
(collection, searchset, transaction, batch), NDJSON, re-imports and malformed inputs."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from gis.errors import ImportFailed
from gis.importers.fhir import load_fhir

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fhir"
TODAY = date(2026, 6, 1)


def _load(conn, *paths: Path, **kw):
    return load_fhir(conn, list(paths), today=TODAY, **kw)


def _offre(conn, ror_id: str) -> dict:
    return conn.execute("SELECT * FROM offre WHERE ror_id = %s", (ror_id,)).fetchone()


def _zones(conn, offre_id: int) -> list[tuple[str, str]]:
    rows = conn.execute(
        "SELECT type_division, code FROM zone_intervention WHERE offre_id = %s ORDER BY type_division, code",
        (offre_id,),
    ).fetchall()
    return [(r["type_division"], r["code"]) for r in rows]


def _count(conn, table: str) -> int:
    return conn.execute(f"SELECT count(*) AS n FROM {table}").fetchone()["n"]


def _motifs(report, ref_part: str, gravite: str = "rejet") -> list[str]:
    return [r.motif for r in report.rejections if ref_part in r.reference and r.gravite == gravite]


def _insert_finess_eg(conn, finess: str, nom: str, lon: float, lat: float) -> int:
    """An EG as the FINESS importer would have stored it (real commune, geocoded point)."""
    return conn.execute(
        "INSERT INTO etablissement (finess, nom, categorie, geom, geocodage_source, geocodage_qualite, "
        "commune_insee, source) VALUES (%s, %s, '500', ST_SetSRID(ST_MakePoint(%s, %s), 4326), 'finess', "
        "'source', '92009', 'finess') RETURNING id",
        (finess, nom, lon, lat),
    ).fetchone()["id"]


# ------------------------------------------------------------------ the ANS examples


def _saisie_offre_payloads(data_dir: Path) -> list[dict]:
    """The JSON payloads of the IG page saisie_offre.md (scenario 1 = EJ, 2 = EG, 3 = SAAD…)."""
    page = (data_dir / "ror-fhir" / "examples" / "saisie_offre.md").read_text(encoding="utf-8")
    return [json.loads(m.group(1)) for m in re.finditer(r"```json\nPOST[^\n]*\n(.*?)```", page, re.S)]


@pytest.fixture
def ans_bundle(data_dir: Path, tmp_path: Path) -> Path:
    """A collection Bundle around the unchanged ANS examples, plus the organisations and places they
    reference (the EJ and EG of saisie_offre.md under the ids the examples use, and two of ours)."""
    examples = data_dir / "ror-fhir" / "examples"
    hs_mco = json.loads((examples / "HealthcareService-1234564.json").read_text(encoding="utf-8"))
    location = json.loads((examples / "Location-ror-location-exemple.json").read_text(encoding="utf-8"))
    saad = json.loads(
        (examples / "saisie_offre.scenario3-healthcareservice-saad.excerpt.json").read_text(encoding="utf-8")
    )
    payloads = _saisie_offre_payloads(data_dir)
    ej, eg = payloads[0], payloads[1]
    assert ej["name"] == "Quiétude" and eg["name"] == "Quiétude BOIS COLOMBES"
    base = "https://api.rordev.esante.gouv.fr/ws-diffusion-fhir/"
    eg_999999 = {  # the EG HealthcareService/1234564 points to; its FINESS is already in etablissement
        "resourceType": "Organization", "id": "999999", "name": "Établissement test 999999",
        "identifier": [{"system": "http://finess.esante.gouv.fr", "value": "920099999"}],
        "type": [{"coding": [{"system": "https://mos.esante.gouv.fr/NOS/TRE_R66-CategorieEtablissement/FHIR/"
                                        "TRE-R66-CategorieEtablissement", "code": "500"}]}],
    }
    location_654 = {  # the place of the SAAD (scenario 3 prerequisite), in Bois-Colombes
        "resourceType": "Location", "id": "654", "name": "Locaux Quiétude",
        "position": {"latitude": 48.918, "longitude": 2.269},
    }
    bundle = {
        "resourceType": "Bundle", "type": "collection",
        "entry": [
            {"fullUrl": base + "Organization/1111", "resource": ej},
            {"fullUrl": base + "Organization/2424", "resource": eg},
            {"fullUrl": base + "Organization/999999", "resource": eg_999999},
            {"fullUrl": base + "Location/654", "resource": location_654},
            {"fullUrl": base + "Location/ror-location-exemple", "resource": location},
            {"fullUrl": base + "HealthcareService/1234564", "resource": hs_mco},
            {"fullUrl": "urn:uuid:6b1e8a52-8d51-4a1f-9d9e-5a2f3c9b0a01", "resource": saad},
        ],
    }
    path = tmp_path / "ans-examples.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    return path


def test_ans_examples_load(conn, ans_bundle):
    existing = _insert_finess_eg(conn, "920099999", "EHPAD DU FICHIER FINESS", 2.2690, 48.9180)
    report = _load(conn, ans_bundle)
    assert report.status == "reussi"
    assert report.rejected == []

    mco = _offre(conn, "1234564")
    assert mco["identifiant"] == "06/0099999"
    assert (mco["champ"], mco["type_offre"], mco["activites"]) == ("01", "157", ["022"])
    assert (mco["age_min"], mco["age_max"], mco["unite_sensible"]) == (15, 150, False)
    assert [h["jour"] for h in mco["horaires"]] == [1, 2, 3, 4, 5, 6, 7]
    assert mco["horaires"][0] == {
        "jour": 1, "debut": "00:00", "fin": "23:59", "toute_la_journee": False, "type": "01",
        "debut_validite": "2025-04-08", "fin_validite": None,
    }
    assert mco["contacts"] == [{"nature": "06", "canal": "2", "valeur": "0199999999", "confidentialite": "1"}]
    assert mco["derniere_maj"].isoformat().startswith("2025-04-08T13:05:27")
    # Organization/999999 carries FINESS 920099999: merged into the FINESS row, whose point is kept.
    assert mco["etablissement_id"] == existing
    eg = conn.execute("SELECT * FROM etablissement WHERE id = %s", (existing,)).fetchone()
    assert eg["ror_id"] == "999999" and eg["geocodage_source"] == "finess" and eg["commune_insee"] == "92009"
    assert eg["nom"] == "Établissement test 999999" and eg["fictif"] is False
    # Location/888888 is not provided: the offer is kept, without a place, with a warning.
    assert mco["lieu_id"] is None
    assert any("Location/888888" in m for m in _motifs(report, "HealthcareService/1234564", "alerte"))

    saad = conn.execute("SELECT * FROM offre WHERE identifiant = 'ZZZ'").fetchone()
    assert saad["ror_id"] == "6b1e8a52-8d51-4a1f-9d9e-5a2f3c9b0a01"  # from the urn:uuid fullUrl
    assert (saad["type_offre"], saad["champ"]) == ("30", "04")  # category system "https://mos.esante.gouv.fr/NOS"
    assert saad["activites"] == ["298", "299"] and saad["familles"] == ["019", "020"]
    assert saad["modes_pec"] == ["59"] and saad["actes"] == ["0784", "0785", "0786", "0787"]
    assert (saad["publics"], saad["age_min"], saad["age_max"]) == (["01"], 60, 120)
    assert [h["jour"] for h in saad["horaires"]] == [1, 2, 3, 4, 5]  # valueInteger given as "1".."5"
    assert _zones(conn, saad["id"]) == [("3", "92036")]
    fixed = " ".join(_motifs(report, saad["ror_id"], "alerte"))
    assert "identifier (objet au lieu d'un tableau)" in fixed and "category" in fixed and "valueInteger" in fixed
    # providedBy Organization/2424 = the scenario-2 EG, itself part of the scenario-1 EJ.
    eg2424 = conn.execute(
        "SELECT e.*, j.nom AS ej_nom, j.statut_juridique FROM etablissement e "
        "JOIN entite_juridique j ON j.id = e.ej_id WHERE e.id = %s",
        (saad["etablissement_id"],),
    ).fetchone()
    assert (eg2424["ror_id"], eg2424["categorie"], eg2424["ej_nom"]) == ("2424", "460", "Quiétude")
    assert eg2424["statut_juridique"] == "72" and eg2424["finess"] is None  # idNatSt 3… is SIRET-based
    lieu = conn.execute("SELECT * FROM lieu WHERE id = %s", (saad["lieu_id"],)).fetchone()
    assert (lieu["ror_id"], lieu["commune_insee"]) == ("654", "92009")  # point in polygon

    versailles = conn.execute("SELECT * FROM lieu WHERE ror_id = 'ror-location-exemple'").fetchone()
    assert (versailles["commune_cog"], versailles["commune_insee"], versailles["geom"]) == ("78646", "78646", None)
    assert versailles["adresse"] == "7 rue porte de Buc" and versailles["code_postal"] == "78000"


# ------------------------------------------------------------------ own bundles


def test_collection_bundle_maps_tree_zones_contacts_and_polygons(conn):
    report = _load(conn, FIXTURES / "collection.json")
    assert report.rejected == []
    assert report.counts["offres"] == 4 and report.counts["lieux"] == 2

    eg = conn.execute("SELECT * FROM etablissement WHERE ror_id = 'eg-fixture-1'").fetchone()
    assert eg["finess"] == "750099992"  # idNatSt "1" + FINESS
    assert (eg["commune_insee"], eg["arrondissement_insee"], eg["geocodage_qualite"]) == ("75056", "75115", "source")
    assert eg["finess_ej"] == "750099991" and eg["telephone"] == "01 99 00 00 01" and eg["categorie"] == "500"
    oi = conn.execute("SELECT * FROM organisation_interne WHERE ror_id = 'oi-fixture-1'").fetchone()
    assert (oi["type_oi"], oi["etablissement_id"]) == ("4", eg["id"])

    hs1 = _offre(conn, "hs-fixture-1")
    assert (hs1["oi_id"], hs1["etablissement_id"]) == (oi["id"], eg["id"])  # providedBy OI → its EG
    assert hs1["temporalites"] == ["02"] and hs1["actes"] == ["0784"] and hs1["modes_pec"] == ["46"]
    assert sorted(c["confidentialite"] for c in hs1["contacts"]) == ["1", "2", "3"]  # stricter of contact/telecom
    assert _zones(conn, hs1["id"]) == []
    lieu = conn.execute("SELECT commune_insee FROM lieu WHERE id = %s", (hs1["lieu_id"],)).fetchone()
    assert lieu["commune_insee"] == "75115"
    rocq = conn.execute("SELECT commune_cog, commune_insee FROM lieu WHERE ror_id = 'loc-fixture-2'").fetchone()
    assert (rocq["commune_cog"], rocq["commune_insee"]) == ("78524", "78158")  # delegated code resolved

    hs2 = _offre(conn, "hs-fixture-2")
    assert hs2["modalites_accueil"] == ["05"] and hs2["publics"] == ["01", "02"]
    assert _zones(conn, hs2["id"]) == [
        ("1", "11"), ("2", "93"), ("3", "01053"), ("3", "75112"), ("3", "78524"), ("3", "92012"), ("3", "99999"),
    ]
    warnings = " ".join(_motifs(report, "hs-fixture-2", "alerte"))
    assert "99999 inconnu" in warnings and "01053 inconnu" in warnings
    assert "78524" not in warnings  # a delegated code is valid, not a warning

    hs3 = _offre(conn, "hs-fixture-3")
    assert (hs3["unite_sensible"], hs3["statut"]) == (True, "fermee_temporairement")
    assert (hs3["date_fermeture"], hs3["date_reouverture"]) == (date(2026, 1, 1), date(2099, 1, 1))
    poly = conn.execute(
        "SELECT ST_IsValid(geom) AS ok, ST_Area(geom_l93) / 1e6 AS km2, ST_SRID(geom_l93) AS srid "
        "FROM zone_polygone WHERE offre_id = %s",
        (hs3["id"],),
    ).fetchone()
    assert poly["ok"] and poly["srid"] == 2154 and 45 < poly["km2"] < 55  # 0.1° x 0.06° at 48.8° N

    hs4 = _offre(conn, "hs-fixture-4")
    assert hs4["statut"] == "fermee"  # active = false, no reopening date
    bowtie = conn.execute(
        "SELECT ST_IsValid(geom) AS ok, ST_NumGeometries(geom) AS parts FROM zone_polygone WHERE offre_id = %s",
        (hs4["id"],),
    ).fetchone()
    assert bowtie == {"ok": True, "parts": 2}  # self-intersecting ring made valid (base64 attachment)


def test_searchset_bundle_with_absolute_references(conn):
    report = _load(conn, FIXTURES / "searchset.json")
    assert report.rejected == []
    assert report.counts["ignores"] == 2  # the Practitioner and the OperationOutcome entry
    hs = _offre(conn, "hs-search-1")
    eg = conn.execute("SELECT * FROM etablissement WHERE id = %s", (hs["etablissement_id"],)).fetchone()
    assert (eg["ror_id"], eg["finess"], eg["categorie"], eg["commune_insee"]) == (
        "eg-search-1", "930099993", "446", "93008",
    )
    lieu = conn.execute("SELECT ror_id FROM lieu WHERE id = %s", (hs["lieu_id"],)).fetchone()
    assert lieu["ror_id"] == "loc-search-1"  # ".../Location/loc-search-1/_history/2"
    assert hs["modalites_accueil"] == ["05"] and _zones(conn, hs["id"]) == [("3", "93005"), ("3", "93008")]


def test_transaction_bundle_with_urn_uuid_and_existing_references(conn):
    _load(conn, FIXTURES / "collection.json")
    report = _load(conn, FIXTURES / "transaction.json")
    assert report.rejected == []
    assert any("Suppression" in m for m in _motifs(report, "entry[4]", "alerte"))
    eg = conn.execute("SELECT * FROM etablissement WHERE finess = '920099994'").fetchone()
    assert eg["ror_id"] == "2f0c6a2e-9d1b-4d8e-8a51-0c1d6a7e0001" and eg["categorie"] == "354"
    assert eg["ej_id"] is not None  # partOf Organization/ej-fixture-1, already in the database
    # No geolocation: placed at the centre of its declared commune, and flagged as such.
    assert (eg["geocodage_qualite"], eg["commune_insee"]) == ("commune", "92012")
    hs = conn.execute("SELECT * FROM offre WHERE identifiant = '11/0000020'").fetchone()
    assert hs["etablissement_id"] == eg["id"] and hs["lieu_id"] is not None
    put = _offre(conn, "hs-put-1")  # id from request.url
    assert put["etablissement_id"] == eg["id"] and put["modes_pec"] == ["47"]


def test_ndjson_bad_line_rejected_others_loaded(conn):
    _load(conn, FIXTURES / "collection.json")
    report = _load(conn, FIXTURES / "offers.ndjson")
    assert [r.reference for r in report.rejected] == ["offers.ndjson:2"]
    assert "Ligne JSON invalide" in report.rejected[0].motif
    eg_id = conn.execute("SELECT id FROM etablissement WHERE ror_id = 'eg-fixture-1'").fetchone()["id"]
    for ror_id in ("hs-ndjson-1", "hs-ndjson-2"):
        assert _offre(conn, ror_id)["etablissement_id"] == eg_id  # reference to a row already in the database
    stored = conn.execute(
        "SELECT reference, motif, gravite FROM import_rejet WHERE run_id = %s AND gravite = 'rejet'", (report.run_id,)
    ).fetchall()
    assert [r["reference"] for r in stored] == ["offers.ndjson:2"]


def test_reimport_updates_without_duplicates(conn, tmp_path):
    first = _load(conn, FIXTURES / "collection.json")
    tables = ("offre", "etablissement", "lieu", "organisation_interne", "zone_intervention")
    counts = {t: _count(conn, t) for t in tables}
    assert first.counts["offres_creees"] == 4
    bundle = json.loads((FIXTURES / "collection.json").read_text(encoding="utf-8"))
    for entry in bundle["entry"]:
        res = entry["resource"]
        if res.get("id") == "hs-fixture-2":
            res["name"] = "SSIAD Exemple renommé (jeu de test)"
            res["extension"] = [e for e in res["extension"] if not e["url"].endswith("-intervention-zone")]
    changed = tmp_path / "collection-v2.json"
    changed.write_text(json.dumps(bundle), encoding="utf-8")
    second = _load(conn, changed)
    assert second.counts["offres_mises_a_jour"] == 4 and second.counts.get("offres_creees", 0) == 0
    after = {t: _count(conn, t) for t in counts}
    assert after == counts | {"zone_intervention": counts["zone_intervention"] - 1}
    hs2 = _offre(conn, "hs-fixture-2")
    assert hs2["nom"] == "SSIAD Exemple renommé (jeu de test)"
    assert ("3", "01053") not in _zones(conn, hs2["id"])


def test_fictif_flag_marks_offers_and_created_eg_only(conn):
    existing = _insert_finess_eg(conn, "750099992", "EHPAD RÉEL DU FICHIER", 2.30, 48.8417)
    _load(conn, FIXTURES / "collection.json", fictif=True)
    assert conn.execute("SELECT bool_and(fictif) AS f FROM offre").fetchone()["f"] is True
    merged = conn.execute(
        "SELECT ror_id, fictif, geocodage_source, commune_insee FROM etablissement WHERE id = %s", (existing,)
    ).fetchone()
    assert (merged["ror_id"], merged["fictif"]) == ("eg-fixture-1", False)  # a real FINESS row stays real
    # The FHIR EG has a geolocation: it replaces the FINESS point, and the commune is recomputed.
    assert (merged["geocodage_source"], merged["commune_insee"]) == ("fhir:fhir", "75056")
    assert _count(conn, "etablissement") == 1  # merged, not duplicated


# ------------------------------------------------------------------ malformed inputs


@pytest.mark.parametrize(("name", "expected"), [("not-json.json", "pas un fichier JSON valide"),
                                                ("not-fhir.json", "pas une ressource FHIR")])
def test_unusable_file_rolls_everything_back(conn, tmp_path, name, expected):
    before = _count(conn, "offre")
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(FIXTURES / "collection.json", folder / "a-collection.json")  # valid, read first
    shutil.copy(FIXTURES / name, folder / f"b-{name}")
    with pytest.raises(ImportFailed) as exc:
        load_fhir(conn, [folder], source="test-invalide")
    assert expected in exc.value.message
    assert _count(conn, "offre") == before and _count(conn, "etablissement") == 0
    run = conn.execute("SELECT status, message FROM import_run WHERE source = 'test-invalide'").fetchone()
    assert run["status"] == "echoue" and expected in run["message"]


def test_missing_path_fails(conn, tmp_path):
    with pytest.raises(ImportFailed, match="introuvable"):
        load_fhir(conn, [tmp_path / "absent.json"])


def test_offer_with_missing_organization_or_identifier_is_rejected(conn):
    _load(conn, FIXTURES / "collection.json")
    report = _load(conn, FIXTURES / "orphans.json")
    assert _offre(conn, "hs-orphan-1") is None and _offre(conn, "hs-noident-1") is None
    (orphan,) = _motifs(report, "hs-orphan-1")
    assert "organisation introuvable (Organization/does-not-exist)" in orphan
    (noident,) = _motifs(report, "hs-noident-1")
    assert "sans identifiant" in noident
    assert report.status == "reussi" and report.counts["rejetes"] == 2


def test_unclassifiable_organization_rejects_it_and_its_offers(conn, tmp_path):
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Organization", "id": "mystere", "name": "Sans type ni identifiant"}},
        {"resource": {"resourceType": "HealthcareService", "id": "hs-m", "name": "Offre", "identifier": [
            {"value": "11/9"}], "providedBy": {"reference": "Organization/mystere"}}},
    ]}
    path = tmp_path / "mystere.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    report = _load(conn, path)
    assert "impossible à déterminer" in _motifs(report, "Organization/mystere")[0]
    assert "elle a été rejetée" in _motifs(report, "HealthcareService/hs-m")[0]
