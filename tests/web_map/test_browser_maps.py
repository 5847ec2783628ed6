"""The map widgets in real headless Chromium: polygons drawn, legend/source/table present, no JS
error, no request leaving the host except basemap tiles (which are aborted: the maps must work
without them), keyboard-sortable tables, phone width."""

from __future__ import annotations

import re
import time
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser import BrowserPage, wait_for_map

pytestmark = pytest.mark.browser
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "tableau"


def _assert_clean(bp: BrowserPage, *, tiles_expected: bool) -> None:
    assert bp.js_errors() == []
    assert bp.third_party() == []
    if tiles_expected:
        assert bp.tile_requests, "the basemap should have asked for tiles"
    else:
        assert bp.tile_requests == []


@pytest.mark.parametrize(("fond", "tile_host"), [("plan-ign", "data.geopf.fr"), ("osm", "tile.openstreetmap.org"),
                                                 ("aucun", None)])
def test_commune_widget_renders_polygon_legend_source(browser_page, fond, tile_host):
    bp = browser_page
    start = time.perf_counter()
    resp = bp.goto(f"/cartes/commune/93066?fond={fond}")
    assert resp.status == 200
    wait_for_map(bp)
    elapsed = time.perf_counter() - start
    page = bp.page
    assert page.locator(".leaflet-overlay-pane svg path.leaflet-interactive").count() == 1
    d = page.locator(".leaflet-overlay-pane svg path").first.get_attribute("d")
    assert d and d.count("L") > 50  # full outline, not a box
    assert page.locator("h1").inner_text() == "Offres couvrant Saint-Denis"
    assert "Limite communale de Saint-Denis" in page.locator(".rg-legend").inner_text()
    assert page.locator(".rg-source").inner_text().startswith("Sources : ROR")
    assert page.locator(".leaflet-control-scale-line").count() == 1
    assert "km" in page.locator(".leaflet-control-scale-line").inner_text() or "m" in page.locator(
        ".leaflet-control-scale-line").inner_text()
    assert page.locator(".leaflet-control-scale-line").count() == 1  # metric only
    assert page.locator("table caption").filter(has_text="Caractéristiques de Saint-Denis").count() == 1
    assert page.evaluate("document.documentElement.lang") == "fr"
    assert page.get_attribute(".rg-map", "aria-label") == "Carte : Offres couvrant Saint-Denis"
    # The view is fitted on the commune (zoom well above the regional default of 9).
    assert page.evaluate("Object.values(window).find(v => v instanceof L.Map).getZoom()") >= 12
    _assert_clean(bp, tiles_expected=tile_host is not None)
    if tile_host:
        assert all(tile_host in url for url in bp.tile_requests)
        attribution = page.locator(".leaflet-control-attribution").inner_text()
        assert ("© IGN – Plan IGN" in attribution) if fond == "plan-ign" else ("OpenStreetMap" in attribution)
    # Local assets only: the page, leaflet, our css/js.
    assert all("/static/" in u or "/cartes/" in u or "/api/v1/" in u for u in bp.local_requests)
    assert elapsed < 10


def test_commune_widget_tiles_unreachable_notice(browser_page):
    bp = browser_page
    bp.goto("/cartes/commune/75056?fond=plan-ign")
    wait_for_map(bp)
    bp.page.wait_for_function("() => document.querySelector('.rg-status').textContent.length > 0")
    assert "fond de carte est momentanément indisponible" in bp.page.locator(".rg-status").inner_text()
    assert bp.js_errors() == []


def test_commune_widget_zoom_controls_keyboard_and_french(browser_page):
    bp = browser_page
    bp.goto("/cartes/commune/93066?fond=aucun")
    wait_for_map(bp)
    page = bp.page
    zoom_in = page.locator(".leaflet-control-zoom-in")
    assert zoom_in.get_attribute("title") == "Zoom avant"
    assert page.locator(".leaflet-control-zoom-out").get_attribute("title") == "Zoom arrière"
    before = page.evaluate("Object.values(window).find(v => v instanceof L.Map).getZoom()")
    zoom_in.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("z => Object.values(window).find(v => v instanceof L.Map).getZoom() > z", arg=before)
    # The map container itself is focusable (Leaflet keyboard navigation).
    assert page.locator(".rg-map").get_attribute("tabindex") == "0"


def test_unknown_commune_page_in_browser(browser_page):
    bp = browser_page
    resp = bp.goto("/cartes/commune/99999")
    assert resp.status == 404
    assert bp.page.locator("h1").inner_text() == "Commune introuvable"
    assert bp.js_errors() == [] and bp.third_party() == []


def test_phone_width_stacks_map_and_legend(phone_page):
    bp = phone_page
    bp.goto("/cartes/commune/93066?fond=aucun")
    wait_for_map(bp)
    page = bp.page
    map_box = page.locator(".rg-map-frame").bounding_box()
    legend_box = page.locator(".rg-legend").bounding_box()
    assert map_box["width"] <= 375 and map_box["height"] >= 250
    assert legend_box["y"] >= map_box["y"] + map_box["height"]  # legend below the map
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert bp.js_errors() == []


