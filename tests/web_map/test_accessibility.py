"""axe-core in real Chromium on every page and widget: no serious or critical violation (issue #10).

axe-core is injected by the test (tests.browser.axe_violations), never served to users."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser import BrowserPage, axe_violations, new_browser_page, wait_for_map

pytestmark = pytest.mark.browser


def _region_violations(bp: BrowserPage) -> list[dict]:
    """The (moderate) "region" rule: every content inside a landmark."""
    return [v for v in axe_violations(bp.page, impacts=("moderate",)) if v["id"] == "region"]


@pytest.fixture(params=[(1366, 768), (375, 812)], ids=["desktop", "phone"])
def a11y_page(request, browser, fixture_server) -> Iterator[BrowserPage]:
    width, height = request.param
    context, bp = new_browser_page(browser, fixture_server.url, width=width, height=height)
    try:
        yield bp
    finally:
        context.close()


WIDGETS = [
    "/cartes/commune/93066?fond=aucun",
    "/cartes/commune/75056?fond=aucun",
    "/cartes/commune/93066?fond=aucun&mode=compact",
    "/cartes/offre/cov-dep?fond=aucun",
    "/cartes/offre/cov-polygone?fond=aucun",
    "/cartes/couverture?type_offre=30&fond=aucun",
    "/cartes/couverture?type_offre=30&departement=93&par=10000&fond=aucun",
]


@pytest.mark.parametrize("path", WIDGETS)
def test_widgets_have_no_serious_axe_violation(a11y_page, path):
    bp = a11y_page
    assert bp.goto(path).status == 200
    wait_for_map(bp, timeout=20_000)
    bp.page.wait_for_load_state("networkidle")
    assert axe_violations(bp.page) == []
    assert _region_violations(bp) == []
    assert bp.js_errors() == []


PAGES = ["/", "/cartes/integrer", "/cartes/integrer?carte=couverture&type_offre=30", "/cartes/tableau",
         "/cartes/commune/99999", "/cartes/couverture"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_have_no_serious_axe_violation(a11y_page, path):
    bp = a11y_page
    bp.goto(path)
    bp.page.wait_for_load_state("networkidle")
    assert axe_violations(bp.page) == []
    assert _region_violations(bp) == []
    assert bp.js_errors() == []


def test_coordinator_results_have_no_serious_axe_violation(a11y_page):
    bp = a11y_page
    page = bp.page
    bp.goto("/?insee=93066")
    page.wait_for_function("() => document.getElementById('pg-count').textContent.includes('couvrent')")
    page.wait_for_load_state("networkidle")
    assert axe_violations(page) == []
    # The type d'offre list open (grouped by family, with counts).
    page.focus("#pg-type_offre")
    page.keyboard.press("ArrowDown")
    page.wait_for_function("() => document.querySelectorAll('#pg-type_offre-list [role=option]').length > 0")
    assert axe_violations(page) == []
    bp.goto("/?insee=75056")
    page.wait_for_function("() => !document.getElementById('pg-paris').hidden")
    assert axe_violations(page) == []
    assert bp.js_errors() == []


def test_spreadsheet_map_has_no_serious_axe_violation(a11y_page, fixture_server):
    import html
    import re
    from pathlib import Path

    import httpx

    content = (Path(__file__).resolve().parent.parent / "fixtures" / "tableau" / "bon.csv").read_bytes()
    page_html = httpx.post(fixture_server.url + "/cartes/tableau", files={"fichier": ("bon.csv", content)},
                           data={"fond": "aucun"}, timeout=30).text
    link = html.unescape(re.search(r'<a href="(/cartes/tableau/carte\?[^"]+)">', page_html)[1])
    bp = a11y_page
    assert bp.goto(link).status == 200
    wait_for_map(bp, timeout=20_000)
    bp.page.wait_for_load_state("networkidle")
    assert axe_violations(bp.page) == []
    assert _region_violations(bp) == []
    assert bp.js_errors() == []
