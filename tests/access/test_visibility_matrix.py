"""Role × endpoint × format: what each principal sees, through a live server over a real socket.

Contacts: the public sees level 1 only; professionals and référents levels 1–2; administrators every level (and the
malformed one, counted as level 3). Sensitive units: habilitated professionals and administrators only. Answers for a
non-public visibility are ``private, no-store`` and never come from, nor land in, the response cache."""

from __future__ import annotations

import io
import json

import httpx
import mapbox_vector_tile
import openpyxl
import pytest

from tests.access.support import MALFORMED_PHONE, PUBLIC_PHONE, RESTRICTED_PHONE, SECRET_PHONE, SENSITIVE_NAME

ROLES = ("public", "professionnel", "habilite", "referent", "administrateur")
SEES_RESTRICTED = {"professionnel", "habilite", "referent", "administrateur"}
SEES_SECRET = {"administrateur"}
SEES_SENSITIVE = {"habilite", "administrateur"}

# (name, URL, format, what it can show: "contacts" and/or "sensible")
ENDPOINTS = [
    ("commune-json", "/api/v1/communes/93066/services", "json", {"contacts", "sensible"}),
    ("commune-geojson", "/api/v1/communes/93066/services?format=geojson", "json", {"contacts", "sensible"}),
    ("commune-csv", "/api/v1/communes/93066/services?format=csv", "text", {"contacts", "sensible"}),
    ("commune-xlsx", "/api/v1/communes/93066/services?format=xlsx", "xlsx", {"contacts", "sensible"}),
    ("proximite", "/api/v1/services?lat=48.936&lon=2.36&rayon_km=5", "json", {"contacts", "sensible"}),
    ("offre", "/api/v1/services/cov-commune", "json", {"contacts"}),
    ("etablissement", "/api/v1/etablissements/930000001", "json", {"contacts", "sensible"}),
    ("territoires", "/api/v1/communes/93066/territoires?type_offre=30", "json", {"sensible"}),
    ("fhir-read", "/fhir/HealthcareService/cov-commune", "json", {"contacts"}),
    ("fhir-search", "/fhir/HealthcareService?couvre-commune=93066&_count=100", "json", {"contacts", "sensible"}),
    ("ogc-items", "/ogc/collections/offres/items?limit=100", "json", {"sensible"}),
    ("ogc-csv", "/ogc/collections/offres/download?f=csv", "text", {"sensible"}),
    ("ogc-tile", "/ogc/collections/offres/tiles/WebMercatorQuad/10/518/351", "mvt", {"sensible"}),
    ("ogc-territoires", "/ogc/collections/territoires/items?limit=1000&filter=code%3D%2793066%27", "json",
     {"sensible"}),
    ("widget-commune", "/cartes/commune/93066", "text", {"contacts", "sensible"}),
]


def _headers(role: str, tokens: dict[str, tuple[int, str]]) -> dict[str, str]:
    return {} if role == "public" else {"Authorization": f"Bearer {tokens[role][1]}"}


def _text(resp: httpx.Response, kind: str) -> str:
    if kind == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(resp.content), read_only=True)
        return " ".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row
                        if v is not None)
    if kind == "mvt":
        return json.dumps(mapbox_vector_tile.decode(resp.content), ensure_ascii=False, default=str)
    if kind == "json":
        return json.dumps(resp.json(), ensure_ascii=False)
    return resp.text


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "url", "kind", "shows"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_matrix(access_http, access_tokens, role, name, url, kind, shows):
    resp = access_http.get(url, headers=_headers(role, access_tokens))
    assert resp.status_code == 200, (role, name, resp.text[:300])
    text = _text(resp, kind)
    if "contacts" in shows:
        assert PUBLIC_PHONE in text, (role, name)
        assert (RESTRICTED_PHONE in text) == (role in SEES_RESTRICTED), (role, name)
        assert (SECRET_PHONE in text) == (role in SEES_SECRET), (role, name)
        assert (MALFORMED_PHONE in text) == (role in SEES_SECRET), (role, name)  # unknown level: most restrictive
    if "sensible" in shows:
        assert (SENSITIVE_NAME in text) == (role in SEES_SENSITIVE), (role, name)
    control = resp.headers.get("cache-control", "")
    if role == "public":
        assert "public" in control and "private" not in control, (name, control)
    else:
        assert "private" in control and "no-store" in control, (role, name, control)
        assert resp.headers.get("x-ror-cache") is None
    assert "Authorization" in resp.headers.get("vary", "") or "no-store" in control, (role, name)


