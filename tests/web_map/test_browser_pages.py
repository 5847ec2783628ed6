"""The human pages in real headless Chromium, on the known coverage fixture: coordinator search
(keyboard autocomplete, map iframe, results table with reasons, filters, exports, state in the URL,
empty and error messages, fictitious-data banner, phone width) and the embed-code builder."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.browser import BrowserPage, new_browser_page, parse_tags

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def pages_server(fixture_server):
    """The live server over the coverage-fixture database (IDF geography, nomenclatures, test offers)."""
    return fixture_server


@pytest.fixture
def desk(browser, pages_server) -> Iterator[BrowserPage]:
    context, bp = new_browser_page(browser, pages_server.url, width=1280, height=900)
    try:
        yield bp
    finally:
        context.close()


@pytest.fixture
def phone(browser, pages_server) -> Iterator[BrowserPage]:
    context, bp = new_browser_page(browser, pages_server.url, width=375, height=740)
    try:
        yield bp
    finally:
        context.close()


def _api(server, path: str, **params) -> dict:
    return httpx.get(server.url + path, params=params, timeout=30).json()


def _assert_clean(bp: BrowserPage) -> None:
    assert bp.js_errors() == []
    assert bp.third_party() == []


def _rows(page) -> list[str]:
    return page.locator("#pg-table tbody tr:not(.pg-group-row)").all_inner_texts()


def _wait_count(page, text: str) -> None:
    page.wait_for_function("t => document.getElementById('pg-count').textContent.includes(t)", arg=text,
                           timeout=10_000)


def _wait_map_frame(page, path_fragment: str):
    """The iframe whose URL contains ``path_fragment``, once its Leaflet map has drawn a polygon."""
    page.wait_for_function(
        "f => { const i = document.querySelector('iframe'); return i && i.src.includes(f); }",
        arg=path_fragment, timeout=10_000)
    frame = None
    for _ in range(100):
        frame = next((f for f in page.frames if path_fragment in f.url), None)
        if frame:
            break
        page.wait_for_timeout(100)
    assert frame is not None, [f.url for f in page.frames]
    frame.wait_for_function("() => document.querySelectorAll('.leaflet-overlay-pane svg path').length >= 1",
                            timeout=15_000)
    return frame


def _wait_first_option(page, listbox: str, text: str) -> None:
    page.wait_for_function(
        "([l, t]) => { const o = document.querySelector('#' + l + ' [role=option]');"
        " return o && o.textContent.includes(t) && !document.getElementById(l).hidden; }",
        arg=[listbox, text], timeout=10_000)


def _choose_saint_denis(page) -> None:
    box = page.locator("#pg-commune")
    box.click()
    box.press_sequentially("st denis", delay=40)
    _wait_first_option(page, "pg-commune-list", "Saint-Denis")
    options = page.locator("#pg-commune-list [role=option] .pg-option-text").all_inner_texts()
    assert "Saint-Denis (93)" in options, options
    for _ in range(options.index("Saint-Denis (93)") + 1):
        box.press("ArrowDown")
    active = page.locator("#pg-commune").get_attribute("aria-activedescendant")
    assert active and page.locator(f"#{active}").inner_text().startswith("Saint-Denis (93)")
    assert page.locator("#pg-commune").get_attribute("aria-expanded") == "true"
    box.press("Enter")
    assert page.locator("#pg-commune").get_attribute("aria-expanded") == "false"


def test_search_by_keyboard_map_table_filter_exports(desk, pages_server):
    bp, page = desk, desk.page
    assert bp.goto("/").status == 200
    assert page.locator("#pg-results").is_hidden()
    _choose_saint_denis(page)
    expected = _api(pages_server, "/api/v1/communes/93066/services", limit=500)
    n = expected["total"]
    _wait_count(page, f"{n} offres couvrent Saint-Denis")
    assert page.locator("#pg-commune").input_value() == "Saint-Denis (93)"
    assert parse_qs(urlsplit(page.url).query) == {"insee": ["93066"]}
    # The map widget of the commune, in an iframe, loads and draws.
    frame = _wait_map_frame(page, "/cartes/commune/93066")
    assert page.locator("#pg-map").get_attribute("title") == "Carte des offres couvrant Saint-Denis"
    assert frame.evaluate("document.documentElement.lang") == "fr"
    # The table: one row per offer, the known offer with its reason and establishment.
    rows = _rows(page)
    assert len(rows) == n > 0
    saad = next(r for r in rows if "SAAD zone Saint-Denis" in r)
    api_saad = next(r for r in expected["results"] if r["nom"] == "SAAD zone Saint-Denis")
    assert api_saad["couverture"]["libelle"] in saad
    assert "FINESS 930000001" in saad and "EG de test (fictif)" in saad
    assert "Tél. 01 00 00 00 01" in saad and "06 00 00 00 02" not in saad  # public contact only
    link = page.locator("#pg-table tbody th a", has_text="SAAD zone Saint-Denis")
    assert link.get_attribute("href") == "/cartes/offre/cov-commune"
    assert "Unité sensible" not in "".join(rows) and "Service fermé" not in "".join(rows)
    # Fixture offers are not fictitious: no banner.
    assert page.locator("#pg-fictif").is_hidden()
    # Export and embed links carry the commune.
    assert page.get_attribute("#pg-csv", "href") == "/api/v1/communes/93066/services?format=csv"
    assert page.get_attribute("#pg-xlsx", "href") == "/api/v1/communes/93066/services?format=xlsx"
    assert page.get_attribute("#pg-embed", "href") == "/cartes/integrer?carte=commune&insee=93066"

    # Filter: type d'offre 28 (typed as its code, chosen with Enter).
    type_box = page.locator("#pg-type_offre")
    type_box.focus()  # focus, not a pointer click: nothing can cover the field on a slow machine
    type_box.press_sequentially("28", delay=40)
    _wait_first_option(page, "pg-type_offre-list", "code 28")
    first = page.locator("#pg-type_offre-list [role=option]").first.inner_text()
    assert "code 28" in first and "SSIAD" in first
    type_box.press("Enter")
    _wait_count(page, "1 offre couvre Saint-Denis")
    rows = _rows(page)
    assert len(rows) == 1 and "SSIAD zone Pierrefitte (ancien code)" in rows[0]
    assert type_box.input_value() == "Services Soins infirmiers à domicile (SSIAD) (28)"
    assert "type d'offre « Services Soins infirmiers à domicile (SSIAD) (28) »" in page.locator(
        "#pg-filters-summary").inner_text()
    assert parse_qs(urlsplit(page.url).query) == {"insee": ["93066"], "type_offre": ["28"]}
    csv_href = page.get_attribute("#pg-csv", "href")
    assert csv_href == "/api/v1/communes/93066/services?type_offre=28&format=csv"
    assert page.get_attribute("#pg-xlsx", "href") == "/api/v1/communes/93066/services?type_offre=28&format=xlsx"
    assert page.get_attribute("#pg-embed", "href") == "/cartes/integrer?carte=commune&insee=93066&type_offre=28"
    _wait_map_frame(page, "/cartes/commune/93066?type_offre=28")
    # The export link really downloads the filtered list.
    csv = httpx.get(pages_server.url + csv_href, timeout=30)
    assert csv.status_code == 200
    body = csv.content.decode("utf-8-sig")
    assert "SSIAD zone Pierrefitte" in body and "SAAD zone Saint-Denis" not in body
    # Clearing the filter brings every offer back.
    page.click("[data-clear=pg-type_offre]")
    _wait_count(page, f"{n} offres couvrent Saint-Denis")
    assert parse_qs(urlsplit(page.url).query) == {"insee": ["93066"]}
    _assert_clean(bp)
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in bp.local_requests)


def test_pick_commune_with_a_click_and_sort_within_families(desk):
    page = desk.page
    desk.goto("/")
    page.locator("#pg-commune").press_sequentially("st denis", delay=40)
    page.locator("#pg-commune-list [role=option]", has_text="Saint-Denis (93)").first.click()
    _wait_count(page, "offres couvrent Saint-Denis")
    assert page.locator("th[data-key=distance]").get_attribute("aria-sort") == "ascending"
    page.select_option("#pg-sort", "nom:1")
    assert page.locator("th[data-key=nom]").get_attribute("aria-sort") == "ascending"
    assert page.locator("th[data-key=distance]").get_attribute("aria-sort") is None
    groups = page.evaluate("""() => {
        const out = [];
        for (const tr of document.querySelectorAll('#pg-table tbody tr')) {
            if (tr.classList.contains('pg-group-row')) out.push([tr.dataset.family, []]);
            else out[out.length - 1][1].push(tr.querySelector('th a').textContent);
        }
        return out;
    }""")
    assert groups and len({g[0] for g in groups}) == len(groups)  # each family once

    def key(s):
        return s.casefold().replace("é", "e")

    for _family, names in groups:
        assert names == sorted(names, key=key)
    page.select_option("#pg-sort", "nom:-1")
    assert page.locator("th[data-key=nom]").get_attribute("aria-sort") == "descending"
    assert "Offres triées par offre, ordre décroissant, dans chaque famille." in page.locator(
        "#pg-sort-live").inner_text()
    _assert_clean(desk)


def test_compact_map_count_once_and_first_result_within_ten_tab_stops(desk, pages_server):
    bp, page = desk, desk.page
    bp.goto("/")
    _choose_saint_denis(page)
    n = _api(pages_server, "/api/v1/communes/93066/services", limit=500)["total"]
    _wait_count(page, f"{n} offres couvrent Saint-Denis")
    frame = _wait_map_frame(page, "/cartes/commune/93066?mode=compact")
    # The compact widget: the map and an overlaid legend, no header, notices or tables.
    assert frame.locator(".rg-notice").count() == 0 and frame.locator("table").count() == 0
    assert frame.locator(".rg-legend-overlay summary").inner_text() == "Légende"
    assert frame.locator(".rg-legend-overlay").get_attribute("open") is not None
    assert page.get_attribute("#pg-map-open", "href") == "/cartes/commune/93066"
    # The count once on the page.
    assert page.locator("body").inner_text().count("couvrent Saint-Denis") == 1
    # From the commune field, the first result is reached in at most 10 Tab stops.
    page.focus("#pg-commune")
    first = page.locator("#pg-table tbody tr:not(.pg-group-row) th a").first
    for _stop in range(10):
        page.keyboard.press("Tab")
        if first.evaluate("a => a === document.activeElement"):
            break
    else:
        raise AssertionError("the first result is more than 10 Tab stops away from the commune field")
    # The family group heading links its marker to the page legend.
    group_link = page.locator("#pg-table tbody tr.pg-group-row a").first
    target = group_link.get_attribute("href")
    assert target.startswith("#pg-fam-")
    assert page.locator(target).is_visible()
    _assert_clean(bp)


def test_type_offre_list_limited_to_the_commune_with_counts(desk, pages_server):
    page = desk.page
    facets = _api(pages_server, "/api/v1/communes/93066/types-offre")
    assert facets["insee"] == "93066"
    codes = [t["code"] for t in facets["types_offre"]]
    assert "28" in codes and len(codes) == len(set(codes))
    total = _api(pages_server, "/api/v1/communes/93066/services", limit=500)["total"]
    assert sum(t["offres"] for t in facets["types_offre"]) == total
    # A former code answers for the current commune; an unknown code is a 404 in French.
    assert _api(pages_server, "/api/v1/communes/93059/types-offre")["insee"] == "93066"
    r = httpx.get(pages_server.url + "/api/v1/communes/99999/types-offre", timeout=30)
    assert r.status_code == 404 and "Aucune commune" in r.json()["detail"]
    desk.goto("/?insee=93066")
    _wait_count(page, "offres couvrent Saint-Denis")
    page.focus("#pg-type_offre")
    page.keyboard.press("ArrowDown")
    page.wait_for_function("() => document.querySelectorAll('#pg-type_offre-list [role=option]').length > 0")
    options = page.locator("#pg-type_offre-list [role=option]").all_inner_texts()
    assert len(options) == len(codes)
    assert all(re.search(r"\d+ offres? · .+ · code ", o) for o in options), options
    assert page.locator("#pg-type_offre-list .pg-option-group").count() >= 1
    width = page.evaluate("document.getElementById('pg-type_offre').getBoundingClientRect().width")
    assert width > 600
    _assert_clean(desk)


def test_paris_whole_or_some_arrondissements(desk, pages_server):
    page = desk.page
    data = _api(pages_server, "/api/v1/communes/75056/services", limit=500)
    partial = sum(1 for r in data["results"] if r["couverture"]["partielle"])
    whole = data["total"] - partial
    assert partial >= 1
    desk.goto("/?insee=75056")
    _wait_count(page, "couvre")
    text = page.locator("#pg-paris-text").inner_text()
    assert f"{whole} offre" in text and f"{partial} ne couvre" in text and "arrondissement" in text
    page.select_option("#pg-arrondissement", "75110")
    _wait_count(page, "Paris 10e")
    assert parse_qs(urlsplit(page.url).query)["insee"] == ["75110"]
    page.wait_for_function("() => document.getElementById('pg-commune').value === 'Paris 10e (75)'")
    assert "Arrondissement" not in page.locator("#pg-count").inner_text()
    _assert_clean(desk)


def test_raw_capitals_are_tidied(desk):
    page = desk.page
    desk.goto("/")
    tidy = page.evaluate("""() => [RorPages.tidy('EHPAD LES LILAS'), RorPages.tidy('93200 ST DENIS'),
                                   RorPages.tidy('Maison de santé'), RorPages.placeName('Paris 15e Arrondissement')]""")
    assert tidy == ["EHPAD les Lilas", "93200 Saint Denis", "Maison de santé", "Paris 15e"]


def test_favicon(desk, pages_server):
    r = httpx.get(pages_server.url + "/favicon.ico", timeout=30, follow_redirects=True)
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    desk.goto("/")
    href = desk.page.get_attribute("link[rel=icon]", "href")
    assert httpx.get(pages_server.url + href, timeout=30).status_code == 200


def test_state_restored_from_the_url(desk):
    page = desk.page
    desk.goto("/?insee=93066&type_offre=28")
    _wait_count(page, "1 offre couvre Saint-Denis")
    page.wait_for_function("() => document.getElementById('pg-commune').value === 'Saint-Denis (93)'")
    assert page.locator("#pg-type_offre").input_value() == "Services Soins infirmiers à domicile (SSIAD) (28)"
    assert "SSIAD zone Pierrefitte" in _rows(page)[0]
    # A former code (Pierrefitte 93059) shows the current commune.
    desk.goto("/?insee=93059")
    _wait_count(page, "offres couvrent Saint-Denis")
    _assert_clean(desk)


def test_nothing_covers_and_unknown_commune_messages(desk):
    page = desk.page
    desk.goto("/")
    page.click("#pg-form button[type=submit]")
    error = page.locator("#pg-commune-error")
    assert error.is_visible() and "Choisissez d'abord une commune" in error.inner_text()
    assert page.evaluate("document.activeElement.id") == "pg-commune"
    desk.goto("/?insee=77284&type_offre=28")  # Meaux: no SSIAD in the fixture
    _wait_count(page, "Aucune offre ne couvre Meaux avec ces critères")
    assert "Essayez en retirant un filtre." in page.locator("#pg-filters-summary").inner_text()
    assert _rows(page) == ["Aucune offre à afficher pour cette commune avec ces critères."]
    desk.goto("/?insee=99999")
    _wait_count(page, "Commune introuvable")
    alert = page.locator("#pg-error")
    assert alert.is_visible() and "Aucune commune ne correspond au code INSEE 99999" in alert.inner_text()
    assert alert.get_attribute("role") == "alert"
    assert page.locator(".pg-layout").is_hidden() and page.locator(".pg-actions").is_hidden()
    assert desk.third_party() == []


def test_api_failure_message(desk):
    page = desk.page
    page.route("**/api/v1/communes/93066/services**", lambda route: route.fulfill(
        status=503, content_type="application/json",
        body=json.dumps({"detail": "Base de données indisponible", "code": "indisponible"})))
    desk.goto("/?insee=93066")
    _wait_count(page, "Recherche impossible")
    assert "momentanément indisponible" in page.locator("#pg-error").inner_text()
    assert desk.page_errors == []


def test_fictitious_banner_when_results_are_fictitious(desk):
    page = desk.page

    def fictif(route) -> None:
        resp = route.fetch()
        data = resp.json()
        for r in data["results"]:
            r["fictif"] = True
        route.fulfill(response=resp, body=json.dumps(data))

    page.route("**/api/v1/communes/93066/services**", fictif)
    desk.goto("/?insee=93066")
    _wait_count(page, "offres couvrent Saint-Denis")
    banner = page.locator("#pg-fictif")
    assert banner.is_visible()
    assert "Données fictives de démonstration" in banner.inner_text()
    assert desk.js_errors() == []


def test_phone_width_has_no_horizontal_scroll(phone):
    page = phone.page
    phone.goto("/")
    _choose_saint_denis(page)
    _wait_count(page, "offres couvrent Saint-Denis")
    _wait_map_frame(page, "/cartes/commune/93066")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    box = page.locator("#pg-map").bounding_box()
    assert box["width"] <= 375 and box["height"] >= 300
    # Cards: each value keeps its column name; the phone sort control works.
    assert page.locator("#pg-sort").is_visible()
    page.select_option("#pg-sort", "nom:1")
    assert page.locator("th[data-key=nom]").get_attribute("aria-sort") == "ascending"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    _assert_clean(phone)


# --- embed builder ---------------------------------------------------------------------------------
def _code_iframe(page) -> dict:
    """The <iframe> of the code textarea, parsed by the browser."""
    page.wait_for_function("() => document.getElementById('pg-code').value.startsWith('<iframe')")
    tags = parse_tags(page.locator("#pg-code").input_value())
    frames = [attrs for tag, attrs in tags if tag == "iframe"]
    return {**frames[0], "count": len(frames)}


def test_embed_builder_prefilled_commune(desk, pages_server):
    page = desk.page
    assert desk.goto("/cartes/integrer?carte=commune&insee=93066").status == 200
    page.wait_for_function("() => document.getElementById('pg-commune').value === 'Saint-Denis (93)'")
    code = _code_iframe(page)
    assert code["count"] == 1
    assert code["src"] == f"{pages_server.url}/cartes/commune/93066"
    assert code["title"] == "Carte des offres du ROR couvrant Saint-Denis"
    assert code["width"] == "100%" and code["height"] == "500"
    assert code["loading"] == "lazy" and code["style"] == "border:0"
    assert page.locator("#pg-code").get_attribute("readonly") is not None
    # The live preview loads the same widget (same origin).
    preview = _wait_map_frame(page, "/cartes/commune/93066")
    assert preview.evaluate("document.title") == "Offres couvrant Saint-Denis"
    # Changing the height updates the code and the preview.
    page.fill("#pg-height", "420")
    assert _code_iframe(page)["height"] == "420"
    page.wait_for_function("() => document.getElementById('pg-preview').style.height === '420px'")
    page.select_option("#pg-width-unit", "px")
    page.fill("#pg-width", "640")
    code = _code_iframe(page)
    assert code["width"] == "640"
    # Basemap and a filter go into the widget URL; the builder's own URL keeps the state.
    page.select_option("#pg-fond", "osm")
    type_box = page.locator("#pg-type_offre")
    type_box.click()
    type_box.press_sequentially("30", delay=40)
    _wait_first_option(page, "pg-type_offre-list", "code 30")
    type_box.press("Enter")
    page.wait_for_function("() => document.getElementById('pg-code').value.includes('type_offre=30')")
    code = _code_iframe(page)
    assert code["src"] == f"{pages_server.url}/cartes/commune/93066?type_offre=30&fond=osm"
    assert "type_offre=30&amp;fond=osm" in page.locator("#pg-code").input_value()  # escaped attribute
    query = parse_qs(urlsplit(page.url).query)
    assert query["carte"] == ["commune"] and query["insee"] == ["93066"] and query["type_offre"] == ["30"]
    assert query["hauteur"] == ["420px"] and query["largeur"] == ["640px"] and query["fond"] == ["osm"]
    _wait_map_frame(page, "/cartes/commune/93066?type_offre=30&fond=osm")
    _assert_clean(desk)


def test_embed_builder_copy_button(desk):
    page = desk.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=desk.base_url)
    desk.goto("/cartes/integrer?carte=commune&insee=93066")
    _code_iframe(page)
    page.click("#pg-copy")
    page.wait_for_function("() => document.getElementById('pg-copy-live').textContent.includes('Code copié')")
    assert page.evaluate("navigator.clipboard.readText()") == page.locator("#pg-code").input_value()
    _assert_clean(desk)


def test_embed_builder_other_maps(desk, pages_server):
    page = desk.page
    desk.goto("/cartes/integrer?carte=couverture&type_offre=28&departement=93")
    page.wait_for_function("() => document.getElementById('pg-code').value.includes('departement=93')")
    code = _code_iframe(page)
    assert code["src"] == f"{pages_server.url}/cartes/couverture?type_offre=28&departement=93"  # count by default
    assert "Seine-Saint-Denis" in code["title"]
    assert page.locator("#pg-opt-commune").is_hidden() and page.locator("#pg-opt-couverture").is_visible()
    # Offer map: an id is checked against the API.
    page.check("input[name=carte][value=offre]")
    assert page.locator("#pg-code-problem").inner_text() == "Saisissez l'identifiant d'une offre pour obtenir le code."
    page.fill("#pg-offre", "cov-commune")
    page.wait_for_function("() => document.getElementById('pg-offre-check').textContent.startsWith('Offre trouvée')")
    assert "SAAD zone Saint-Denis" in page.locator("#pg-offre-check").inner_text()
    assert _code_iframe(page)["src"] == f"{pages_server.url}/cartes/offre/cov-commune"
    page.fill("#pg-offre", "inconnue-123")
    page.wait_for_function("() => document.getElementById('pg-offre-check').textContent.startsWith('Aucune offre')")
    assert "inconnue-123" in page.locator("#pg-code-problem").inner_text()
    assert page.locator("#pg-code").input_value() == ""
    # Commune map without a commune: a clear message, no code.
    page.check("input[name=carte][value=commune]")
    assert page.locator("#pg-code-problem").inner_text() == "Choisissez une commune pour obtenir le code."
    assert page.locator("#pg-code").input_value() == ""
    assert page.locator("#pg-copy").is_disabled()
    assert desk.page_errors == [] and desk.third_party() == []


def test_embed_builder_phone_width(phone):
    page = phone.page
    phone.goto("/cartes/integrer?carte=commune&insee=93066")
    _code_iframe(page)
    _wait_map_frame(page, "/cartes/commune/93066")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert re.fullmatch(r"\d+(\.\d+)?", str(page.locator("#pg-preview").bounding_box()["width"]))
    assert page.locator("#pg-preview").bounding_box()["width"] <= 375
    _assert_clean(phone)


def test_embed_builder_compact_mode_measure_and_frame_ancestors_warning(desk):
    page = desk.page
    desk.goto("/cartes/integrer?carte=commune&insee=93066")
    warning = page.locator("#pg-ancestors-warning")
    assert warning.is_visible() and "frame-ancestors 'self'" in warning.inner_text()
    page.wait_for_function("() => document.getElementById('pg-code').value.includes('/cartes/commune/93066')")
    assert "mode=compact" not in page.locator("#pg-code").input_value()
    page.check("#pg-compact")
    page.wait_for_function("() => document.getElementById('pg-code').value.includes('mode=compact')")
    assert "mode=compact" in page.url
    page.wait_for_function("() => (document.getElementById('pg-preview').src || '').includes('mode=compact')")
    # Coverage: the count by default, the rate on demand.
    desk.goto("/cartes/integrer?carte=couverture&type_offre=30")
    page.wait_for_function("() => document.getElementById('pg-code').value.includes('/cartes/couverture')")
    assert "par=10000" not in page.locator("#pg-code").input_value()
    page.select_option("#pg-mesure", "10000")
    page.wait_for_function("() => document.getElementById('pg-code').value.includes('par=10000')")
    _assert_clean(desk)
