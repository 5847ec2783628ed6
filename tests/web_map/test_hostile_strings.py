"""Hostile strings in every field that reaches a page, in real headless Chromium: offers, establishments,
contacts, a commune, a type d'offre label (inserted in a test database), spreadsheet headers, labels,
file name and title (uploaded through the form), and every query parameter of every page.

Each page must show the strings as text, run none of them (``window.__pwned`` stays undefined, no
dialog), and trigger no CSP violation (events, console, reports)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from gis.settings import Settings
from tests.browser import new_browser_page, parse_tags
from tests.web_map import hostile_corpus as hc

pytestmark = pytest.mark.browser
# A representative subset for the query-string matrix (every page × every parameter): breakers of both
# quote styles, script tags, a javascript: URL, bidi/zero-width, a very long string and a NUL byte.
QUERY_PAYLOADS = [hc.PAYLOADS[i] for i in (0, 2, 3, 5, 6, 11, 13)] + hc.WIRE_ONLY


@pytest.fixture(scope="module")
def hostile_server(empty_db_factory, fetcher, data_dir: Path) -> Iterator[str]:
    from tests.conftest import LiveServer, load_with_offers

    url = empty_db_factory()
    load_with_offers(url, fetcher, data_dir, hc.insert)
    server = LiveServer(Settings(database_url=url, data_dir=data_dir, download=False))
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
def hostile_page(browser, hostile_server):
    context, bp = new_browser_page(browser, hostile_server)
    watch = hc.Watch()
    watch.attach(context, bp.page)
    yield bp, watch
    context.close()


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _visit(bp, watch, path: str) -> None:
    bp.page.goto(bp.base_url + path, wait_until="load")
    bp.page.wait_for_load_state("networkidle")
    bp.page.wait_for_timeout(150)  # let focus/autofocus handlers and late layers fire
    watch.assert_clean(bp.page, path)


def test_commune_widget_shows_hostile_data_as_text(hostile_page):
    bp, watch = hostile_page
    _visit(bp, watch, f"/cartes/commune/{hc.COMMUNE_INSEE}?fond=aucun")
    page = bp.page
    assert page.locator("h1").inner_text() == _flat(f"Offres couvrant {hc.COMMUNE}")
    assert page.locator(".rg-map").get_attribute("aria-label") == f"Carte : Offres couvrant {hc.COMMUNE}"
    body = _flat(page.locator("body").inner_text())
    for payload in hc.PAYLOADS:
        assert _flat(payload) in body, payload[:60]
    assert page.locator("body script:not([src]):not([type='application/json'])").count() == 0
    assert page.locator("main img, .rg-tables img, .rg-tables iframe, .rg-tables a[href^='javascript']").count() == 0
    shown = page.evaluate(hc.MAP_TEXTS_JS)
    assert shown["elements"] == 0 and not any(t.startswith("STRING:") for t in shown["texts"])
    joined = _flat(" ".join(shown["texts"]))
    for payload in hc.PAYLOADS:  # every marker popup carries its offer name, EG and address as text
        assert _flat(payload) in joined, payload[:60]
    watch.assert_clean(page, "popups")


def test_offer_widgets_show_hostile_data_as_text(hostile_page):
    bp, watch = hostile_page
    for i, ror_id in enumerate(hc.offer_ids()):
        _visit(bp, watch, "/cartes/offre/" + quote(ror_id, safe="") + "?fond=aucun")
        if ror_id == hc.HOSTILE_ID:  # refused as a malformed id: the French error page, escaped
            assert bp.page.locator("h1").inner_text() == "Requête invalide"
            continue
        expected = hc.PAYLOADS[i % len(hc.PAYLOADS)]
        assert bp.page.locator("h1").inner_text() == _flat(expected)
        assert _flat(expected) in _flat(bp.page.locator(".rg-tables").inner_text())


def test_coverage_widget_with_hostile_commune_and_label(hostile_page):
    bp, watch = hostile_page
    _visit(bp, watch, "/cartes/couverture?type_offre=30&fond=aucun")
    page = bp.page
    assert _flat(hc.PAYLOADS[2]) in _flat(page.locator("h1").inner_text())
    assert _flat(hc.COMMUNE) in _flat(page.locator(".rg-tables").inner_text())
    watch.assert_clean(page, "coverage")


def test_coordinator_page_renders_hostile_results_as_text(hostile_page):
    bp, watch = hostile_page
    page = bp.page
    _visit(bp, watch, f"/?insee={hc.COMMUNE_INSEE}")
    page.wait_for_function("() => document.querySelectorAll('#pg-table tbody tr').length >= 10", timeout=15_000)
    page.wait_for_load_state("networkidle")
    table = _flat(page.locator("#pg-table").inner_text())
    for payload in hc.PAYLOADS:
        assert _flat(payload)[:200] in table, payload[:60]
    assert page.locator("#pg-table img, #pg-table script, #pg-table iframe").count() == 0
    hrefs = page.eval_on_selector_all("#pg-table a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert hrefs and all(h.startswith(("/", "tel:", "mailto:", "https://x.example/", "#pg-fam-")) for h in hrefs), hrefs
    assert "javascript:window.__pwned=40" in table  # shown as text, not as a link
    # Autocomplete: the hostile commune name in the suggestion list.
    page.fill("#pg-commune", "zzhostile")
    page.wait_for_selector("#pg-commune-list [role=option]")
    assert "Zzhostile" in page.locator("#pg-commune-list").inner_text()
    assert page.locator("#pg-commune-list img, #pg-commune-list script").count() == 0
    watch.assert_clean(page, "coordinator")


def test_embed_builder_escapes_hostile_offer_in_the_code(hostile_page):
    bp, watch = hostile_page
    page = bp.page
    _visit(bp, watch, "/cartes/integrer?" + urlencode({"carte": "offre", "offre": "hostile-1"}))
    page.wait_for_function("() => document.getElementById('pg-code').value.startsWith('<iframe')", timeout=15_000)
    tags = parse_tags(page.locator("#pg-code").input_value())
    assert [tag for tag, _ in tags] == ["iframe"]  # one element, nothing injected after it
    assert set(tags[0][1]) <= {"src", "title", "width", "height", "loading", "style"}
    assert tags[0][1]["src"].startswith(bp.base_url + "/cartes/offre/")
    page.wait_for_load_state("networkidle")
    watch.assert_clean(page, "embed builder")


@pytest.mark.parametrize("payload", QUERY_PAYLOADS, ids=lambda p: re.sub(r"\W+", "_", p[:24]))
def test_every_query_parameter_of_every_page(hostile_page, payload):
    bp, watch = hostile_page
    filters = {k: payload for k in ("type_offre", "categorie", "activite", "mode_prise_en_charge", "public",
                                    "champ", "age")}
    pages = [
        f"/?{urlencode({'insee': payload, 'q': payload, **filters})}",
        f"/?{urlencode({'insee': hc.COMMUNE_INSEE, 'type_offre': payload, 'public': payload})}",
        "/cartes/integrer?" + urlencode({"carte": payload, "insee": payload, "offre": payload, "departement": payload,
                                         "fond": payload, "largeur": payload, "hauteur": payload,
                                         "titre": payload, **filters}),
        "/cartes/integrer?" + urlencode({"carte": "offre", "offre": payload}),
        f"/cartes/commune/{hc.COMMUNE_INSEE}?" + urlencode({"fond": payload}),
        f"/cartes/commune/{hc.COMMUNE_INSEE}?" + urlencode(filters),
        "/cartes/commune/" + quote(payload, safe=""),
        "/cartes/offre/" + quote(payload, safe=""),
        "/cartes/couverture?" + urlencode({"type_offre": "30", "departement": payload, "par": payload,
                                           "classes": payload, "methode": payload, "fond": payload}),
        "/cartes/couverture?" + urlencode({"type_offre": payload}),
        "/cartes/tableau?" + urlencode({"titre": payload}),
    ]
    if payload in QUERY_PAYLOADS[:2]:  # the documentation pages are heavy: two payloads are enough
        pages += ["/docs?" + urlencode({"url": payload, "configUrl": payload}), "/redoc?" + urlencode({"url": payload})]
    for path in pages:
        _visit(bp, watch, path)


@pytest.mark.parametrize(("index", "fmt"), [(1, "csv"), (2, "csv"), (6, "csv"), (11, "csv"), (13, "csv"),
                                            (0, "xlsx"), (2, "xlsx")])
def test_hostile_spreadsheet_upload(hostile_page, index, fmt):
    bp, watch = hostile_page
    payload = hc.PAYLOADS[index]
    page = bp.page
    _visit(bp, watch, "/cartes/tableau")
    name = f"{payload[:80]}.{fmt}".replace("/", "_")
    content = hc.spreadsheet(payload) if fmt == "csv" else hc.workbook(payload)
    mime = "text/csv" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    page.set_input_files("#fichier", files=[{"name": name, "mimeType": mime, "buffer": content}])
    page.fill("#titre", payload[:120])
    page.select_option("#fond", "aucun")
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    watch.assert_clean(page, f"upload {index}")
    if page.locator(".rg-error-message").count():  # e.g. a header the reader refuses: a French 422
        assert fmt == "csv" and index in (6, 13), page.locator(".rg-error-message").inner_text()
        return
    assert page.locator("h1").inner_text() == _flat(payload[:120])
    tables = _flat(page.locator(".rg-tables").inner_text())
    unquoted = re.sub(r"[\"']", "", _flat(payload))[:40]  # the CSV reader interprets quotes
    assert unquoted in re.sub(r"[\"']", "", tables)
    assert page.locator(".rg-tables img, .rg-tables script, .rg-legend img").count() == 0
    shown = page.evaluate(hc.MAP_TEXTS_JS)
    assert shown["elements"] == 0