def _upload(bp: BrowserPage, path: Path, **fields: str) -> None:
    bp.goto("/cartes/tableau")
    page = bp.page
    page.set_input_files("#fichier", str(path))
    for name, value in fields.items():
        if page.locator(f"select#{name}").count():
            page.select_option(f"#{name}", value)
        else:
            page.fill(f"#{name}", value)
    with page.expect_navigation():
        page.click("button[type=submit]")


def test_tableau_good_csv_choropleth(browser_page):
    bp = browser_page
    _upload(bp, FIXTURES / "bon.csv", classes="4", fond="aucun")
    wait_for_map(bp, paths=10)
    page = bp.page
    # 10 communes with their own fill; Argenteuil (0) hatched.
    fills = page.eval_on_selector_all(".leaflet-overlay-pane svg path.leaflet-interactive",
                                      "els => els.map(e => e.getAttribute('fill'))")
    assert len(fills) == 10
    assert fills.count("url(#rg-hatch)") == 1
    assert len({f for f in fills if f.startswith("#")}) >= 3  # several classes
    legend = page.locator(".rg-legend").first.inner_text()
    assert "de " in legend and " à " in legend and "Valeur nulle (0)" in legend
    # Department outlines fetched from the JSON API (dashed, not interactive).
    page.wait_for_function("() => document.querySelectorAll("
                           "'.leaflet-overlay-pane svg path:not(.leaflet-interactive)').length >= 8")
    # Tooltip: commune and value.
    page.locator(".leaflet-overlay-pane svg path.leaflet-interactive").first.hover(force=True)
    page.wait_for_selector(".leaflet-tooltip")
    assert "places_installees" in page.locator(".leaflet-tooltip").inner_text()
    _assert_clean(bp, tiles_expected=False)


def test_tableau_table_sortable_by_keyboard(browser_page):
    bp = browser_page
    _upload(bp, FIXTURES / "bon.csv", fond="aucun")
    page = bp.page
    table = page.locator("table").first
    header = table.locator("thead th").nth(4)  # valeur
    button = header.locator("button")
    button.focus()
    page.keyboard.press("Enter")
    assert header.get_attribute("aria-sort") == "ascending"
    values = table.locator("tbody tr td:nth-child(5)").all_inner_texts()
    assert values[0] == "0,0" and values[-1] == "1\u202f250,0"  # one decimal: the file has 85,5
    page.keyboard.press(" ")
    assert header.get_attribute("aria-sort") == "descending"
    assert table.locator("tbody tr td:nth-child(5)").first.inner_text() == "1\u202f250,0"
    assert "ordre décroissant" in page.locator("#rg-sort-live").inner_text()


def test_tableau_partial_csv_in_browser(browser_page):
    bp = browser_page
    _upload(bp, FIXTURES / "partiel_cp1252.tsv", fond="plan-ign")
    wait_for_map(bp, paths=4)
    page = bp.page
    unmatched = page.locator("table").nth(1)
    assert unmatched.locator("caption").inner_text().startswith("Lignes non rapprochées (8)")
    text = unmatched.inner_text()
    assert "99999 : code inconnu" in text and "code postal 95000 commun à 4 communes" in text
    matched = page.locator("table").first.inner_text()
    assert "Saint-Denis" in matched and "93059" in matched and "Versailles" in matched
    _assert_clean(bp, tiles_expected=True)


def test_tableau_xlsx_in_browser(browser_page, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["code commune", "nombre"])
    for code, n in [("93066", 4), ("93048", 8), ("94028", 15), ("92012", 16), ("75110", 23), ("78646", 42)]:
        ws.append([code, n])
    path = tmp_path / "offres.xlsx"
    wb.save(path)
    bp = browser_page
    _upload(bp, path, methode="seuils-naturels", classes="3", fond="aucun")
    wait_for_map(bp, paths=6)
    assert "Seuils naturels" in bp.page.locator(".rg-legend").first.inner_text()
    assert bp.page.locator(".rg-legend").first.locator("li").count() == 3
    _assert_clean(bp, tiles_expected=False)


@pytest.mark.parametrize(("fixture", "message"), [("illisible.bin", "Fichier illisible"),
                                                  ("vide.csv", "Le fichier est vide."),
                                                  ("corrompu.xlsx", "Classeur Excel illisible")])
def test_tableau_unreadable_file_in_browser(browser_page, fixture, message):
    bp = browser_page
    bp.goto("/cartes/tableau")
    page = bp.page
    page.set_input_files("#fichier", str(FIXTURES / fixture))
    with page.expect_navigation() as nav:
        page.click("button[type=submit]")
    assert nav.value.status == 422
    assert message in page.locator(".rg-error-message").inner_text()
    assert page.locator("h1").inner_text() == "Fichier non exploitable"
    assert bp.js_errors() == [] and bp.third_party() == []


