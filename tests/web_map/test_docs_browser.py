"""/docs and /redoc in headless Chromium with every third-party request blocked: the operations render
from the local Swagger UI / Redoc builds, with no CSP violation and no JavaScript error."""

from __future__ import annotations

import pytest

from tests.browser import new_browser_page
from tests.web_map.hostile_corpus import Watch

pytestmark = pytest.mark.browser


@pytest.fixture
def docs_page(browser, fixture_server):
    context, bp = new_browser_page(browser, fixture_server.url)
    watch = Watch()
    watch.attach(context, bp.page)
    yield bp, watch
    context.close()


def _operations(fixture_http) -> int:
    spec = fixture_http.get("/openapi.json").json()
    return sum(1 for item in spec["paths"].values() for method in item if method in ("get", "post", "put", "delete"))


def test_swagger_ui_renders_offline(docs_page, fixture_http):
    bp, watch = docs_page
    assert bp.goto("/docs").status == 200
    expected = _operations(fixture_http)
    bp.page.wait_for_function("n => document.querySelectorAll('.opblock').length >= n", arg=expected,
                              timeout=20_000)
    assert "/api/v1/communes/{insee}/services" in bp.page.locator("#rg-docs").inner_text()
    bp.page.locator(".opblock-summary").first.click()  # expanding an operation works (no inline script needed)
    bp.page.wait_for_selector(".opblock-body")
    bp.page.wait_for_load_state("networkidle")
    assert bp.third_party() == [] and bp.js_errors() == []
    watch.assert_clean(bp.page, "/docs")


def test_redoc_renders_offline(docs_page, fixture_http):
    bp, watch = docs_page
    assert bp.goto("/redoc").status == 200
    bp.page.wait_for_function("() => document.querySelectorAll('[data-section-id^=\"operation/\"]').length > 10",
                              timeout=30_000)
    assert "ror-gis" in bp.page.locator("#rg-docs").inner_text()
    bp.page.wait_for_load_state("networkidle")
    assert bp.third_party() == [] and bp.js_errors() == []
    watch.assert_clean(bp.page, "/redoc")
