"""Headless Chromium: the « Signaler une anomalie » form reached from the offer page and from a map popup, the
processing page of a référent (login with a real token, status change with the CSRF token), and the zone editor
(commune search, Leaflet.draw rectangle, GeoJSON upload, If-Match save, history). No JS error, no CSP violation,
no third-party request."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from gis.db import connect
from tests.browser import BrowserPage, new_browser_page
from tests.editing.conftest import bearer

pytestmark = pytest.mark.usefixtures("editing_server")


@pytest.fixture
def page(module_browser, editing_server) -> Iterator[BrowserPage]:
    context, bp = new_browser_page(module_browser, editing_server.url)
    try:
        yield bp
    finally:
        context.close()


def _clean(bp: BrowserPage) -> None:
    # refused API requests (422, 412…) are logged by the browser; the page shows their French message
    errors = [e for e in bp.js_errors() if not ("the server responded with a status of 4" in e and "/api/v1/" in e)]
    assert errors == [], errors
    assert bp.third_party() == []


def _login(bp: BrowserPage, token: str, then: str) -> None:
    bp.goto(f"/connexion?suivant={then}")
    bp.page.fill("#pg-jeton", token)
    with bp.page.expect_navigation():
        bp.page.click("button[type=submit]")
    assert bp.page.url.endswith(then), bp.page.url


def _reports(db: str, ref: str) -> list[dict]:
    with connect(db) as conn:
        return conn.execute("SELECT * FROM signalement WHERE cible_ref = %s ORDER BY id", (ref,)).fetchall()


def test_report_from_the_offer_page(page, editing_db):
    before = len(_reports(editing_db, "cov-paris"))
    page.goto("/cartes/offre/cov-paris")
    page.page.click("text=Signaler une anomalie sur cette offre")
    page.page.wait_for_selector("#ed-report-form")
    assert "Équipe mobile zone Paris" in page.page.inner_text(".ed-target")
    page.page.select_option("#ed-categorie", "zone")
    page.page.fill("#ed-description", "La zone ne couvre plus le 20e arrondissement.")
    page.page.fill("#ed-email", "pas une adresse")
    page.page.click("button[type=submit]")
    page.page.wait_for_selector(".ed-error")
    assert "adresse électronique invalide" in page.page.inner_text("#ed-report-result")
    page.page.fill("#ed-email", "coordination@exemple.fr")
    page.page.click("button[type=submit]")
    page.page.wait_for_selector("#ed-report-result.ed-ok")
    assert "Merci" in page.page.inner_text("#ed-report-result")
    assert page.page.is_hidden("#ed-report-form")
    rows = _reports(editing_db, "cov-paris")
    assert len(rows) == before + 1 and rows[-1]["categorie"] == "zone"
    assert rows[-1]["email"] == "coordination@exemple.fr"
    _clean(page)


def test_report_on_the_establishment_and_from_a_popup(page, editing_db):
    page.goto("/cartes/offre/cov-commune")
    href = page.page.get_attribute("text=Signaler une anomalie sur l'établissement", "href")
    assert href == "/signalements/nouveau/etablissement/930000001"
    page.goto("/cartes/commune/93066")
    page.page.wait_for_selector(".leaflet-marker-icon")
    page.page.locator(".leaflet-marker-icon").first.dispatch_event("click")
    link = page.page.wait_for_selector(".leaflet-popup-content .rg-report-link")
    assert link.get_attribute("href").startswith("/signalements/nouveau/offre/")
    with page.page.expect_navigation():
        link.click()
    assert page.page.query_selector("#ed-report-form") is not None
    _clean(page)


def test_referent_processes_a_report(page, edit_http, api_tokens, editing_db):
    created = edit_http.post("/api/v1/signalements", json={
        "cible_type": "offre", "cible": "cov-located", "categorie": "fermeture",
        "description": "L'EHPAD est fermé pour travaux."}).json()
    _login(page, api_tokens.referent, "/signalements")
    row = page.page.locator(f"tr[data-id='{created['id']}']")
    assert "L'EHPAD est fermé pour travaux." in row.inner_text()
    row.locator("select").select_option("en_cours")
    row.locator("input[name=commentaire]").fill("Vérification auprès de l'établissement")
    row.locator("button").click()
    page.page.wait_for_selector("#ed-live:has-text(\"enregistré\")")
    assert row.locator(".ed-statut").inner_text() == "En cours"
    with connect(editing_db) as conn:
        history = conn.execute("SELECT statut, commentaire FROM signalement_historique WHERE signalement_id = %s "
                               "ORDER BY id", (created["id"],)).fetchall()
    assert history[-1] == {"statut": "en_cours", "commentaire": "Vérification auprès de l'établissement"}
    # a report of another EG is not listed for this référent
    assert "SAAD d'un autre EG" not in page.page.inner_text("main")
    _clean(page)


def test_anonymous_visitor_is_sent_to_the_login_page(page):
    page.goto("/signalements")
    assert "/connexion?suivant=" in page.page.url
    page.goto("/cartes/offre/cov-commune/zone")
    assert "/connexion?suivant=" in page.page.url


def test_zone_editor(page, edit_http, api_tokens, tmp_path: Path):
    _login(page, api_tokens.referent, "/cartes/offre/cov-ancien/zone")
    p = page.page
    p.wait_for_selector("#ed-map[data-ready='1']")
    assert "93059" in p.inner_text("#ed-divisions")
    # add a commune through the commune search
    p.fill("#ed-commune", "bobigny")
    p.wait_for_selector("#ed-commune-list .pg-option")
    p.locator("#ed-commune-list .pg-option").first.dispatch_event("mousedown")
    p.wait_for_selector("#ed-divisions:has-text(\"93008\")")
    # add a département
    p.select_option("#ed-departement", "95")
    # remove the former code
    p.locator("#ed-divisions li[data-code='93059'] button").click()
    # draw a rectangle with Leaflet.draw
    p.click(".leaflet-draw-draw-rectangle")
    box = p.locator("#ed-map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    p.mouse.move(cx - 60, cy - 40)
    p.mouse.down()
    p.mouse.move(cx + 20, cy + 10, steps=5)
    p.mouse.move(cx + 60, cy + 40, steps=5)
    p.mouse.up()
    p.wait_for_selector("#ed-polygon-state:has-text(\"Polygone défini\")")
    p.fill("#ed-comment", "Secteur redéfini avec l'ARS")
    p.click("#ed-save")
    p.wait_for_selector("#ed-status:has-text(\"Zone enregistrée\")",
                        timeout=15_000)
    zone = edit_http.get("/api/v1/offres/cov-ancien/zone").json()
    assert sorted(d["code"] for d in zone["divisions"]) == ["93008", "95"]
    assert zone["polygone"]["type"] == "MultiPolygon"
    p.wait_for_selector("#ed-history tr")
    assert "Secteur redéfini avec l'ARS" in p.inner_text("#ed-history")
    # replace the polygon by an uploaded GeoJSON file
    square = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": {
        "type": "Polygon", "coordinates": [[[2.44, 48.9], [2.47, 48.9], [2.47, 48.92], [2.44, 48.92], [2.44, 48.9]]]}}]}
    upload = tmp_path / "secteur.geojson"
    upload.write_text(json.dumps(square), encoding="utf-8")
    p.set_input_files("#ed-geojson", str(upload))
    p.wait_for_selector("#ed-status:has-text(\"secteur.geojson\")")
    p.click("#ed-save")
    p.wait_for_selector("#ed-status:has-text(\"Zone enregistrée\")",
                        timeout=15_000)
    zone = edit_http.get("/api/v1/offres/cov-ancien/zone").json()
    lons = [pt[0] for pt in zone["polygone"]["coordinates"][0][0]]
    assert min(lons) == pytest.approx(2.44) and max(lons) == pytest.approx(2.47)
    # a concurrent edit elsewhere: the page's ETag is stale, the save is refused with a French message
    r = edit_http.put("/api/v1/offres/cov-ancien/zone", json={"divisions": [{"type_division": "3", "code": "93066"}]},
                      headers={**bearer(api_tokens.admin), "If-Match": "*"})
    assert r.status_code == 200
    p.click("#ed-save")
    p.wait_for_selector("#ed-status:has-text(\"modifiée entre-temps\")")
    _clean(page)


def test_zone_editor_refuses_another_eg(page, api_tokens):
    _login(page, api_tokens.referent, "/signalements")
    response = page.goto("/cartes/offre/edit-autre/zone")
    assert response.status == 403
    assert "périmètre" in page.page.inner_text("body")
