"""Security of the HTML pages over HTTP (live server, coverage fixture): the strict CSP on every page,
no inline script, HEAD and OPTIONS on every page route, the CSP report endpoint, identical pages for
identical data (cacheable), self-hosted documentation assets."""

from __future__ import annotations

import json
import logging
import re
import time

import pytest

PAGES = ["/", "/cartes/integrer", "/cartes/tableau", "/cartes/commune/93066", "/cartes/offre/cov-dep",
         "/cartes/couverture?type_offre=30", "/docs", "/redoc"]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)


def _csp(resp) -> dict[str, str]:
    return {name: value for name, _, value in
            (part.strip().partition(" ") for part in resp.headers["content-security-policy"].split(";"))}


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_the_strict_csp_and_no_inline_script(fixture_http, path):
    resp = fixture_http.get(path)
    assert resp.status_code == 200, path
    csp = _csp(resp)
    assert csp["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval', no nonce
    assert csp["object-src"] == "'none'" and csp["base-uri"] == "'none'" and csp["form-action"] == "'self'"
    assert csp["default-src"] == "'self'" and csp["connect-src"] == "'self'"
    assert "https://data.geopf.fr" in csp["img-src"] and "https://tile.openstreetmap.org" in csp["img-src"]
    assert csp["frame-ancestors"] == "'self'"
    assert csp["report-uri"] == "/csp-report" and "report-to" not in csp
    if not path.startswith(("/docs", "/redoc")):
        assert csp["style-src"] == "'self'"  # the widgets need no inline style either
    assert not INLINE_SCRIPT.search(resp.text), INLINE_SCRIPT.findall(resp.text)
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", resp.text, re.I)  # no inline event handler attribute
    assert "cdn" not in resp.text.lower()


@pytest.mark.parametrize("path", PAGES)
def test_head_and_options_on_every_page(fixture_http, path):
    get = fixture_http.get(path)
    head = fixture_http.head(path)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-security-policy"] == get.headers["content-security-policy"]
    opts = fixture_http.options(path.split("?")[0])
    assert opts.status_code == 204, path
    allowed = {m.strip() for m in opts.headers["allow"].split(",")}
    assert {"GET", "HEAD", "OPTIONS"} <= allowed
    assert ("POST" in allowed) == (path == "/cartes/tableau")


def test_head_on_error_pages(fixture_http):
    assert fixture_http.head("/cartes/commune/99999").status_code == 404
    assert fixture_http.head("/cartes/couverture?type_offre=30&par=5").status_code == 422


def test_pages_are_identical_for_identical_data(fixture_http):
    """No per-response nonce or counter: the response cache may serve the same bytes."""
    for path in ("/cartes/commune/93066", "/cartes/offre/cov-dep", "/cartes/couverture?type_offre=30", "/"):
        assert fixture_http.get(path).content == fixture_http.get(path).content, path


def test_csp_reports_are_logged_and_answered_204(fixture_http, caplog):
    caplog.set_level(logging.INFO, logger="ror_gis.csp")
    legacy = {"csp-report": {"document-uri": "http://x/cartes/commune/93066", "violated-directive": "script-src",
                             "blocked-uri": "inline", "source-file": "http://x/\r\nfake log line", "line-number": 3}}
    resp = fixture_http.post("/csp-report", content=json.dumps(legacy),
                             headers={"Content-Type": "application/csp-report"})
    assert resp.status_code == 204 and resp.content == b""
    modern = [{"type": "csp-violation", "url": "http://x/", "body": {
        "documentURL": "http://x/", "effectiveDirective": "img-src", "blockedURL": "https://evil.example/a.png"}}]
    resp = fixture_http.post("/csp-report", content=json.dumps(modern),
                             headers={"Content-Type": "application/reports+json"})
    assert resp.status_code == 204
    start = time.perf_counter()
    resp = fixture_http.post("/csp-report", content=b"{" + b" " * 2_000_000 + b"}",
                             headers={"Content-Type": "application/csp-report"})
    assert resp.status_code == 204 and time.perf_counter() - start < 2
    assert fixture_http.post("/csp-report", content=b"not json").status_code == 204
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and len([r for r in caplog.records if r.name == "ror_gis.csp"]) < 4:
        time.sleep(0.05)
    messages = [r.getMessage() for r in caplog.records if r.name == "ror_gis.csp"]
    assert any("directive='script-src'" in m and "blocked='inline'" in m for m in messages), messages
    assert any("blocked='https://evil.example/a.png'" in m for m in messages), messages
    assert all("\n" not in m and "\r" not in m for m in messages)  # no log injection
    assert sum("ignored" in m for m in messages) == 2  # the oversized and the unreadable bodies
    assert fixture_http.get("/csp-report").status_code == 405


def test_docs_assets_are_local(fixture_http):
    html = fixture_http.get("/docs").text
    urls = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert any(u.endswith("/swagger-ui-bundle.js") for u in urls) and any(u.endswith("/docs-swagger.js") for u in urls)
    redoc = fixture_http.get("/redoc").text
    bundle = next(u for u in re.findall(r'src="(/static/[^"]+)"', redoc) if u.endswith("redoc.standalone.js"))
    resp = fixture_http.get(bundle)
    assert resp.status_code == 200 and "javascript" in resp.headers["content-type"]
    assert b"cdn.redoc.ly" not in resp.content
    for url in urls:
        assert fixture_http.get(url).status_code == 200, url
    assert fixture_http.get("/openapi.json").status_code == 200


def test_cross_site_upload_is_refused(fixture_http):
    files = {"fichier": ("t.csv", b"code_insee;v\n93066;1\n")}
    resp = fixture_http.post("/cartes/tableau", files=files, headers={"Sec-Fetch-Site": "cross-site"})
    assert resp.status_code == 403 and "Envoi refusé" in resp.text
    same = fixture_http.post("/cartes/tableau", files=files, headers={"Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 200
    assert fixture_http.post("/cartes/tableau", files=files).status_code == 200  # non-browser client
