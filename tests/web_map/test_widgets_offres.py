"""Offer widgets (commune with offers, one offer, coverage choropleth) on the known coverage fixture:
HTTP answers and sizes, then real headless Chromium (layers drawn = API answers, layer control,
highlight, no JS error, no third-party request)."""

from __future__ import annotations

import re

import pytest

from tests.browser import new_browser_page, wait_for_map

COMMUNE_OUTLINE = "#00558C"  # web_map.style.COMMUNE_OUTLINE: the commune itself; every other path is a territory


def test_commune_widget_lists_the_covering_offers(fixture_http):
    resp = fixture_http.get("/cartes/commune/93066", params={"fond": "aucun"})
    assert resp.status_code == 200
    html = resp.text
    assert "3 offres couvrent Saint-Denis." in html
    for name in ("SAAD zone Saint-Denis", "SSIAD zone Pierrefitte (ancien code)", "Équipe régionale"):
        assert name in html
    assert "Unité sensible" not in html and "Service fermé" not in html
    assert "Un ancien code ou une commune déléguée de la commune figure dans la zone" in html
    assert "/api/v1/communes/93066/territoires" in html
    assert "/api/v1/communes/93066/services?format=csv" in html
    assert len(resp.content) < 300_000
    assert "frame-ancestors" in resp.headers["content-security-policy"]
    assert "Sources : ROR Île-de-France, FINESS" in html  # the fixture offers are not demonstration data
    assert "fictive" not in html


def test_commune_widget_filters_flow_into_links(fixture_http):
    html = fixture_http.get("/cartes/commune/93066", params={"type_offre": "28"}).text
    assert "1 offre couvre Saint-Denis (filtres appliqués)." in html
    assert "/api/v1/communes/93066/services?type_offre=28&amp;format=xlsx" in html
    assert "/api/v1/communes/93066/territoires?type_offre=28" in html


@pytest.mark.parametrize(
    ("path", "status", "needle"),
    [
        ("/cartes/commune/99999", 404, "Aucune commune"),
        ("/cartes/commune/93066?type_offre=xx;y", 422, "mal formé"),
        ("/cartes/offre/cov-sensible", 404, "Aucune offre publique"),
        ("/cartes/couverture", 200, "type_offre » : obligatoire"),  # the form, with a message
        ("/cartes/couverture?type_offre=30&departement=99", 404, "Département inconnu"),
        ("/cartes/couverture?type_offre=30&par=5", 422, "10000"),
    ],
)
def test_widget_errors_are_french_pages(fixture_http, path, status, needle):
    resp = fixture_http.get(path)
    assert resp.status_code == status
    assert resp.headers["content-type"].startswith("text/html")
    assert needle in resp.text


def test_offer_widget(fixture_http):
    resp = fixture_http.get("/cartes/offre/cov-dep")
    assert resp.status_code == 200
    assert "DAC Val-de-Marne" in resp.text
    assert "Communes couvertes (47)" in resp.text
    assert "Val-de-Marne" in resp.text


def test_territories_api(fixture_http):
    coll = fixture_http.get("/api/v1/communes/93066/territoires").json()
    units = {(f["properties"]["niveau"], f["properties"]["code"]) for f in coll["features"]}
    # SAAD lists 93066, the SSIAD lists 93059 (now Saint-Denis), the regional team lists région 11.
    assert units == {("commune", "93066"), ("region", "11")}
    saint_denis = next(f for f in coll["features"] if f["properties"]["code"] == "93066")
    assert saint_denis["properties"]["offres"] == 2


def test_coverage_api_counts_and_white_zones(fixture_http):
    body = fixture_http.get("/api/v1/couverture", params={"type_offre": "30", "geometrie": "false"}).json()
    counts = {f["id"]: f["properties"]["offres"] for f in body["features"]}
    assert len(counts) == 1285  # communes, with Paris as its 20 arrondissements
    assert "75056" not in counts
    assert counts["93066"] == 1 and counts["75110"] == 1 and counts["75111"] == 0
    assert body["resume"]["communes_non_couvertes"] == 1283
    assert body["resume"]["communes_offres_fictives"] == 0  # the fixture's offers are not demonstration data
    per = next(f for f in body["features"] if f["id"] == "93066")["properties"]["pour_10000"]
    assert per == pytest.approx(10000 / 149077, abs=0.01)


def test_coverage_widget_size_and_summary(fixture_http):
    resp = fixture_http.get("/cartes/couverture", params={"type_offre": "30"})
    assert resp.status_code == 200
    assert len(resp.content) < 800_000
    text = re.sub(r"\s", " ", resp.text.replace("\u202f", " "))
    assert "1 283 sans aucune offre" in text
    assert "offres fictives" not in text
    assert "/api/v1/couverture?type_offre=30" in resp.text


@pytest.fixture
def fx_page(browser, fixture_server):
    context, bp = new_browser_page(browser, fixture_server.url)
    yield bp
    context.close()


