"""Services API over a real socket, on the coverage fixture whose answers are known."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook


def _ids(resp):
    assert resp.status_code == 200, resp.text
    return {r["id"] for r in resp.json()["results"]}


def test_who_covers_saint_denis(fixture_http):
    resp = fixture_http.get("/api/v1/communes/93066/services")
    body = resp.json()
    assert _ids(resp) == {"cov-commune", "cov-ancien", "cov-region"}
    assert body["total"] == 3
    assert body["commune"]["nom"] == "Saint-Denis"
    by_id = {r["id"]: r for r in body["results"]}
    saad = by_id["cov-commune"]
    assert saad["type_offre"] == {"code": "30", "label": "Service autonomie à domicile (SAD) aide"}
    assert saad["activites"][0]["code"] == "293" and saad["activites"][0]["label"]
    assert saad["etablissement"]["finess"] == "930000001"
    assert saad["couverture"]["motif"] == "commune"
    assert by_id["cov-ancien"]["couverture"]["motif"] == "ancien_code"
    assert by_id["cov-region"]["couverture"]["motif"] == "region"
    assert [c["confidentialite"] for c in saad["contacts"]] == ["1"]
    # sorted by distance by default
    distances = [r["distance_km"] for r in body["results"]]
    assert distances == sorted(distances)


def test_paris_partial_coverage_is_said(fixture_http):
    body = fixture_http.get("/api/v1/communes/75056/services", params={"tri": "motif"}).json()
    by_id = {r["id"]: r["couverture"] for r in body["results"]}
    assert by_id["cov-arr"] == {
        "motif": "arrondissement",
        "libelle": "Couverture partielle : certains arrondissements seulement",
        "partielle": True,
    }
    assert by_id["cov-paris"]["partielle"] is False


def test_filters_are_repeatable_and_comma_separated(fixture_http):
    url = "/api/v1/communes/93066/services"
    assert _ids(fixture_http.get(url, params=[("type_offre", "28"), ("type_offre", "30")])) == {
        "cov-ancien", "cov-commune"}
    assert _ids(fixture_http.get(url, params={"type_offre": "28,30"})) == {"cov-ancien", "cov-commune"}
    assert _ids(fixture_http.get(url, params={"age": 30})) == {"cov-commune", "cov-region"}
    assert _ids(fixture_http.get(url, params={"public": "01", "activite": "293"})) == {"cov-commune"}


def test_pagination(fixture_http):
    page = fixture_http.get("/api/v1/communes/93066/services", params={"limit": 1, "offset": 1}).json()
    assert page["total"] == 3 and len(page["results"]) == 1


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"type_offre": "9999"}, "code(s) inconnu(s) 9999"),
        ({"type_offre": "30;drop"}, "mal formé"),
        ({"categorie": "xyz"}, "categorie"),
        ({"age": -1}, "age"),
        ({"limit": 0}, "limit"),
        ({"format": "pdf"}, "format"),
        ({"tri": "hasard"}, "tri"),
    ],
)
def test_bad_filters_are_422(fixture_http, params, needle):
    resp = fixture_http.get("/api/v1/communes/93066/services", params=params)
    assert resp.status_code == 422
    assert needle in resp.json()["detail"]


def test_unknown_commune_is_404(fixture_http):
    resp = fixture_http.get("/api/v1/communes/99999/services")
    assert resp.status_code == 404
    assert "99999" in resp.json()["detail"]


def test_geojson_format(fixture_http):
    resp = fixture_http.get("/api/v1/communes/93066/services", params={"format": "geojson"})
    assert resp.headers["content-type"].startswith("application/geo+json")
    coll = resp.json()
    assert coll["type"] == "FeatureCollection" and len(coll["features"]) == 3
    assert coll["features"][0]["geometry"]["type"] == "Point"
    assert coll["total"] == 3


def test_csv_export_has_french_headers(fixture_http):
    resp = fixture_http.get("/api/v1/communes/93066/services", params={"format": "csv"})
    assert resp.status_code == 200
    assert 'filename="offres-93066-saint-denis.csv"' in resp.headers["content-disposition"]
    text = resp.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["Offre", "Identifiant ROR", "Type d'offre"]
    assert "Motif de couverture" in rows[0]
    assert len(rows) == 4
    assert any("06 00 00 00 02" in cell for row in rows for cell in row) is False  # restricted contact
    contact = rows[0].index("Contact")
    assert "Tél. 01 00 00 00 01" in [row[contact] for row in rows]


def test_xlsx_export(fixture_http):
    resp = fixture_http.get("/api/v1/communes/93066/services", params={"format": "xlsx"})
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.content)).active
    assert ws.cell(1, 1).value == "Offre"
    assert ws.max_row == 4


def test_nearby(fixture_http):
    resp = fixture_http.get("/api/v1/services", params={"lat": 48.9601, "lon": 2.8776, "rayon_km": 2})
    assert _ids(resp) == {"cov-located"}
    resp = fixture_http.get("/api/v1/services", params={"lat": 48.9601, "lon": 2.8776, "rayon_km": 500})
    assert resp.status_code == 422
    resp = fixture_http.get("/api/v1/services", params={"lat": "abc", "lon": 2})
    assert resp.status_code == 422


def test_service_detail_and_territory(fixture_http):
    body = fixture_http.get("/api/v1/services/cov-dep").json()
    assert body["nom"] == "DAC Val-de-Marne"
    assert body["zone_intervention"] == [
        {"type_division": "2", "type_label": "Département", "code": "94", "nom": "Val-de-Marne"}]
    assert len(body["communes_couvertes"]) == 47
    assert body["territoire"]["features"][0]["geometry"]["type"] == "MultiPolygon"
    assert fixture_http.get("/api/v1/services/cov-sensible").status_code == 404
    assert fixture_http.get("/api/v1/services/nope").status_code == 404


def test_etablissement(fixture_http):
    body = fixture_http.get("/api/v1/etablissements/930000001").json()
    assert body["nom"] == "EG de test (fictif)"
    names = {o["id"] for o in body["offres"]}
    assert "cov-commune" in names and "cov-sensible" not in names and "cov-fermee" not in names
    assert fixture_http.get("/api/v1/etablissements/930000002").status_code == 404
    assert fixture_http.get("/api/v1/etablissements/12").status_code == 422


def test_nomenclatures(fixture_http):
    names = {n["nom"] for n in fixture_http.get("/api/v1/nomenclatures").json()["nomenclatures"]}
    assert {"type_offre", "activite", "public", "categorie_eg"} <= names
    codes = fixture_http.get("/api/v1/nomenclatures/type_offre").json()["codes"]
    assert {"code": "94", "label": "Appartement de coordination thérapeutique (ACT)"}.items() <= next(
        c for c in codes if c["code"] == "94").items()
    resp = fixture_http.get("/api/v1/nomenclatures/inconnue")
    assert resp.status_code == 404 and "type_offre" in resp.json()["detail"]


@pytest.mark.parametrize(
    ("q", "group", "code"),
    [
        ("appartement de coo", "types_offre", "94"),
        ("Appartement de coordination", "types_offre", "94"),
        ("ssiad", "types_offre", "28"),
        ("equipe mobile geronto", "types_offre", "78"),
        ("alcoologie", "activites", "003"),
    ],
)
def test_suggestions(fixture_http, q, group, code):
    body = fixture_http.get("/api/v1/suggestions", params={"q": q}).json()
    groups = {g["type"]: g for g in body["groupes"]}
    assert group in groups, body
    assert code in [e["code"] for e in groups[group]["elements"]]


def test_suggestions_for_an_acronym_include_the_type_and_category(fixture_http):
    body = fixture_http.get("/api/v1/suggestions", params={"q": "ehpad"}).json()
    groups = {g["type"]: g for g in body["groupes"]}
    assert "21" in [e["code"] for e in groups["types_offre"]["elements"]]
    assert groups["categories"]["filtre"] == "categorie"
    assert "500" in [e["code"] for e in groups["categories"]["elements"]]
    assert list(groups)[:2] == ["types_offre", "categories"]  # before the establishments


def test_suggestions_find_establishments(fixture_http):
    body = fixture_http.get("/api/v1/suggestions", params={"q": "eg de test"}).json()
    groups = {g["type"]: g for g in body["groupes"]}
    assert groups["etablissements"]["elements"][0]["finess"] == "930000001"


def test_health_reports_the_offers_data(fixture_http):
    data = fixture_http.get("/health").json()["donnees"]
    assert data["offres"]["version"].startswith("1 établissements, 12 offres (dont 0 fictives)")
    assert "geographie" in data


@pytest.mark.parametrize(("rayon", "message"), [
    ("0", "« rayon_km » : doit être strictement supérieur à 0"),
    ("100.5", "« rayon_km » : doit être inférieur ou égal à 100"),
    ("nan", "« rayon_km » : doit être un nombre"),
])
def test_bounds_are_said_in_french(fixture_http, rayon, message):
    resp = fixture_http.get("/api/v1/services", params={"lat": "48.93", "lon": "2.36", "rayon_km": rayon})
    assert resp.status_code == 422
    assert message in resp.json()["detail"], resp.json()["detail"]
