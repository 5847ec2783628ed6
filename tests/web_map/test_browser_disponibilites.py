"""The availability page /cartes/disponibilites in headless Chromium: freshness of every figure in French, stale and
fictitious figures marked, the form alone without a commune, no JS error, no third-party request."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from gis.settings import Settings
from tests import disponibilites_fixture
from tests.browser import BrowserPage, new_browser_page
from tests.conftest import LiveServer, load_with_offers

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(empty_db_factory, fetcher, data_dir) -> Iterator[LiveServer]:
    url = empty_db_factory()
    load_with_offers(url, fetcher, data_dir, disponibilites_fixture.insert)
    live = LiveServer(Settings(database_url=url, data_dir=data_dir, download=False))
    live.start()
    yield live
    live.stop()


@pytest.fixture
def desk(browser, server) -> Iterator[BrowserPage]:
    context, bp = new_browser_page(browser, server.url, width=1280, height=900)
    try:
        yield bp
    finally:
        context.close()


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
    assert "fictif" in texts[3] and re.search(r"mis à jour il y a \d+ min", texts[3])  # 30 min before the start
    stale = page.locator("tr.rg-dispo-perimee").count()
    assert stale == 2
    assert page.locator(".leaflet-marker-icon, .marker-cluster").count() >= 1
    # the commune asked about is outlined for context, and the legend says what outline and groups are
    page.wait_for_function("() => document.querySelectorAll('.leaflet-overlay-pane svg path').length >= 1")
    legend = page.locator(".rg-legend").first.inner_text()
    assert "Limite communale de Saint-Denis" in legend and "pas des places" in legend
    assert desk.js_errors() == [] and desk.third_party() == []


def test_form_only_without_commune(desk):
    desk.goto("/cartes/disponibilites")
    assert desk.page.locator("form.rg-dispo-form select[name=type_offre] option").count() >= 2
    assert "Choisissez une commune" in desk.page.locator("header").inner_text()
    assert desk.js_errors() == []