@pytest.mark.parametrize("role", ROLES)
def test_sensitive_unit_detail(access_http, access_tokens, role):
    for url in ("/api/v1/services/cov-sensible", "/fhir/HealthcareService/cov-sensible", "/cartes/offre/cov-sensible",
                "/ogc/collections/offres/items/cov-sensible"):
        resp = access_http.get(url, headers=_headers(role, access_tokens))
        assert resp.status_code == (200 if role in SEES_SENSITIVE else 404), (role, url)


@pytest.mark.parametrize(("name", "url", "kind", "shows"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_cache_never_crosses_visibility(access_http, access_tokens, name, url, kind, shows):
    """A cached public answer is never served to a professional, and a professional's answer never lands in the
    cache: public, public (hit), administrator (fresh, private), public (hit, still the public form)."""
    first = access_http.get(url)
    hit = access_http.get(url)
    assert hit.headers.get("x-ror-cache") == "hit", name
    admin = access_http.get(url, headers=_headers("administrateur", access_tokens))
    assert admin.headers.get("x-ror-cache") is None and "no-store" in admin.headers["cache-control"], name
    again = access_http.get(url)
    assert again.headers.get("x-ror-cache") == "hit", name
    public_text, admin_text = _text(again, kind), _text(admin, kind)
    assert public_text == _text(first, kind)
    if "contacts" in shows:
        assert SECRET_PHONE in admin_text and SECRET_PHONE not in public_text, name
    if "sensible" in shows:
        assert SENSITIVE_NAME in admin_text and SENSITIVE_NAME not in public_text, name


def test_fhir_keeps_the_sensitive_flag(access_http, access_tokens):
    """A habilitated client that harvests /fhir must receive a sensitive unit as sensitive (never a false flag)."""
    def flag(resource: dict) -> bool:
        return next(e["valueBoolean"] for e in resource["extension"] if e["url"].endswith("sensitive-unit"))

    admin = _headers("administrateur", access_tokens)
    assert flag(access_http.get("/fhir/HealthcareService/cov-sensible", headers=admin).json()) is True
    assert flag(access_http.get("/fhir/HealthcareService/cov-commune", headers=admin).json()) is False
    assert flag(access_http.get("/fhir/HealthcareService/cov-commune").json()) is False


def test_ogc_marks_sensitive_units_for_habilitated_clients(access_http, access_tokens):
    admin = _headers("administrateur", access_tokens)
    feats = access_http.get("/ogc/collections/offres/items?limit=100", headers=admin).json()["features"]
    flags = {f["id"]: f["properties"]["unite_sensible"] for f in feats}
    assert flags["cov-sensible"] is True and flags["cov-commune"] is False
    queryables = access_http.get("/ogc/collections/offres/queryables", headers=admin).json()["properties"]
    assert queryables["unite_sensible"]["type"] == "boolean"
    assert "unite_sensible" not in access_http.get("/ogc/collections/offres/queryables").json()["properties"]
    public = access_http.get("/ogc/collections/offres/items?limit=100").json()["features"]
    assert all("unite_sensible" not in f["properties"] for f in public)
    only = access_http.get("/ogc/collections/offres/items?filter=unite_sensible%3Dtrue", headers=admin).json()
    assert [f["id"] for f in only["features"]] == ["cov-sensible"]