@pytest.mark.browser
def test_commune_widget_in_chromium(fx_page, fixture_http):
    bp = fx_page
    api = fixture_http.get("/api/v1/communes/93066/territoires").json()
    resp = bp.goto("/cartes/commune/93066?fond=aucun")
    assert resp.status == 200
    expected_paths = 1 + len(api["features"])  # commune outline + one per territory unit
    wait_for_map(bp, paths=expected_paths)
    page = bp.page
    assert page.locator(".leaflet-overlay-pane svg path").count() == expected_paths
    # the three offers share their EG's point: three markers (no clustering under 13 markers)
    assert page.locator(".leaflet-marker-pane .leaflet-marker-icon").count() == 3
    assert page.locator(".rg-legend").filter(has_text="Familles d'offre").count() == 1
    assert page.locator(".rg-source").inner_text().startswith("Sources : ROR")
    # layer control: hide the territories
    control = page.locator(".leaflet-control-layers")
    assert control.locator("label").filter(has_text="Territoires d'intervention").count() == 1
    control.locator("label").filter(has_text="Territoires d'intervention").locator("input").uncheck()
    assert page.locator(".leaflet-overlay-pane svg path").count() == 1
    control.locator("label").filter(has_text="Territoires d'intervention").locator("input").check()
    wait_for_map(bp, paths=expected_paths)
    # popup of an offer: name, why, link to the details
    page.locator(".leaflet-marker-icon").last.click()  # the three markers are stacked on one point
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Pourquoi" in popup.inner_text()
    assert popup.locator("a").first.get_attribute("href").startswith("/cartes/offre/cov-")
    assert popup.locator("a.rg-report-link").get_attribute("href").startswith("/signalements/nouveau/offre/cov-")
    assert bp.js_errors() == [] and bp.third_party() == []


@pytest.mark.browser
def test_territory_highlight_on_hover(fx_page):
    bp = fx_page
    bp.goto("/cartes/commune/75110?fond=aucun")
    wait_for_map(bp, paths=2)
    page = bp.page
    page.locator(".leaflet-control-layers label").filter(has_text="Offres").locator("input").uncheck()
    paths = page.locator(".leaflet-overlay-pane svg path.leaflet-interactive")
    target = None
    for i in range(paths.count()):
        if paths.nth(i).get_attribute("stroke") != COMMUNE_OUTLINE:  # a territory (in its family's colour)
            target = paths.nth(i)
            break
    assert target is not None
    box = target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(200)
    strokes = [paths.nth(i).get_attribute("stroke") for i in range(paths.count())]
    assert "#E4002B" in strokes
    assert bp.js_errors() == []


@pytest.mark.browser
def test_coverage_widget_geojson_fallback_in_chromium(fx_page, fixture_http):
    """Filters the vector tiles cannot express (here the age): the communes come as GeoJSON. The tiles
    themselves are tested in test_coverage_tiles.py."""
    bp = fx_page
    bp.goto("/cartes/couverture?type_offre=30&age=70&fond=aucun")
    wait_for_map(bp, paths=1285 + 8, timeout=20_000)
    page = bp.page
    api = fixture_http.get("/api/v1/couverture", params={"type_offre": "30", "age": "70"}).json()
    hatched = page.locator(".leaflet-overlay-pane svg path[fill='url(#rg-hatch)']").count()
    assert hatched == sum(1 for f in api["features"] if f["properties"]["offres"] == 0) >= 1283
    assert page.locator(".rg-legend").filter(has_text="zone blanche").count() == 1
    assert bp.js_errors() == [] and bp.third_party() == []


@pytest.mark.browser
def test_offer_widget_in_chromium(fx_page):
    bp = fx_page
    bp.goto("/cartes/offre/cov-dep?fond=aucun")
    wait_for_map(bp, paths=1)
    assert bp.page.locator(".leaflet-marker-icon").count() == 1
    assert bp.js_errors() == [] and bp.third_party() == []


def test_commune_widget_shows_a_page_of_the_nearest_offers(fixture_db_url):
    """At national scale a city is covered by thousands of offers: the widget shows the nearest ones and says so."""
    from gis.db import connect
    from gis.layers import communes, offres
    from web_map.widgets import COMMUNE_WIDGET_OFFERS, commune_offers_page

    assert COMMUNE_WIDGET_OFFERS <= 200
    with connect(fixture_db_url) as conn:
        feature = communes.feature(conn, "93066", geometry="full")
        answer = offres.covering(conn, "93066", limit=1)
    assert answer["total"] == 3 and len(answer["results"]) == 1
    notices = commune_offers_page(feature, answer, basemap="none").notices
    assert any("les 1 offres les plus proches" in n and "exports" in n for n in notices)
    full = commune_offers_page(feature, {**answer, "total": 1}, basemap="none").notices
    assert not any("les plus proches" in n for n in full)

