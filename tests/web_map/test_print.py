"""Print and PDF export of the maps in real Chromium (issue #10): the print stylesheet keeps the title,
the map, the legend, the source and its date on the page and drops the controls; ``page.pdf()`` and a
print-media screenshot of every map."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser import BrowserPage, new_browser_page, wait_for_map

pytestmark = pytest.mark.browser

MAPS = [
    "/cartes/commune/93066?fond=aucun",
    "/cartes/commune/93066?fond=aucun&mode=compact",
    "/cartes/offre/cov-dep?fond=aucun",
    "/cartes/couverture?type_offre=30&fond=aucun",
]


@pytest.fixture
def print_page(browser, fixture_server) -> Iterator[BrowserPage]:
    context, bp = new_browser_page(browser, fixture_server.url, width=1366, height=768)
    try:
        yield bp
    finally:
        context.close()


def _visible(page, selector: str) -> bool:
    return bool(page.evaluate(
        "s => { const e = document.querySelector(s); if (!e) return false; const r = e.getBoundingClientRect();"
        " return getComputedStyle(e).display !== 'none' && r.width > 0 && r.height > 0; }", selector))


@pytest.mark.parametrize("path", MAPS)
def test_map_prints_with_title_legend_source(print_page, path):
    bp = print_page
    page = bp.page
    assert bp.goto(path).status == 200
    wait_for_map(bp, timeout=20_000)
    page.wait_for_load_state("networkidle")
    compact = "mode=compact" in path
    if not compact:
        assert page.locator(".rg-print").is_visible()  # the export button, shown once the script runs
    page.emulate_media(media="print")
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    assert _visible(page, ".rg-map-frame") and _visible(page, ".leaflet-overlay-pane svg")
    assert _visible(page, ".rg-legend") and _visible(page, ".rg-source")
    assert "imprimée le" in page.locator(".rg-source").inner_text()
    assert _visible(page, "h1")
    if not compact:
        assert not _visible(page, ".rg-tools") and not _visible(page, ".leaflet-control-zoom")
    if "couverture" in path:
        assert not _visible(page, ".rg-controls")
        assert "données du" in page.locator(".rg-source").inner_text()
    # The legend swatches keep their colours in print.
    assert page.evaluate("getComputedStyle(document.querySelector('.rg-legend svg')).printColorAdjust") == "exact"
    shot = page.screenshot(full_page=False)
    assert shot[:8] == b"\x89PNG\r\n\x1a\n" and len(shot) > 5_000
    pdf = page.pdf(format="A4", landscape=True, print_background=True)
    assert pdf[:5] == b"%PDF-" and len(pdf) > 10_000
    assert bp.js_errors() == []
