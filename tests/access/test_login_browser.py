"""The login page and a connected page in real headless Chromium; CSRF and cookie rules over real HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from gis.db import connect
from gis.tokens import create_token, revoke_token
from tests.access.support import RESTRICTED_PHONE
from tests.browser import BrowserPage, new_browser_page

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(module_browser, access_server) -> Iterator[BrowserPage]:
    context, bp = new_browser_page(module_browser, access_server.url)
    try:
        yield bp
    finally:
        context.close()


def _fresh_token(url: str, role: str = "professionnel") -> tuple[int, str]:
    with connect(url) as conn:
        made = create_token(conn, role=role, nom="Dr Navigateur (fictif)")
        conn.commit()
    return made


def _login(bp: BrowserPage, token: str, suivant: str = "/") -> object:
    bp.goto(f"/connexion?suivant={suivant}")
    bp.page.fill("#pg-jeton", token)
    with bp.page.expect_navigation():
        bp.page.click("button[type=submit]")
    return bp.page


def test_login_shows_the_role_and_opens_restricted_data(desk, access_db):
    page = desk.page
    resp = desk.goto("/connexion")
    assert resp.status == 200 and "no-store" in resp.headers["cache-control"]
    assert page.locator("h1").inner_text() == "Connexion des professionnels"
    # a wrong token: refused, the form again, a French message
    page.fill("#pg-jeton", "rgt_0000000000_" + "A" * 43)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.locator("#pg-login-error").inner_text() == "Jeton invalide, expiré ou révoqué."
    # anonymous: the widget shows no restricted contact, the header offers to log in
    desk.goto("/cartes/commune/93066")
    assert RESTRICTED_PHONE not in page.content()
    desk.goto("/")
    page.wait_for_selector("[data-session][data-ready]")
    assert page.locator("[data-session] a").inner_text() == "Connexion professionnels"

    token_id, token = _fresh_token(access_db)
    _login(desk, token, "/cartes/commune/93066")
    assert page.url.endswith("/cartes/commune/93066")
    assert RESTRICTED_PHONE in page.content()  # the connected page shows level-2 contacts
    cookie = next(c for c in page.context.cookies() if c["name"] == "ror_gis_session")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax"
    assert cookie["secure"] is False  # plain http on 127.0.0.1 (ROR_GIS_COOKIE_SECURE=auto)
    desk.goto("/")
    page.wait_for_selector("[data-session][data-ready]")
    assert page.locator(".pg-session-role").inner_text() == "Connecté : Professionnel (Dr Navigateur (fictif))"
    # the page's own API calls carry the session (same origin)
    body = page.evaluate("fetch('/api/v1/communes/93066/services').then(r => r.text())")
    assert RESTRICTED_PHONE in body

    # revoking the token ends the session at once
    with connect(access_db) as conn:
        revoke_token(conn, token_id)
        conn.commit()
    desk.goto("/cartes/commune/93066")
    assert RESTRICTED_PHONE not in page.content()
    assert desk.js_errors() == [] and desk.third_party() == []


def test_logout(desk, access_db):
    page = desk.page
    _token_id, token = _fresh_token(access_db, "administrateur")
    _login(desk, token)
    page.wait_for_selector(".pg-session-role")
    page.click("[data-session] a")  # « Se déconnecter »
    page.wait_for_selector("h1:text('Déconnexion')")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", page.url)
    assert not [c for c in page.context.cookies() if c["name"] == "ror_gis_session"]
    page.wait_for_selector("[data-session][data-ready]")
    assert page.locator("[data-session] a").inner_text() == "Connexion professionnels"
    assert desk.js_errors() == [] and desk.third_party() == []


def test_csrf_and_cookie_rules(access_server, access_db):
    _token_id, token = _fresh_token(access_db)
    with httpx.Client(base_url=access_server.url, timeout=30, follow_redirects=False) as client:
        # no token in the form, or a form posted from elsewhere (no double-submit cookie): refused
        assert client.post("/connexion", data={"jeton": token}).status_code == 403
        assert client.post("/connexion", data={"jeton": token, "csrf": "x" * 43}).status_code == 403
        form = client.get("/connexion")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
        assert "samesite=strict" in form.headers["set-cookie"].lower()
        assert client.post("/connexion", data={"jeton": token, "csrf": csrf + "x"}).status_code == 403
        # an open redirect is not possible
        ok = client.post("/connexion", data={"jeton": token, "csrf": csrf, "suivant": "//evil.example/"})
        assert ok.status_code == 303 and ok.headers["location"] == "/"
        set_cookie = ok.headers["set-cookie"].lower()
        assert "httponly" in set_cookie and "samesite=lax" in set_cookie
        assert client.get("/api/v1/moi").json()["role"] == "professionnel"
        # logging out needs the session's own token
        assert client.post("/deconnexion", data={"csrf": csrf}).status_code == 403
        assert client.get("/api/v1/moi").json()["role"] == "professionnel"
    # behind TLS (any non-loopback host), the cookie is Secure
    with httpx.Client(base_url=access_server.url, timeout=30, headers={"Host": "ror.example.fr"}) as client:
        form = client.get("/connexion")
        assert "secure" in form.headers["set-cookie"].lower()


def test_login_pages_csp_head_options(access_http):
    page = access_http.get("/connexion")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "form-action 'self'" in csp
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", page.text) and not re.search(r"\son[a-z]+\s*=", page.text)
    head = access_http.head("/connexion")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-security-policy"] == csp
    for path in ("/connexion", "/deconnexion"):
        allowed = {m.strip() for m in access_http.options(path).headers["allow"].split(",")}
        assert {"GET", "HEAD", "POST", "OPTIONS"} <= allowed, path
    assert access_http.head("/deconnexion").status_code == 303  # not connected: to the login page
    assert access_http.get("/connexion?suivant=javascript:alert(1)").text.count('value="/"') == 1