@pytest.mark.browser
def test_region_territory_is_an_outline_that_never_catches_the_pointer(fx_page, fixture_http):
    bp = fx_page
    api = fixture_http.get("/api/v1/communes/93066/territoires").json()
    levels = [f["properties"]["niveau"] for f in api["features"]]
    assert "region" in levels
    bp.goto("/cartes/commune/93066?fond=aucun")
    wait_for_map(bp, paths=1 + len(levels))
    page = bp.page
    paths = page.eval_on_selector_all(
        ".leaflet-overlay-pane svg path",
        "els => els.map(e => [e.getAttribute('fill'), e.classList.contains('leaflet-interactive'),"
        " e.getAttribute('stroke-dasharray')])")
    outlines = [p for p in paths if p[2] == "6 4"]
    assert len(outlines) == levels.count("region") + levels.count("departement")
    assert all(fill == "none" and not interactive for fill, interactive, _ in outlines)
    # Hovering the map outside the commune shows no territory tooltip (the région no longer covers the view).
    box = page.locator("#rg-map").bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] - 40)
    assert page.locator(".leaflet-tooltip").count() == 0
    legend = page.locator(".rg-side").inner_text()
    assert "Département ou région entiers (contour seul" in legend
    assert bp.js_errors() == [] and bp.third_party() == []


@pytest.mark.browser
def test_territories_take_their_family_colour(fx_page, fixture_http):
    """Territories are drawn in the colour of their offers' family (the markers' and legend's colours), a territory
    shared by several families in grey; the API says which types d'offre each territory carries."""
    from web_map import style
    from web_map.widgets import MIXED_TERRITORY_COLOR

    api = fixture_http.get("/api/v1/communes/93066/territoires").json()
    assert all(f["properties"]["types_offre"] for f in api["features"])
    bp = fx_page
    bp.goto("/cartes/commune/93066?fond=aucun")
    wait_for_map(bp, paths=1 + len(api["features"]))
    page = bp.page
    strokes = page.eval_on_selector_all(".leaflet-overlay-pane svg path",
                                        "els => els.map(e => e.getAttribute('stroke'))")
    territories = [s for s in strokes if s != COMMUNE_OUTLINE]
    assert len(territories) == len(api["features"])
    allowed = {f.color for f in style.FAMILIES.values()} | {MIXED_TERRITORY_COLOR}
    assert set(territories) <= allowed
    # Saint-Denis' own unit carries a SAAD and a SSIAD: both « Domicile », drawn in that family's colour.
    assert style.FAMILIES["domicile"].color in territories
    legend = page.locator(".rg-side").inner_text()
    assert "couleur de la famille de ses offres" in legend and "plusieurs familles" in legend
    assert bp.js_errors() == []


def test_widget_table_links_and_partial_mark(fixture_http):
    html = fixture_http.get("/cartes/commune/75056", params={"fond": "aucun"}).text
    assert '<a href="/cartes/offre/cov-arr" target="_top">SAAD zone Paris 10e</a>' in html
    assert '<span class="rg-badge">couverture partielle</span>' in html
    saint_denis = fixture_http.get("/cartes/commune/93066", params={"fond": "aucun"}).text
    assert '<a href="tel:0100000001">01 00 00 00 01</a>' in saint_denis


def test_coverage_page_controls_classes_date_and_exports(fixture_http):
    html = fixture_http.get("/cartes/couverture", params={"type_offre": "30", "fond": "aucun"}).text
    # Controls: the type d'offre (grouped by family, the current one selected), territory, measure, classes, method.
    assert '<form class="rg-controls" method="get" action="/cartes/couverture"' in html
    assert re.search(r'<optgroup label="Domicile \(SAD/SSIAD\)">', html)
    assert re.search(r'<option value="30" selected>', html)
    assert '<option value="93">Seine-Saint-Denis (93)</option>' in html
    assert 'name="par" value="10000"' in html and 'name="methode"' in html and 'name="classes"' in html
    # Integer classes for counts: no "de 1 à 1", no decimals.
    legend = html[html.index('class="rg-side"'):html.index("</aside>")]
    assert "de 1 à 1" not in legend and "," not in re.sub(r"\([^)]*\)", "", legend.split("Discrétisation")[0])
    # The data date in the source line; the table as CSV and XLSX.
    assert re.search(r"données du \d\d/\d\d/\d{4}", html)
    assert "/api/v1/couverture?type_offre=30&amp;format=csv" in html
    csv = fixture_http.get("/api/v1/couverture", params={"type_offre": "30", "format": "csv"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Code INSEE;Commune;Département;Population;Offres;Offres pour 10 000 habitants;Zone blanche"
    assert any(line.startswith("93066;Saint-Denis;93;") for line in lines)
    xlsx = fixture_http.get("/api/v1/couverture", params={"type_offre": "30", "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    # Rates: rounded class bounds (one decimal).
    rate = fixture_http.get("/cartes/couverture", params={"type_offre": "30", "par": "10000", "fond": "aucun"}).text
    legend = rate[rate.index('class="rg-side"'):rate.index("</aside>")]
    assert not re.search(r"\d,\d\d", legend)
    # Empty selects of the form are accepted (no département, count).
    assert fixture_http.get("/cartes/couverture", params={"type_offre": "30", "departement": "", "par": ""}
                            ).status_code == 200


def test_coverage_page_without_type_shows_the_controls_in_french(fixture_http):
    resp = fixture_http.get("/cartes/couverture")
    assert resp.status_code == 200
    assert "Choisissez un type d&#39;offre" in resp.text and '<form class="rg-controls"' in resp.text
    assert "Code HTTP" not in resp.text
