"""PNG export of every map in real Chromium (issue #10): the « Télécharger l'image (PNG) » button makes a PNG
download with the title, the map, the legend, the source and the date, drawn by our own canvas composition
(no library, strict CSP). The image is decoded in the browser to check that it is not blank."""

from __future__ import annotations

import base64
import html
import os
import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.browser import BrowserPage, new_browser_page

pytestmark = pytest.mark.browser

MAPS = [
    "/cartes/commune/93066?fond=aucun",
    "/cartes/commune/93066?fond=aucun&mode=compact",
    "/cartes/commune/93066",  # default basemap: its tiles are blocked here, the export must not fail
    "/cartes/offre/cov-dep?fond=aucun",
    "/cartes/offre/cov-polygone?fond=aucun",  # a drawn territory
    "/cartes/couverture?type_offre=30&fond=aucun",
    "/cartes/taux-equipement?categorie=500&niveau=departement&fond=aucun",
    "/cartes/disponibilites?commune=93066&type_offre=21&rayon_km=10&fond=aucun",
]

DECODE = """async (b64) => {
  const img = new Image();
  img.src = 'data:image/png;base64,' + b64;
  await img.decode();
  const c = document.createElement('canvas');
  c.width = img.width; c.height = img.height;
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, c.width, c.height).data;
  const colours = new Set();
  let inked = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i] < 235 || data[i + 1] < 235 || data[i + 2] < 235) inked++;
    if (colours.size < 1000) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
  }
  return {width: c.width, height: c.height, inked: inked / (data.length / 4), colours: colours.size};
}"""


@pytest.fixture
def export_page(browser, fixture_server) -> Iterator[BrowserPage]:
    context, bp = new_browser_page(browser, fixture_server.url, width=1366, height=768)
    try:
        yield bp
    finally:
        context.close()


