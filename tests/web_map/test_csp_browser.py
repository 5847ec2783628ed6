"""The CSP in Chromium, end to end: an injected inline script and a foreign image are blocked, the page
keeps working, and the browser's violation reports reach ``POST /csp-report`` and are logged."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.responses import HTMLResponse

from tests.browser import new_browser_page
from tests.conftest import _free_port
from web_map.security import page_headers

pytestmark = pytest.mark.browser

INJECTED = """<!DOCTYPE html><html lang="fr"><head><title>t</title></head><body>
<p id="ok">texte</p><script>window.__pwned = 1</script><img src="https://evil.example/x.png" alt="">
</body></html>"""


@pytest.fixture(scope="module")
def injected_server(app_settings) -> Iterator[str]:
    """The real app plus one page that simulates an injection, served with the real page headers."""
    import uvicorn

    from api.app import create_app

    app = create_app(app_settings)

    @app.get("/cartes/essai-injection", include_in_schema=False)
    def injected() -> HTMLResponse:
        return HTMLResponse(INJECTED, headers=page_headers(app_settings))

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def reporting_page(browser, injected_server):
    """A fresh page on the server with the injected page."""
    context, bp = new_browser_page(browser, injected_server)
    try:
        yield bp
    finally:
        context.close()


def test_injection_blocked_and_reported(reporting_page, caplog):
    caplog.set_level(logging.INFO, logger="ror_gis.csp")
    bp = reporting_page
    console: list[str] = []
    bp.page.on("console", lambda m: console.append(m.text))
    assert bp.goto("/cartes/essai-injection").status == 200
    assert bp.page.evaluate("window.__pwned") is None
    assert bp.page.locator("#ok").inner_text() == "texte"
    assert any("Content Security Policy" in e for e in console)
    assert bp.blocked_requests == []  # the foreign image was never requested
    logged: list[str] = []
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        logged = [r.getMessage() for r in caplog.records if r.name == "ror_gis.csp"]
        if any("script-src" in m for m in logged) and any("evil.example" in m for m in logged):
            break
        bp.page.wait_for_timeout(100)
    assert any("script-src" in m for m in logged), logged
    assert any("img-src" in m and "evil.example" in m for m in logged), logged
