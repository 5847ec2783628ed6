"""Screenshots of every page and widget at desktop (1366×768) and phone (375×812) sizes, made by the
tests' Chromium on the coverage fixture (issue #10).

Each run takes them and checks them (PNG, expected size); with ``ROR_GIS_SCREENSHOTS=1`` they are written to
``docs/screenshots/`` (shown in the README):
``ROR_GIS_SCREENSHOTS=1 .venv/bin/pytest tests/web_map/test_screenshots.py``.
The basemap is off (the tests allow no third-party request), so the pictures are deterministic.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from tests.browser import new_browser_page, wait_for_map

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZES = {"desktop": (1366, 768), "phone": (375, 812)}
# name -> (path, what to wait for: "map", a CSS selector, or None)
PAGES = {
    "coordinateur": ("/?insee=93066", "#pg-table tbody tr"),
    "coordinateur-paris": ("/?insee=75056", "#pg-paris:not([hidden])"),
    "integrer": ("/cartes/integrer?carte=commune&insee=93066&fond=aucun", "#pg-code"),
    "commune": ("/cartes/commune/93066?fond=aucun", "map"),
    "commune-compact": ("/cartes/commune/93066?fond=aucun&mode=compact", "map"),
    "offre": ("/cartes/offre/cov-dep?fond=aucun", "map"),
    "couverture": ("/cartes/couverture?type_offre=30&fond=aucun", "map"),
    "tableau-formulaire": ("/cartes/tableau", None),
}


@pytest.mark.parametrize("size", list(SIZES))
def test_screenshots_of_every_page(browser, fixture_server, tmp_path, size):
    out = DOCS if os.environ.get("ROR_GIS_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    width, height = SIZES[size]
    context, bp = new_browser_page(browser, fixture_server.url, width=width, height=height)
    try:
        for name, (path, ready) in PAGES.items():
            assert bp.goto(path).status == 200, path
            if ready == "map":
                wait_for_map(bp, timeout=20_000)
            elif ready:
                bp.page.wait_for_selector(ready, state="attached", timeout=15_000)
            bp.page.wait_for_load_state("networkidle")
            # Let Leaflet finish its fit/zoom (no animation frame pending) before the picture.
            bp.page.wait_for_function("() => !document.querySelector('.leaflet-zoom-anim, .leaflet-cluster-anim')")
            target = out / f"{name}-{size}.png"
            png = bp.page.screenshot(path=str(target), full_page=False, animations="disabled")
            assert png[:8] == b"\x89PNG\r\n\x1a\n"
            assert struct.unpack(">II", png[16:24]) == (width, height)
            assert len(png) < 600_000, (name, len(png))  # small enough for the repository (hatching is the largest)
        assert bp.js_errors() == [] and bp.third_party() == []
    finally:
        context.close()
