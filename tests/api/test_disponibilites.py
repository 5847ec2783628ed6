"""Availability (*Disponibilités*): the API over real HTTP (nearest first, type filter, public only, stale figures
marked, JSON / GeoJSON / CSV, cached at most a minute), the page in headless Chromium (freshness in French, stale
and fictitious figures marked, no JS error), and the deterministic fictitious availability of the demo."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
import pytest

from gis.db import connect
from gis.demo.availability import assign_demo_availability
from gis.settings import Settings
from tests.browser import BrowserPage, new_browser_page
from tests.conftest import LiveServer, load_with_offers

NOW = datetime.now(UTC)
# (ror_id, name, type d'offre, lon, lat, places, age in hours (None: undated), fictive, sensitive)
OFFERS = [
    ("dispo-proche", "EHPAD proche (test)", "21", 2.3600, 48.9360, 3, 2.5, False, False),    # Saint-Denis
    ("dispo-perimee", "EHPAD ancien chiffre (test)", "21", 2.3900, 48.9100, 5, 100, False, False),  # Aubervilliers
    ("dispo-fictive", "EHPAD fictif (test)", "21", 2.4400, 48.9030, 2, 0.5, True, False),  # Bobigny
    ("dispo-zero", "EHPAD complet (test)", "21", 2.3610, 48.9370, 0, 1, False, False),
    ("dispo-autre-type", "Résidence autonomie (test)", "22", 2.3620, 48.9380, 4, 1, False, False),
    ("dispo-sensible", "Unité sensible (test)", "21", 2.3630, 48.9390, 6, 1, False, True),
    ("dispo-loin", "EHPAD de Meaux (test)", "21", 2.8776, 48.9601, 7, 1, False, False),
    ("dispo-sans-date", "EHPAD sans date (test)", "21", 2.3800, 48.9200, 1, None, False, False),
]


def _insert(conn: psycopg.Connection) -> None:
    for n, (rid, nom, typ, lon, lat, places, age, fictive, sensitive) in enumerate(OFFERS):
        eg = conn.execute(
            "INSERT INTO etablissement (finess, nom, categorie, geom, source) VALUES (%s, %s, '500', "
            "ST_SetSRID(ST_MakePoint(%s, %s), 4326), 'test') RETURNING id",
            (f"93009{n:04d}", f"EG {nom}", lon, lat)).fetchone()["id"]
        conn.execute(
            "INSERT INTO offre (ror_id, nom, type_offre, etablissement_id, source, unite_sensible, capacite, "
            "capacite_type, capacite_disponible, capacite_disponible_maj, disponibilite_fictive) "
            "VALUES (%s, %s, %s, %s, 'test', %s, 80, 'place', %s, %s, %s)",
            (rid, nom, typ, eg, sensitive, places, None if age is None else NOW - timedelta(hours=age), fictive))


@pytest.fixture(scope="module")
def server(empty_db_factory, fetcher, data_dir) -> Iterator[LiveServer]:
    url = empty_db_factory()
    load_with_offers(url, fetcher, data_dir, _insert)
    live = LiveServer(Settings(database_url=url, data_dir=data_dir, download=False))
    live.start()
    live.db_url = url  # type: ignore[attr-defined]
    yield live
    live.stop()


def _get(server: LiveServer, **params) -> httpx.Response:
    return httpx.get(server.url + "/api/v1/disponibilites", params=params, timeout=30)


def test_nearest_first_public_with_places_and_stale_marked(server):
    r = _get(server, commune="93066", type_offre="21", rayon_km=10)
    assert r.status_code == 200 and "s-maxage=60" in r.headers["cache-control"]
    body = r.json()
    ids = [o["id"] for o in body["results"]]
    assert ids == ["dispo-proche", "dispo-sans-date", "dispo-perimee", "dispo-fictive"]
    assert body["total"] == 4 and body["perimees"] == 2 and body["delai_peremption_h"] == 72
    dispo = {o["id"]: o["disponibilite"] for o in body["results"]}
    assert dispo["dispo-proche"]["places"] == 3 and dispo["dispo-proche"]["perimee"] is False
    assert dispo["dispo-perimee"]["perimee"] is True and dispo["dispo-sans-date"]["perimee"] is True
    assert dispo["dispo-fictive"]["fictive"] is True and dispo["dispo-fictive"]["perimee"] is False
    limit = datetime.fromisoformat(dispo["dispo-proche"]["perimee_apres"])
    maj = datetime.fromisoformat(dispo["dispo-proche"]["maj"])
    assert limit - maj == timedelta(hours=72)
    first = body["results"][0]
    assert first["capacite"] == 80 and first["capacite_disponible"] == 3 and first["distance_km"] < 1
    # the other type and the radius
    assert [o["id"] for o in _get(server, commune="93066", type_offre="22").json()["results"]] == ["dispo-autre-type"]
    assert "dispo-loin" in [o["id"] for o in _get(server, commune="93066", rayon_km=50).json()["results"]]


def test_geojson_csv_and_errors(server):
    gj = _get(server, commune="93066", type_offre="21", format="geojson")
    assert gj.headers["content-type"].startswith("application/geo+json")
    feats = gj.json()["features"]
    assert [f["id"] for f in feats][0] == "dispo-proche"
    assert feats[0]["properties"]["disponibilite"]["places"] == 3 and gj.json()["perimees"] == 2
    text = _get(server, commune="93066", type_offre="21", format="csv").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert rows[0]["Places disponibles"] == "3" and rows[0]["Capacité installée"] == "80"
    assert {r["Disponibilité fictive"] for r in rows} == {"oui", "non"}
    bad = _get(server, commune="99999")
    assert bad.status_code == 404 and "Aucune commune" in bad.json()["detail"]
    assert _get(server, commune="93066", rayon_km=500).status_code == 422
    assert _get(server, commune="93066", type_offre="zz").status_code == 422


def test_stale_delay_is_a_setting(server, data_dir):
    live = LiveServer(Settings(database_url=server.db_url, data_dir=data_dir, download=False,
                               disponibilite_perimee_h=200))
    live.start()
    try:
        body = httpx.get(live.url + "/api/v1/disponibilites", params={"commune": "93066", "type_offre": "21"},
                         timeout=30).json()
    finally:
        live.stop()
    assert body["delai_peremption_h"] == 200 and body["perimees"] == 1  # only the undated figure


@pytest.fixture
def desk(browser, server) -> Iterator[BrowserPage]:
    context, bp = new_browser_page(browser, server.url, width=1280, height=900)
    try:
        yield bp
    finally:
        context.close()


@pytest.mark.browser
def test_page_shows_freshness_stale_and_fictitious(desk):
    desk.goto("/cartes/disponibilites?commune=93066&type_offre=21&rayon_km=10")
    page = desk.page
    page.wait_for_function("() => document.querySelector('tr.rg-dispo-row .rg-dispo-quand') && "
                           "document.querySelector('tr.rg-dispo-row .rg-dispo-quand').textContent.includes('il y a')")
    rows = page.locator("#rg-dispo-table tbody tr")
    assert rows.count() == 4
    texts = rows.all_inner_texts()
    assert "EHPAD proche (test)" in texts[0] and "mis à jour il y a 2 h" in texts[0] and "périmé" not in texts[0]
    assert "périmé" in texts[2] and "mis à jour il y a 4 j" in texts[2] and "ne pas considérer comme actuel" in texts[2]
    assert "périmé" in texts[1]  # undated
    assert "fictif" in texts[3] and "mis à jour il y a 30 min" in texts[3]
    stale = page.locator("tr.rg-dispo-perimee").count()
    assert stale == 2
    assert page.locator(".leaflet-marker-icon, .marker-cluster").count() >= 1
    assert desk.js_errors() == [] and desk.third_party() == []


@pytest.mark.browser
def test_form_only_without_commune(desk):
    desk.goto("/cartes/disponibilites")
    assert desk.page.locator("form.rg-dispo-form select[name=type_offre] option").count() >= 2
    assert "Choisissez une commune" in desk.page.locator("header").inner_text()
    assert desk.js_errors() == []


def test_demo_availability_is_deterministic_and_labelled(server):
    with connect(server.db_url) as conn:
        conn.execute("UPDATE offre SET capacite_disponible = NULL, capacite_disponible_maj = NULL, "
                     "disponibilite_fictive = true WHERE ror_id = 'dispo-zero'")
        conn.commit()
        fixed = datetime(2026, 6, 1, 12, tzinfo=UTC)
        q = ("SELECT ror_id, capacite_disponible, capacite_disponible_maj, disponibilite_fictive, "
             "provenance -> 'capacite_disponible' AS prov FROM offre ORDER BY ror_id")
        n1 = assign_demo_availability(conn, seed=7, now=fixed)
        first = conn.execute(q).fetchall()
        n2 = assign_demo_availability(conn, seed=7, now=fixed)
        assert conn.execute(q).fetchall() == first and n1 == n2
        real = {r["ror_id"]: r for r in first}
        # real figures are never touched; the invented one is labelled
        assert real["dispo-proche"]["disponibilite_fictive"] is False and real["dispo-proche"]["prov"] is None
        zero = real["dispo-zero"]
        if zero["capacite_disponible"] is not None:
            assert zero["disponibilite_fictive"] is True
            assert zero["prov"] == {"source": "Données fictives de démonstration — ror-gis", "millesime": "fictif"}
        doc = conn.execute("SELECT doc_public::jsonb AS d FROM offre WHERE ror_id = 'dispo-fictive'").fetchone()["d"]
        assert doc["disponibilite_fictive"] is True
