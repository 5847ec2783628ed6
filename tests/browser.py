"""Headless Chromium for the map tests (Playwright sync API, Debian's /usr/bin/chromium).

The fixtures (``browser``, ``browser_page``, ``phone_page``, ``module_browser``) are loaded for every test module by
``tests/conftest.py`` (``pytest_plugins``).

Every request to a host other than 127.0.0.1/localhost is ABORTED and recorded: basemap tile
hosts in ``tile_requests`` (allowed), anything else in ``blocked_requests`` (a test failure).
Console errors and uncaught page errors are collected too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("ROR_GIS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
TILE_HOSTS = {"data.geopf.fr", "tile.openstreetmap.org"}


@dataclass
class BrowserPage:
    """A page plus what it tried to do on the network and what it complained about."""

    page: object  # playwright.sync_api.Page
    base_url: str
    local_requests: list[str] = field(default_factory=list)
    tile_requests: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def goto(self, path: str, **kwargs) -> object:
        return self.page.goto(self.base_url + path, wait_until=kwargs.pop("wait_until", "load"), **kwargs)

    def js_errors(self) -> list[str]:
        """Page errors and console errors, except failed loads of (aborted) basemap tiles and the
    HTTP status of the document itself (an error page is asserted by status, not as a JS error)."""
        return self.page_errors + [e for e in self.console_errors if not e.startswith(("[tile] ", "[document] "))]

    def third_party(self) -> list[str]:
        return list(self.blocked_requests)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


@contextmanager
def _chromium() -> Iterator[object]:
    """A headless Chromium, closed (with its Playwright) at the end of the ``with`` block."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for the session (skips if Chromium or Playwright is missing)."""
    pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    with _chromium() as b:
        yield b


@pytest.fixture(scope="module")
def module_browser() -> Iterator[object]:
    """A Chromium for one test module only (tests/access, tests/editing).

    Playwright's sync API keeps an event loop running while it lives, which would break the ``asyncio.run`` of the
    API tests collected after these folders: their Chromium is closed at the end of their module, whereas the
    session's :func:`browser` lives until the end of the run.
    """
    with _chromium() as b:
        yield b


def new_browser_page(browser, base_url: str, *, width: int = 1280, height: int = 900) -> tuple[object, BrowserPage]:
    """A fresh context (own cache/cookies) with the network guard; returns (context, BrowserPage)."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="fr-FR",
                                  service_workers="block")
    page = context.new_page()
    bp = BrowserPage(page=page, base_url=base_url)

    def guard(route) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:", "about:")):
            route.continue_()
            return
        host = _host(url)
        if host in LOCAL_HOSTS:
            bp.local_requests.append(url)
            route.continue_()
        elif host in TILE_HOSTS:
            bp.tile_requests.append(url)
            route.abort("blockedbyclient")
        else:
            bp.blocked_requests.append(url)
            route.abort("blockedbyclient")

    context.route("**/*", guard)

    def on_console(msg) -> None:
        if msg.type != "error":
            return
        where = (msg.location or {}).get("url", "") if isinstance(msg.location, dict) else ""
        prefix = ""
        if _host(where) in TILE_HOSTS:
            prefix = "[tile] "
        elif msg.text.startswith("Failed to load resource: the server responded") and where == page.url:
            prefix = "[document] "  # the page itself is an HTTP error page (404/422…): not a JS error
        bp.console_errors.append(f"{prefix}{msg.text} @ {where}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: bp.page_errors.append(str(exc)))
    return context, bp


@pytest.fixture
def browser_page(browser, live_server) -> Iterator[BrowserPage]:
    """A desktop-sized page on the live server."""
    context, bp = new_browser_page(browser, live_server.url)
    try:
        yield bp
    finally:
        context.close()


@pytest.fixture
def phone_page(browser, live_server) -> Iterator[BrowserPage]:
    """A phone-sized page (375×740) on the live server."""
    context, bp = new_browser_page(browser, live_server.url, width=375, height=740)
    try:
        yield bp
    finally:
        context.close()


def wait_for_map(bp: BrowserPage, *, paths: int = 1, timeout: float = 10_000) -> None:
    """Wait until the Leaflet map has drawn at least ``paths`` SVG paths."""
    bp.page.wait_for_function(
        "n => document.querySelectorAll('.leaflet-overlay-pane svg path').length >= n", arg=paths, timeout=timeout
    )


def parse_tags(html: str) -> list[tuple[str, dict[str, str]]]:
    """The start tags of an HTML fragment with their attributes, parsed by Python's HTML parser (a
    browser-side DOMParser document inherits the page's CSP and would report the fragment's inline
    styles as violations of the page)."""
    from html.parser import HTMLParser

    tags: list[tuple[str, dict[str, str]]] = []

    class _Parser(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            tags.append((tag, {k: v or "" for k, v in attrs}))

    parser = _Parser()
    parser.feed(html)
    parser.close()
    return tags


AXE_JS = Path(__file__).resolve().parent.parent / "web_map" / "vendor" / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(target, *, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """axe-core's violations of the given impacts on a page or frame (``page`` or ``frame``).

    axe-core (npm, ``web_map/vendor`` devDependencies) is evaluated by the test through the DevTools
    protocol, never served by the application nor allowed by its CSP. Returns ``[{"id", "impact",
    "help", "nodes": [selector…]}]``.
    """
    if not AXE_JS.is_file():
        pytest.fail(f"axe-core is not installed ({AXE_JS}): run scripts/bootstrap.sh")
    if not target.evaluate("() => typeof window.axe === 'object'"):
        target.evaluate("source => { (0, eval)(source); }", AXE_JS.read_text(encoding="utf-8"))
    result = target.evaluate(
        """async (impacts) => {
            const r = await window.axe.run(document, { resultTypes: ['violations'] });
            return r.violations.filter(v => impacts.includes(v.impact)).map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')) }));
        }""",
        list(impacts),
    )
    return list(result)
