"""The coverage choropleth drawn from the OGC API vector tiles (Leaflet.VectorGrid, served by the app):
the page's spec and scripts, the GeoJSON fallback for filters the tiles cannot express, then real
headless Chromium on the known coverage fixture (tiles requested, every commune drawn with its class,
zones blanches hatched, tooltip and highlight, no GeoJSON download, no JS error, no CSP violation, no
third-party request)."""

from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser import new_browser_page
from web_map import assets

pytestmark = pytest.mark.skipif(not assets.vector_tiles_available(),
                                reason="Leaflet.VectorGrid not installed (scripts/bootstrap.sh runs npm ci)")

TILE_PATH = "/ogc/collections/couverture/tiles/WebMercatorQuad/"
CSP_WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""
# Distinct features drawn by the page's vector-tile layer, once its visible tiles are loaded.
DRAWN = """() => {
  const map = window.rgMap; if (!map) return null;
  let grid = null; map.eachLayer(l => { if (l instanceof L.VectorGrid) grid = l; });
  if (!grid || grid.isLoading()) return null;
  const seen = {};
  Object.values(grid._vectorTiles).forEach(t => Object.entries(t._features || {}).forEach(([id, f]) => {
    seen[id] = f.feature.properties;
  }));
  return seen;
}"""


def _spec(html: str) -> dict:
    block = re.search(r'<script type="application/json" id="rg-map-spec">(.*?)</script>', html, re.S)
    assert block, "no map spec block"
    return json.loads(unescape(block.group(1)) if "&quot;" in block.group(1) else block.group(1))


def test_coverage_page_uses_the_tiles(fixture_http):
    resp = fixture_http.get("/cartes/couverture", params={"type_offre": "30"})
    assert resp.status_code == 200
    html = resp.text
    layers = _spec(html)["layers"]
    tiles = [lyr for lyr in layers if lyr["kind"] == "mvt"]
    assert len(tiles) == 1 and not any(lyr.get("url", "").startswith("/api/v1/couverture") for lyr in layers)
    url = tiles[0]["url"]
    assert url.startswith(TILE_PATH + "{z}/{x}/{y}?")
    query = parse_qs(urlsplit(url).query)
    assert query["type_offre"] == ["30"]
    assert set(query["properties"][0].split(",")) == {"insee", "nom", "offres", "pour_10000", "population"}
    assert tiles[0]["options"]["layer"] == "couverture" and tiles[0]["options"]["featureId"] == "insee"
    assert f"{assets.vectorgrid_prefix()}/{assets.VECTORGRID_JS}" in html
    script = fixture_http.get(f"{assets.vectorgrid_prefix()}/{assets.VECTORGRID_JS}")
    assert script.status_code == 200 and "immutable" in script.headers["cache-control"]
    assert "vectorGrid" in script.text
    tilejson = re.search(r'href="([^"]*tilejson\.json[^"]*)"', html)
    assert tilejson and fixture_http.get(unescape(tilejson.group(1))).json()["tiles"][0].endswith(
        urlsplit(url).path.replace("{z}/{x}/{y}", "") + "{z}/{x}/{y}?" + urlsplit(url).query)
    # the table beside the map is unchanged: one row per commune or arrondissement
    assert html.count('<tr><th scope="row">') == 1285


def test_coverage_page_departement_filter_in_tiles(fixture_http):
    html = fixture_http.get("/cartes/couverture", params={"type_offre": "30", "departement": "93"}).text
    url = next(lyr["url"] for lyr in _spec(html)["layers"] if lyr["kind"] == "mvt")
    assert parse_qs(urlsplit(url).query)["filter"] == ["departement='93'"]


def test_coverage_page_other_filters_fall_back_to_geojson(fixture_http):
    html = fixture_http.get("/cartes/couverture", params={"type_offre": "30", "age": "70"}).text
    kinds = {lyr["kind"]: lyr for lyr in _spec(html)["layers"]}
    assert "mvt" not in kinds
    assert any(lyr["kind"] == "remote" and lyr["url"].startswith("/api/v1/couverture?")
               for lyr in _spec(html)["layers"])
    assert assets.VECTORGRID_JS not in html


@pytest.fixture
def tiles_page(browser, fixture_server):
    context, bp = new_browser_page(browser, fixture_server.url, width=1280, height=900)
    context.add_init_script(CSP_WATCH)
    yield bp
    context.close()


def _drawn(bp, timeout: float = 20_000) -> dict:
    handle = bp.page.wait_for_function(DRAWN, timeout=timeout)
    return handle.json_value()