def _download_png(bp: BrowserPage) -> bytes:
    page = bp.page
    page.wait_for_selector(".leaflet-container", timeout=20_000)
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('.leaflet-zoom-anim, .leaflet-cluster-anim')")
    button = page.locator(".rg-png").first
    assert button.is_visible()
    assert button.inner_text() == "Télécharger l'image (PNG)"
    with page.expect_download(timeout=20_000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename.endswith(".png")
    data = Path(download.path()).read_bytes()
    if os.environ.get("ROR_GIS_PNG_DIR"):  # to look at the images: ROR_GIS_PNG_DIR=/tmp/png pytest …
        name = re.sub(r"[^a-z0-9]+", "-", page.url.split("/", 3)[-1].lower()).strip("-")[:80]
        (Path(os.environ["ROR_GIS_PNG_DIR"]) / f"{name}.png").write_bytes(data)
    return data


def _check_png(bp: BrowserPage, png: bytes) -> dict:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert 400 <= width <= 4000 and 300 <= height <= 4000, (width, height)
    assert len(png) > 10_000
    stats = bp.page.evaluate(DECODE, base64.b64encode(png).decode())
    assert (stats["width"], stats["height"]) == (width, height)
    assert stats["inked"] > 0.01 and stats["colours"] > 20, stats  # title, legend, polygons: not blank
    return stats


@pytest.mark.parametrize("path", MAPS)
def test_every_map_exports_a_png(export_page, path):
    bp = export_page
    assert bp.goto(path).status == 200
    _check_png(bp, _download_png(bp))
    assert bp.js_errors() == [] and bp.third_party() == []


def test_spreadsheet_map_exports_a_png(export_page, fixture_server):
    content = (Path(__file__).resolve().parent.parent / "fixtures" / "tableau" / "bon.csv").read_bytes()
    page_html = httpx.post(fixture_server.url + "/cartes/tableau", files={"fichier": ("bon.csv", content)},
                           data={"fond": "aucun"}, timeout=30).text
    link = html.unescape(re.search(r'<a href="(/cartes/tableau/carte\?[^"]+)">', page_html)[1])
    bp = export_page
    assert bp.goto(link).status == 200
    _check_png(bp, _download_png(bp))
    assert bp.js_errors() == []


def test_png_carries_title_legend_and_source(export_page):
    """The composition itself, read back from the page: the title, legend labels and the source are drawn
    (their text is measured into the layout), and the exported image is wider than the map (legend column)."""
    bp = export_page
    assert bp.goto("/cartes/couverture?type_offre=30&fond=aucun").status == 200
    png = _download_png(bp)
    width, height = struct.unpack(">II", png[16:24])
    map_box = bp.page.evaluate("() => { const r = document.getElementById('rg-map').getBoundingClientRect();"
                               " return [Math.round(r.width), Math.round(r.height)]; }")
    assert width > map_box[0] + 200 and height > map_box[1] + 60
    assert bp.page.evaluate("() => RorMap.exportCanvas().then(c => c.rgTilesSkipped)") is False  # fond=aucun


def _png_tile() -> bytes:
    """A 256×256 opaque PNG tile (pale green), built by hand."""
    raw = b"".join(b"\x00" + b"\xc8\xe6\xc8" * 256 for _ in range(256))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 256, 256, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_cross_origin_tiles_are_left_out_with_a_note(export_page):
    """Basemap tiles from another site, served without CORS, would taint the canvas: the export leaves them out,
    says so on the image, and still downloads."""
    bp = export_page
    tile = _png_tile()
    # Playwright adds CORS headers to a fulfilled cross-origin answer unless one is given: an origin other than
    # the page's stands for a tile host that does not allow the copy.
    bp.page.route("https://data.geopf.fr/**", lambda route: route.fulfill(
        status=200, body=tile, content_type="image/png",
        headers={"Access-Control-Allow-Origin": "https://ailleurs.example"}))
    assert bp.goto("/cartes/commune/93066?fond=plan-ign").status == 200
    bp.page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-tile-pane img.leaflet-tile-loaded').length > 0", timeout=20_000)
    png = _download_png(bp)
    _check_png(bp, png)
    assert bp.page.evaluate("() => RorMap.exportCanvas().then(c => c.rgTilesSkipped)") is True
    # The browser logs the refused CORS copies of the tiles; nothing else.
    assert [e for e in bp.js_errors() if not e.startswith("Access to image at 'https://data.geopf.fr/")] == []


def test_cross_origin_tiles_with_cors_are_in_the_image(export_page):
    """A tile host that allows CORS (as IGN's Géoplateforme and OpenStreetMap do): the basemap is in the image."""
    bp = export_page
    tile = _png_tile()
    bp.page.route("https://data.geopf.fr/**", lambda route: route.fulfill(
        status=200, body=tile, content_type="image/png", headers={"Access-Control-Allow-Origin": "*"}))
    assert bp.goto("/cartes/commune/93066?fond=plan-ign").status == 200
    bp.page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-tile-pane img.leaflet-tile-loaded').length > 0", timeout=20_000)
    # Leaflet fades tiles in (CSS opacity): wait until they are opaque, so the drawn colour is the tile's own.
    bp.page.wait_for_function("""() => Array.from(document.querySelectorAll('.leaflet-tile-pane img.leaflet-tile'))
        .every(img => getComputedStyle(img).opacity === '1')""", timeout=20_000)
    assert bp.page.evaluate("() => RorMap.exportCanvas().then(c => c.rgTilesSkipped)") is False
    # The tiles' pale green is drawn somewhere on the map part of the image.
    found = bp.page.evaluate("""() => RorMap.exportCanvas().then(c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] === 200 && d[i + 1] === 230 && d[i + 2] === 200) n++;
        return n; })""")
    assert found > 1000
    assert bp.js_errors() == []


def test_compact_phone_map_offers_the_png_in_its_legend(browser, fixture_server):
    """In a small compact frame the legend starts folded; unfolding it shows the PNG button, which works."""
    context, bp = new_browser_page(browser, fixture_server.url, width=375, height=500)
    try:
        assert bp.goto("/cartes/commune/93066?fond=aucun&mode=compact").status == 200
        page = bp.page
        page.wait_for_selector(".leaflet-container")
        assert not page.locator(".rg-png").is_visible()
        page.locator(".rg-legend-overlay summary").click()
        _check_png(bp, _download_png(bp))
        assert bp.js_errors() == []
    finally:
        context.close()
