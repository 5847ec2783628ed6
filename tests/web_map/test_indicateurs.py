"""Equipment rates and 2SFCA accessibility over HTTP and in headless Chromium, on the real data.

A database of its own: IDF geography, nomenclatures, the real establishments (the CNSA annuaire gives the EHPAD
capacities) and two offers of type 21 with capacities inserted by SQL. The rate of every département is checked
against the source files read here with ``csv`` and ``json`` only (not through the importers).
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gis.db import connect
from gis.settings import Settings
from tests.browser import new_browser_page
from tests.conftest import LiveServer

IDF = ("75", "77", "78", "91", "92", "93", "94", "95")
CNSA = Path("establishments/cnsa-annuaire-pa/dataset_to_use.csv")
RATES = "/api/v1/indicateurs/taux-equipement"
ACCESS = "/api/v1/indicateurs/accessibilite"
PAGE = "/cartes/taux-equipement"
CSP_WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


@pytest.fixture(scope="module")
def indic_server(empty_db_factory, fetcher, data_dir) -> Iterator[LiveServer]:
    from gis.importers.etablissements import load_establishments
    from gis.importers.geography import load_geography
    from gis.importers.nomenclatures import load_nomenclatures
    from gis.maintenance import after_load
    from gis.tokens import create_token

    url = empty_db_factory()
    with connect(url) as conn:
        load_geography(conn, fetcher, region="11")
        load_nomenclatures(conn, data_dir)
        load_establishments(conn, data_dir)
        with conn.transaction():  # two offers of type 21 with a capacity, in two EHPAD of Saint-Denis / Meaux
            # ... and a sensitive unit of the same type, whose places no indicator may show (whoever asks)
            for ror_id, insee, capacite, sensitive in (("indic-1", "93066", 40, False), ("indic-2", "77284", 12, False),
                                                       ("indic-sensible", "93066", 500, True)):
                conn.execute(
                    "INSERT INTO offre (ror_id, nom, type_offre, capacite, unite_sensible, etablissement_id, source) "
                    "SELECT %s, 'Unité de test (fictif)', '21', %s, %s, id, 'test' FROM etablissement "
                    "WHERE commune_insee = %s ORDER BY finess LIMIT 1", (ror_id, capacite, sensitive, insee))
            _id, token = create_token(conn, role="professionnel", habilite_sensible=True, nom="test indicateurs")
        after_load(conn)
    server = LiveServer(Settings(database_url=url, data_dir=data_dir, download=False))
    server.start()
    server.token = token  # type: ignore[attr-defined]
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(indic_server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=indic_server.url, timeout=60) as c:
        yield c


def _source_places(data_dir: Path) -> dict[str, int]:
    """EHPAD places per département, from the CNSA file (category 500 = the IsEHPAD flag of the annuaire)."""
    places: dict[str, int] = defaultdict(int)
    with (data_dir / CNSA).open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["coordinates.deptcode"] in IDF and row["IsEHPAD"] == "True" and row["capacity"]:
                places[row["coordinates.deptcode"]] += int(float(row["capacity"]))
    return places


def _source_population(data_dir: Path) -> dict[str, int]:
    """Population municipale per département from the COG file (current communes; Paris as one commune)."""
    population: dict[str, int] = defaultdict(int)
    for c in json.loads((data_dir / "cog" / "communes.json").read_text(encoding="utf-8")):
        if c["type"] == "commune-actuelle" and c["departement"] in IDF:
            population[c["departement"]] += c.get("population") or 0
    return population


def test_departement_rates_equal_the_source_files(client, data_dir):
    places, population = _source_places(data_dir), _source_population(data_dir)
    body = client.get(RATES, params={"categorie": "500", "niveau": "departement"}).json()
    got = {r["code"]: r for r in body["resultats"]}
    assert set(got) == set(IDF)
    for dep in IDF:
        assert got[dep]["places"] == places[dep], dep
        assert got[dep]["population"] == population[dep], dep
        assert got[dep]["taux_pour_1000"] == round(places[dep] * 1000 / population[dep], 2), dep
    assert places["93"] == 6007 and got["93"]["taux_pour_1000"] == round(6007_000 / population["93"], 2)
    assert body["resume"]["places"] == sum(places.values())
    assert body["sources_capacites"] == ["Annuaire CNSA, ≈ 2021"]
    assert body["population"].startswith("Population municipale")


def test_formats(client):
    params = {"categorie": "500", "niveau": "commune"}
    data = client.get(RATES, params=params).json()
    assert len(data["resultats"]) == 1285 and data["niveau"] == "commune"
    row = next(r for r in data["resultats"] if r["code"] == "75112")  # Paris by arrondissement
    assert row["departement"] == "75" and row["population"] > 100_000
    geo = client.get(RATES, params={**params, "format": "geojson"})
    assert geo.headers["content-type"] == "application/geo+json"
    fc = geo.json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 1285
    assert {f["geometry"]["type"] for f in fc["features"]} <= {"Polygon", "MultiPolygon"}
    assert fc["resume"] == data["resume"]
    text = client.get(RATES, params={**params, "format": "csv"})
    assert text.headers["content-type"].startswith("text/csv")
    assert 'filename="taux-equipement-categorie-500-commune.csv"' in text.headers["content-disposition"]
    assert text.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(text.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Code", "Nom", "Niveau"] and len(rows) == 1286
    paris12 = next(r for r in rows if r[0] == "75112")
    assert paris12[6] == f"{row['taux_pour_1000']}".replace(".", ",")
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(client.get(RATES, params={**params, "niveau": "epci", "format": "xlsx"}).content))
    sheet = wb["Indicateur"]
    assert sheet["A1"].value == "Code" and sheet.max_row == 64  # 63 EPCI / EPT / Paris + header
    assert "Annuaire CNSA" in wb["Sources"]["B1"].value


def test_answers_come_from_the_cache(client):
    params = {"categorie": "500", "format": "geojson"}
    first = client.get(ACCESS, params=params)
    second = client.get(ACCESS, params=params)
    assert first.status_code == second.status_code == 200
    assert second.headers.get("x-ror-cache") == "hit" and "public" in second.headers["cache-control"]
    assert client.get(ACCESS, params=params, headers={"If-None-Match": second.headers["etag"]}).status_code == 304


def test_accessibility_attributes_every_place(client):
    body = client.get(ACCESS, params={"type_offre": "21", "rayon_km": "20", "decroissance": "gaussienne"}).json()
    assert body["resume"]["places"] == 52 and body["resume"]["structures"] == 2
    assert body["resume"]["places_attribuees"] == pytest.approx(52, abs=0.1)
    assert body["methode"]["rayon_km"] == 20 and body["methode"]["decroissance"] == "gaussienne"
    near = {r["code"]: r["accessibilite_pour_1000"] for r in body["resultats"]}
    assert near["93066"] > 0 and near["77284"] > 0 and near["78517"] == 0  # Rambouillet: no place within 20 km


def test_a_credential_changes_nothing(client, indic_server):
    params = {"type_offre": "21", "niveau": "departement"}
    anonymous = client.get(RATES, params=params)
    with_token = client.get(RATES, params=params, headers={"Authorization": f"Bearer {indic_server.token}"})
    assert anonymous.status_code == with_token.status_code == 200
    assert with_token.json() == anonymous.json()
    assert anonymous.json()["resume"]["places"] == 52  # the sensitive unit's 500 places are never counted


@pytest.mark.parametrize(("path", "fragment"), [
    (RATES, "Paramètre manquant"),
    (RATES + "?type_offre=21&categorie=500", "contradictoires"),
    (RATES + "?categorie=ZZZ9", "code(s) inconnu(s) ZZZ9"),
    (RATES + "?categorie=500&niveau=canton", "niveau"),
    (RATES + "?categorie=500&format=pdf", "format"),
    (ACCESS + "?categorie=500&rayon_km=0", "rayon_km"),
    (ACCESS + "?categorie=500&decroissance=lineaire", "decroissance"),
    (ACCESS, "Paramètre manquant"),
])
def test_errors_are_french_422(client, path, fragment):
    resp = client.get(path)
    assert resp.status_code == 422 and resp.headers["content-type"] == "application/json"
    body = resp.json()
    assert fragment in body["detail"] and body["code"] == "saisie_invalide"


def test_page_http(client):
    resp = client.get(PAGE)
    assert resp.status_code == 200 and "script-src 'self'" in resp.headers["content-security-policy"]
    html = resp.text
    assert "<script>" not in html and "indicateurs.js" in html
    assert f'href="{RATES}?categorie=500&amp;niveau=commune&amp;format=csv"' in html
    assert f'href="{RATES}?categorie=500&amp;niveau=commune&amp;format=xlsx"' in html
    assert "Données du " in html and "Population municipale" in html
    bad = client.get(PAGE, params={"type_offre": "21", "categorie": "500"})
    assert bad.status_code == 422 and "contradictoires" in bad.text and bad.headers["content-type"].startswith(
        "text/html")
    assert client.get(PAGE, params={"categorie": "ZZZ9"}).status_code == 422
    empty = client.get(PAGE, params={"type_offre": "28"})  # no SSIAD loaded: said, not an empty map
    assert empty.status_code == 200 and "Aucune place comptée pour cette sélection : 0 unité(s)" in empty.text


@pytest.mark.parametrize("param", ["type_offre", "categorie", "niveau", "indicateur", "methode", "fond"])
def test_page_refuses_hostile_values_as_text(client, param):
    payload = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    resp = client.get(PAGE, params={param: payload})
    assert resp.status_code == 422 and resp.headers["content-type"].startswith("text/html")
    assert "<script>alert" not in resp.text and "<img src=x" not in resp.text


@pytest.mark.browser
def test_page_in_chromium(browser, indic_server, client):
    context, bp = new_browser_page(browser, indic_server.url)
    context.add_init_script(CSP_WATCH)
    try:
        page = bp.page
        assert bp.goto(PAGE + "?categorie=500&niveau=departement&fond=aucun").status == 200
        page.wait_for_function("n => document.querySelectorAll('.leaflet-overlay-pane svg path').length >= n",
                               arg=8, timeout=30_000)  # the 8 départements
        legend = page.locator(".rg-legend").first
        assert "Places pour 1 000 habitants" in legend.inner_text() and legend.locator("li").count() >= 2
        assert page.locator(".rg-indic-date").inner_text().startswith("Données du ")
        # the région fills the frame (quarter zoom steps, a 4 px margin), as on the coverage map
        ratio = page.evaluate("""() => {
          const map = window.rgMap, fit = JSON.parse(document.getElementById('rg-map-spec').textContent).view.fit;
          const a = map.latLngToContainerPoint(fit[0]), b = map.latLngToContainerPoint(fit[1]), s = map.getSize();
          return {w: Math.abs(b.x - a.x) / s.x, h: Math.abs(b.y - a.y) / s.y,
                  inside: a.x >= -1 && b.x <= s.x + 1 && b.y >= -1 && a.y <= s.y + 1}; }""")
        assert ratio["inside"] and max(ratio["w"], ratio["h"]) >= 0.8, ratio
        links = page.locator(".rg-exports a")
        assert links.count() == 4
        for i in range(links.count()):
            href = links.nth(i).get_attribute("href")
            assert href.startswith(RATES) and client.get(href).status_code == 200
        # the controls: the accessibility fields appear with that indicator; the two selections stay exclusive
        assert page.locator("#rayon_km").is_hidden() and page.locator("#niveau").is_visible()
        page.select_option("#indicateur", "accessibilite")
        assert page.locator("#rayon_km").is_visible() and page.locator("#niveau").is_hidden()
        page.select_option("#type_offre", "21")
        assert page.locator("#categorie").input_value() == ""
        with page.expect_navigation():
            page.click(".rg-indic-form button[type=submit]")
        assert "indicateur=accessibilite" in page.url and "type_offre=21" in page.url
        page.wait_for_function("n => document.querySelectorAll('.leaflet-overlay-pane svg path').length >= n",
                               arg=1285, timeout=30_000)
        assert "Accessibilité (2SFCA)" in page.locator("h1").inner_text()
        assert bp.js_errors() == [] and bp.third_party() == []
        assert page.evaluate("window.__csp") == []
    finally:
        context.close()
