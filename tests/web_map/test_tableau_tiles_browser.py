"""A whole-Île-de-France spreadsheet in headless Chromium: the communes are drawn from the communes' vector
tiles, coloured from the page's value block (no embedded polygons), with tooltips; the export form downloads
the CSV; a phone-width page with the largest accepted values (1e15) does not scroll sideways."""

from __future__ import annotations

import random

import pytest

from tests.browser import BrowserPage
from web_map import assets

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not assets.vector_tiles_available(), reason="Leaflet.VectorGrid not installed")]

CSP_WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""
# Features of the value layer drawn once every vector-tile layer has loaded its visible tiles.
DRAWN = """() => {
  const map = window.rgMap; if (!map) return null;
  const grids = []; map.eachLayer(l => { if (l instanceof L.VectorGrid) grids.push(l); });
  if (grids.length < 2 || grids.some(g => g.isLoading())) return null;
  const seen = {};
  grids.forEach(g => Object.values(g._vectorTiles || {}).forEach(t => Object.entries(t._features || {}).forEach(
    ([id, f]) => { if (f.feature.properties._fill) seen[id] = f.feature.properties; })));
  return Object.keys(seen).length ? seen : null;
}"""


@pytest.fixture(scope="module")
def region_csv(db_url, tmp_path_factory):
    import psycopg

    with psycopg.connect(db_url) as conn:
        codes = [r[0] for r in conn.execute("SELECT insee FROM geo_commune WHERE insee <> '75056' ORDER BY insee")]
    rng = random.Random(3)
    path = tmp_path_factory.mktemp("tableau") / "idf.csv"
    rows = [f"{c};{rng.choice([0, rng.randint(1, 900)])}" for c in codes * 8]  # duplicates: too long for a link
    path.write_text("code_insee;lits\n" + "\n".join(rows))
    return codes, path


def _upload(bp: BrowserPage, path) -> None:
    bp.page.add_init_script(CSP_WATCH)
    bp.goto("/cartes/tableau")
    bp.page.set_input_files("#fichier", str(path))
    bp.page.select_option("#fond", "aucun")
    with bp.page.expect_navigation():
        bp.page.click("button[type=submit]")


def test_whole_region_drawn_from_tiles_with_values(browser_page, region_csv):
    codes, path = region_csv
    bp = browser_page
    _upload(bp, path)
    page = bp.page
    drawn = page.wait_for_function(DRAWN, timeout=30_000).json_value()
    assert set(drawn) == set(codes)
    assert drawn["93066"]["nom"] == "Saint-Denis" and drawn["93066"]["valeur_txt"]
    fills = page.eval_on_selector_all(".leaflet-pane svg path.leaflet-interactive",
                                      "ps => ps.map(p => p.getAttribute('fill'))")
    assert "url(#rg-hatch)" in fills and len({f for f in fills if f.startswith("#")}) >= 3
    assert [u for u in bp.local_requests if "/ogc/collections/communes/tiles/" in u]
    page.locator(".leaflet-pane svg path.leaflet-interactive").nth(len(fills) // 2).hover(force=True)
    page.wait_for_selector(".leaflet-tooltip")
    assert "lits" in page.locator(".leaflet-tooltip").inner_text()
    with page.expect_download() as download:
        page.click("form.rg-exports button[value=csv]")
    lines = download.value.path().read_bytes().decode("utf-8-sig").splitlines()
    assert len(lines) == len(codes) + 1
    assert bp.js_errors() == [] and bp.third_party() == []
    assert page.evaluate("window.__csp") == []


def test_largest_values_fit_a_phone(phone_page, tmp_path):
    path = tmp_path / "grands.csv"
    path.write_text("code_insee;montant\n93066;1e15\n93048;-1e15\n94028;123456789012345\n92012;7\n75110;1e308\n")
    bp = phone_page
    _upload(bp, path)
    page = bp.page
    assert "valeur hors limites (|x| ≤ 1e15)" in page.locator("table").nth(1).inner_text()
    assert "billions" in page.locator(".rg-legend").first.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert bp.js_errors() == []
