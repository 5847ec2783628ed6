"""The spreadsheet-map form and map in real Chromium (issue #10): the form page has the site's header and footer
and a French file picker; the lightest class stands out from the background; communes without a value keep a
thin outline; a malformed code gets a precise French reason."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import BrowserPage, new_browser_page, wait_for_map

pytestmark = pytest.mark.browser
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "tableau"

CONTRAST = """([a, b]) => {
  const lum = h => { const c = [1, 3, 5].map(i => parseInt(h.slice(i, i + 2), 16) / 255)
      .map(x => x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4));
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]; };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => p - q);
  return (y + 0.05) / (x + 0.05);
}"""


@pytest.fixture
def form_page(browser, fixture_server) -> Iterator[BrowserPage]:
    context, bp = new_browser_page(browser, fixture_server.url, width=1366, height=768)
    try:
        yield bp
    finally:
        context.close()


def _submit(bp: BrowserPage, path: Path) -> None:
    page = bp.page
    page.set_input_files("#fichier", str(path))
    page.select_option("#fond", "aucun")
    with page.expect_navigation():
        page.click("button[type=submit]")


def test_form_has_header_footer_and_french_file_picker(form_page):
    bp = form_page
    assert bp.goto("/cartes/tableau").status == 200
    page = bp.page
    assert page.locator("header.pg-header h1").inner_text() == "Carte à partir d'un tableau"
    assert page.locator("footer.pg-footer a[href='/']").is_visible()
    assert page.locator(".rg-file-button").inner_text() == "Choisir un fichier…"
    assert page.locator("#fichier-nom").inner_text() == "Aucun fichier choisi"
    box = page.locator("#fichier").bounding_box()
    assert box is not None and box["width"] <= 1  # the browser's own (English) button is not shown
    assert "Choose" not in page.locator("body").inner_text()
    page.set_input_files("#fichier", str(FIXTURES / "bon.csv"))
    assert page.locator("#fichier-nom").inner_text() == "bon.csv"
    # Keyboard: the input is still reachable and labelled in French.
    page.focus("#fichier")
    assert page.evaluate("document.activeElement.id") == "fichier"
    assert bp.js_errors() == []


def test_lightest_class_stands_out_and_communes_without_value_are_outlined(form_page):
    bp = form_page
    bp.goto("/cartes/tableau")
    _submit(bp, FIXTURES / "bon.csv")
    wait_for_map(bp, paths=10)
    page = bp.page
    first = page.locator(".rg-legend").first.locator("li rect").first.get_attribute("fill")
    background = "#F4F6F8"
    assert page.evaluate(CONTRAST, [first, background]) >= 1.7, first
    # Every commune's outline from the vector tiles, under the coloured ones, not interactive.
    page.wait_for_function("() => document.querySelectorAll('.leaflet-tile-pane svg path').length > 50",
                           timeout=20_000)
    assert page.locator(".leaflet-tile-pane svg path.leaflet-interactive").count() == 0
    assert "Commune absente du fichier" in page.locator(".rg-legend").nth(1).inner_text()
    assert bp.js_errors() == []


def test_malformed_code_gets_a_precise_french_reason(form_page, tmp_path):
    sheet = tmp_path / "codes.csv"
    sheet.write_text("code;valeur\n93066;12\n9300A;4\n930661;3\n", encoding="utf-8")
    bp = form_page
    bp.goto("/cartes/tableau")
    _submit(bp, sheet)
    page = bp.page
    text = page.locator("table").nth(1).inner_text()
    assert "« A » n'est pas un chiffre" in text and "6 caractères au lieu de 5" in text
    assert "attendu : 5 caractères" not in text
