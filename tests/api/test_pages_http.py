"""Human pages over HTTP (live server on the coverage fixture): the coordinator page ``/`` and the embed
builder ``/cartes/integrer`` — status, French text, local assets only, security headers, absolute base
URL of the embed codes (request or ``public_url``), and the API contract the page scripts rely on."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gis.settings import Settings
from web_map import assets

EXTERNAL_ASSET = re.compile(r'<(?:script[^>]*\ssrc|link[^>]*\shref|iframe[^>]*\ssrc)\s*=\s*["\']?(?:https?:)?//', re.I)
ABSOLUTE_URL = re.compile(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", re.I)
STATIC = Path(__file__).resolve().parent.parent.parent / "web_map" / "static"


def _csp(resp: httpx.Response) -> dict[str, str]:
    out = {}
    for part in resp.headers["content-security-policy"].split(";"):
        name, _, value = part.strip().partition(" ")
        out[name] = value
    return out


@pytest.fixture(scope="session")
def public_http(fixture_db_url: str, data_dir: Path) -> Iterator[httpx.Client]:
    """A live server with a public URL and a wider frame-ancestors list configured."""
    from tests.conftest import LiveServer

    server = LiveServer(Settings(database_url=fixture_db_url, data_dir=data_dir, download=False,
                                 public_url="https://cartes.ror-idf.example/", basemap="osm",
                                 frame_ancestors="'self' https://*.dac-idf.example"))
    server.start()
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client
    server.stop()


def _assert_page_basics(resp: httpx.Response) -> str:
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    html = resp.text
    assert '<html lang="fr">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert not EXTERNAL_ASSET.search(html), EXTERNAL_ASSET.findall(html)
    for cdn in ("jquery", "bootstrap", "cdn.jsdelivr", "cdnjs", "unpkg", "googleapis", "fontawesome"):
        assert cdn not in html.lower()
    # Our own versioned assets only.
    srcs = re.findall(r'<script[^>]*\ssrc="([^"]+)"', html) + re.findall(r'<link[^>]*\shref="([^"]+)"', html)
    assert srcs and all(u.startswith(assets.own_prefix() + "/") for u in srcs), srcs
    # Headers from web_map.security.page_headers.
    csp = _csp(resp)
    assert csp["default-src"] == "'self'"  # same-origin iframes (no frame-src: default-src applies)
    assert "frame-src" not in csp or "'self'" in csp["frame-src"]
    assert csp["connect-src"] == "'self'"  # same-origin fetches of the JSON API
    assert csp["script-src"].startswith("'self'") and csp["object-src"] == "'none'"
    assert "frame-ancestors" in csp
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert resp.headers["cache-control"] == "public, max-age=300"
    return html


def test_coordinator_page(fixture_http):
    html = _assert_page_basics(fixture_http.get("/"))
    assert "<title>Offres couvrant une commune — ROR Île-de-France</title>" in html
    assert "<h1>Quelles offres interviennent dans une commune ?</h1>" in html
    for text in ("Commune", "Type d'offre", "Public", "Activité", "Âge de la personne", "Rechercher",
                 "Effacer les filtres", "Exporter la liste (CSV)", "Exporter la liste (Excel .xlsx)",
                 "Intégrer cette carte", "Données fictives de démonstration", "Contact", "Pourquoi",
                 "Distance (km)", "Établissement"):
        assert text in html, text
    # ARIA combobox pattern and live regions.
    assert re.search(r'<input id="pg-commune" type="text" role="combobox" aria-autocomplete="list" '
                     r'aria-expanded="false"\s+aria-controls="pg-commune-list"', html)
    assert 'id="pg-commune-list" class="pg-listbox" role="listbox"' in html
    assert '<label for="pg-commune"' in html and '<label for="pg-type_offre"' in html
    assert '<label for="pg-public">' in html and '<label for="pg-activite"' in html and '<label for="pg-age">' in html
    assert 'role="status" aria-live="polite"' in html
    assert 'class="rg-skip" href="#pg-main"' in html
    assert '<caption id="pg-table-caption">' in html and 'scope="col"' in html
    assert "<noscript>" in html


def test_coordinator_page_head_and_gzip(fixture_http):
    assert fixture_http.head("/").status_code == 200
    resp = fixture_http.get("/", headers={"Accept-Encoding": "gzip"})
    assert resp.headers.get("content-encoding") == "gzip"
    assert len(resp.content) < 20_000


def test_embed_builder_page(fixture_http):
    resp = fixture_http.get("/cartes/integrer", params={"carte": "commune", "insee": "93066"})
    html = _assert_page_basics(resp)
    assert "<h1>Intégrer une carte sur votre site</h1>" in html
    for text in ("Offres couvrant une commune", "Couverture d'un type d'offre", "Territoire d'une offre",
                 "Largeur", "Hauteur", "Fond de carte", "Plan IGN", "OpenStreetMap", "Copier le code", "Aperçu",
                 "Identifiant de l'offre", "Département"):
        assert text in html, text
    # No public_url configured: empty, the script uses the page's origin (never the Host header: the
    # page is cached by URL).
    assert 'data-base-url=""' in html
    poisoned = fixture_http.get("/cartes/integrer", headers={"Host": "evil.example"})
    assert "evil.example" not in poisoned.text
    assert re.search(r'<textarea id="pg-code" readonly', html)
    assert '<label for="pg-code"' in html
    assert "<code id=\"pg-ancestors\">&#39;self&#39;</code>" in html
    assert 'data-default-fond="plan-ign"' in html
    assert fixture_http.head("/cartes/integrer").status_code == 200


def test_embed_builder_uses_public_url(public_http):
    resp = public_http.get("/cartes/integrer")
    assert resp.status_code == 200
    html = resp.text
    assert 'data-base-url="https://cartes.ror-idf.example"' in html  # trailing slash removed
    assert 'data-default-fond="osm"' in html
    assert "https://*.dac-idf.example" in html  # the allow-list is shown to the webmaster
    assert _csp(resp)["frame-ancestors"] == "'self' https://*.dac-idf.example"
    # The coordinator page does not depend on public_url.
    assert "cartes.ror-idf.example" not in public_http.get("/").text


@pytest.mark.parametrize(("name", "media"), [("coordinateur.js", "javascript"), ("integrer.js", "javascript"),
                                             ("pages.css", "text/css")])
def test_page_assets_are_served_versioned_and_local(fixture_http, name, media):
    resp = fixture_http.get(f"{assets.own_prefix()}/{name}")
    assert resp.status_code == 200
    assert media in resp.headers["content-type"]
    assert resp.headers["cache-control"] == assets.LONG_CACHE
    text = (STATIC / name).read_text(encoding="utf-8")
    assert resp.text == text
    assert not ABSOLUTE_URL.search(text), ABSOLUTE_URL.findall(text)  # nothing fetched from another host
    assert "@import" not in text and "url(http" not in text


def test_api_contract_used_by_the_pages(fixture_http):
    """The fields coordinateur.js reads from the JSON API (a change here breaks the page)."""
    communes = fixture_http.get("/api/v1/communes", params={"q": "st denis", "limit": 10}).json()["results"]
    sd = next(c for c in communes if c["insee"] == "93066")
    assert sd["label"] == "Saint-Denis (93)" and "93200" in sd["codes_postaux"]
    payload = fixture_http.get("/api/v1/communes/93066/services", params={"limit": 500}).json()
    assert payload["commune"]["nom"] == "Saint-Denis" and payload["total"] == len(payload["results"])
    row = next(r for r in payload["results"] if r["nom"] == "SAAD zone Saint-Denis")
    for key in ("id", "identifiant", "type_offre", "etablissement", "couverture", "distance_km", "contacts", "fictif"):
        assert key in row, key
    assert {"libelle", "partielle", "motif"} <= set(row["couverture"])
    assert {"finess", "nom", "adresse", "code_postal", "ville"} <= set(row["etablissement"])
    filtered = fixture_http.get("/api/v1/communes/93066/services", params={"type_offre": "28"}).json()
    assert [r["nom"] for r in filtered["results"]] == ["SSIAD zone Pierrefitte (ancien code)"]
    for name in ("type_offre", "public", "activite"):
        codes = fixture_http.get(f"/api/v1/nomenclatures/{name}").json()["codes"]
        assert codes and {"code", "label"} <= set(codes[0])
    deps = fixture_http.get("/api/v1/departements", params={"geometry": "none"}).json()["features"]
    assert {f["properties"]["code"] for f in deps} >= {"75", "93"}
    feature = fixture_http.get("/api/v1/communes/93066", params={"geometry": "none"}).json()
    assert feature["properties"]["nom"] == "Saint-Denis"
    # The export links of the page.
    csv = fixture_http.get("/api/v1/communes/93066/services", params={"type_offre": "28", "format": "csv"})
    assert csv.status_code == 200 and "SSIAD zone Pierrefitte" in csv.content.decode("utf-8-sig")
    # Error bodies carry a French detail (shown by the page).
    err = fixture_http.get("/api/v1/communes/99999/services")
    assert err.status_code == 404 and err.json()["detail"].startswith("Aucune commune")