@pytest.mark.browser
def test_coverage_tiles_in_chromium(tiles_page, fixture_http):
    bp = tiles_page
    resp = bp.goto("/cartes/couverture?type_offre=30&fond=aucun")
    assert resp.status == 200
    drawn = _drawn(bp)
    page = bp.page
    tile_requests = [u for u in bp.local_requests if TILE_PATH in u]
    assert tile_requests and all("type_offre=30" in u for u in tile_requests)
    assert not [u for u in bp.local_requests if "/api/v1/couverture" in u]  # no GeoJSON download
    # every commune (Paris by arrondissement) is drawn, with the values of the table
    assert len(drawn) == 1285
    api = {f["id"]: f["properties"] for f in fixture_http.get("/api/v1/couverture",
                                                               params={"type_offre": "30"}).json()["features"]}
    assert set(drawn) == set(api)
    assert all(drawn[k]["offres"] == api[k]["offres"] for k in api)
    assert drawn["93066"]["nom"] == "Saint-Denis" and drawn["93066"]["offres"] == 1
    # zones blanches hatched, the covered communes in their class colour
    paths = page.locator(".leaflet-tile-pane svg path")
    assert paths.count() >= 1285
    fills = page.eval_on_selector_all(".leaflet-tile-pane svg path", "ps => ps.map(p => p.getAttribute('fill'))")
    assert fills.count("url(#rg-hatch)") >= 1283
    assert len({f for f in fills if f != "url(#rg-hatch)"}) >= 1
    # departement outlines still drawn over the choropleth (GeoJSON, 8 paths)
    assert page.locator(".leaflet-overlay-pane svg path").count() == 8
    assert page.locator(".rg-legend").filter(has_text="zone blanche").count() == 1
    # layer control toggles the tiles
    label = page.locator(".leaflet-control-layers label").filter(has_text="Nombre d'offres")
    label.locator("input").uncheck()
    assert page.locator(".leaflet-tile-pane svg path").count() == 0
    label.locator("input").check()
    _drawn(bp)
    assert bp.js_errors() == [] and bp.third_party() == []
    assert page.evaluate("window.__csp") == []


@pytest.mark.browser
def test_coverage_tiles_tooltip_and_highlight(tiles_page, fixture_http):
    bp = tiles_page
    bp.goto("/cartes/couverture?type_offre=30&departement=93&fond=aucun")
    drawn = _drawn(bp)
    api = fixture_http.get("/api/v1/couverture", params={"type_offre": "30", "departement": "93"}).json()
    assert set(drawn) == {f["id"] for f in api["features"]}
    assert {d["insee"][:2] for d in drawn.values()} == {"93"}
    page = bp.page
    # Saint-Denis: hover shows its tooltip and highlights every piece of it
    target = page.evaluate("""() => {
      let grid; window.rgMap.eachLayer(l => { if (l instanceof L.VectorGrid) grid = l; });
      for (const t of Object.values(grid._vectorTiles)) {
        const f = (t._features || {})['93066'];
        if (f) { const r = f.feature._path.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }
      }
      return null;
    }""")
    assert target is not None
    page.mouse.move(*target)
    tooltip = page.locator(".leaflet-tooltip")
    tooltip.wait_for(timeout=5_000)
    assert "Saint-Denis" in tooltip.inner_text()
    strokes = page.eval_on_selector_all(".leaflet-tile-pane svg path", "ps => ps.map(p => p.getAttribute('stroke'))")
    assert "#E4002B" in strokes
    page.mouse.move(5, 890)
    page.wait_for_timeout(200)
    assert page.locator(".leaflet-tooltip").count() == 0
    assert bp.js_errors() == [] and bp.third_party() == []
    assert page.evaluate("window.__csp") == []


FILL_RATIO = """() => {
  const map = window.rgMap, fit = JSON.parse(document.getElementById('rg-map-spec').textContent).view.fit;
  const a = map.latLngToContainerPoint(fit[0]), b = map.latLngToContainerPoint(fit[1]), s = map.getSize();
  return {w: Math.abs(b.x - a.x) / s.x, h: Math.abs(b.y - a.y) / s.y, zoom: map.getZoom(),
          inside: a.x >= -1 && b.x <= s.x + 1 && b.y >= -1 && a.y <= s.y + 1};
}"""


@pytest.mark.browser
@pytest.mark.parametrize("query", ["", "&departement=93"])
def test_coverage_extent_fills_the_frame_with_whole_zoom_tiles(tiles_page, fixture_http, query):
    """The région (or the département) fills the frame (quarter zoom steps, a 4 px margin) while the vector
    tiles are still asked at whole zoom levels, and every commune is drawn."""
    bp = tiles_page
    bp.goto(f"/cartes/couverture?type_offre=30&fond=aucun{query}")
    drawn = _drawn(bp)
    params = {"type_offre": "30", **({"departement": query[13:]} if query else {})}
    api = fixture_http.get("/api/v1/couverture", params=params).json()
    assert set(drawn) == {f["id"] for f in api["features"]}
    ratio = bp.page.evaluate(FILL_RATIO)
    assert ratio["inside"], ratio
    assert max(ratio["w"], ratio["h"]) >= 0.8, ratio  # quarter steps: at least 2^-0.25; whole levels: down to 0.5
    tiles = [u for u in bp.local_requests if TILE_PATH in u]
    assert tiles and all(re.search(r"/WebMercatorQuad/\d+/\d+/\d+\?", u) for u in tiles)
    assert bp.js_errors() == []