def test_factory_markers_clusters_and_remote_polygons(browser_page, app_settings):
    """The composable factory as another widget would use it: clustered family markers plus a
    polygon layer fetched from the JSON API, served with the real headers."""
    from web_map.elements import Marker
    from web_map.page import MapPage
    from web_map.security import page_headers

    page_obj = MapPage("Essai de composition", basemap="aucun")
    page_obj.add_remote_polygons("/api/v1/departements?geometry=simplified", name="Départements",
                                 tooltip=[("nom", "Département")], fit=True)
    markers = [Marker(48.93 + i * 0.0005, 2.35 + i * 0.0005, f"Offre {i} <b>", family=fam,
                      details=[("Type", "EHPAD")])
               for i, fam in enumerate(["personnes_agees", "handicap", "domicile", "sante_mentale"] * 5)]
    markers.append(Marker(48.5, 2.9, "Isolée <script>", family="coordination", details=[("Type", "DAC")]))
    page_obj.add_markers(markers, name="Offres", cluster=True)
    page_obj.add_family_legend(["personnes_agees", "handicap", "domicile", "sante_mentale", "coordination"])
    html = page_obj.render()
    assert "leaflet.markercluster.js" in html and "MarkerCluster.Default.css" in html

    bp = browser_page
    url = bp.base_url + "/__essai__/composition"
    bp.page.route(url, lambda route: route.fulfill(status=200, body=html, content_type="text/html; charset=utf-8",
                                                   headers=page_headers(app_settings)))
    bp.page.goto(url)
    page = bp.page
    page.wait_for_function("() => document.querySelectorAll('.leaflet-overlay-pane svg path').length >= 8")
    page.wait_for_selector(".rg-cluster")
    # The 20 close markers are clustered by family: a cluster never mixes families, its colour is the family's.
    labels = page.eval_on_selector_all(".rg-cluster [role=img]", "els => els.map(e => e.getAttribute('aria-label'))")
    assert labels and all(re.fullmatch(r"\d+ offres : .+", lab) for lab in labels), labels
    assert len({lab.split(" : ")[1] for lab in labels}) >= 2, labels
    fills = page.eval_on_selector_all(".rg-cluster circle", "els => els.map(e => e.getAttribute('fill'))")
    assert set(fills) <= {"#0072B2", "#6A3D9A", "#1B7F5A", "#C2410C"}, fills
    isolated = page.locator(".rg-marker [role=img][aria-label='Coordination (DAC)']")
    assert isolated.count() == 1 and isolated.locator("text").text_content() == "C"
    # The remote polygons fit the view when they arrive, and markercluster re-clusters (animated)
    # after that zoom, removing and re-adding markers, which closes a popup opened meanwhile:
    # wait for the map to settle, then click, and click again if a late re-cluster closed it.
    for _ in range(5):
        page.wait_for_function("() => !document.querySelector('.leaflet-cluster-anim, .leaflet-zoom-anim')")
        isolated.click()
        try:
            page.wait_for_selector(".leaflet-popup-content", timeout=3000)
            break
        except PlaywrightTimeout:
            continue
    popup = page.locator(".leaflet-popup-content").inner_text()
    assert "Isolée <script>" in popup and "Type : DAC" in popup  # text, never parsed as HTML
    assert page.locator(".rg-legend svg").count() == 5
    _assert_clean(bp, tiles_expected=False)


def test_offer_place_outside_its_territory_stays_in_view(browser_page, app_settings):
    """An offer whose place lies outside the territory it serves (a DAC seated in another département): the view
    fitted to the territory is widened to the place (extend_fit), so its marker is on the map."""
    from web_map.elements import Marker
    from web_map.page import MapPage
    from web_map.security import page_headers

    square = {"type": "Feature", "properties": {"nom": "Secteur"}, "geometry": {"type": "Polygon", "coordinates": [
        [[2.33, 48.85], [2.36, 48.85], [2.36, 48.87], [2.33, 48.87], [2.33, 48.85]]]}}
    page_obj = MapPage("Offre hors de son territoire", basemap="aucun")
    page_obj.add_polygons({"type": "FeatureCollection", "features": [square]}, name="Territoire", fit=True)
    page_obj.add_markers([Marker(49.05, 2.10, "Siège", family="coordination")], name="Lieu", cluster=False,
                         extend_fit=True)
    bp = browser_page
    url = bp.base_url + "/__essai__/hors-territoire"
    bp.page.route(url, lambda route: route.fulfill(status=200, body=page_obj.render(),
                                                   content_type="text/html; charset=utf-8",
                                                   headers=page_headers(app_settings)))
    bp.page.goto(url)
    bp.page.wait_for_selector(".rg-marker")
    inside = bp.page.evaluate("""() => { const b = window.rgMap.getBounds();
        return [b.contains([49.05, 2.10]), b.contains([48.85, 2.33]), b.contains([48.87, 2.36])]; }""")
    assert inside == [True, True, True]
    _assert_clean(bp, tiles_expected=False)
