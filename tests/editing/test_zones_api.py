"""Territory editing over real HTTP with real tokens: permission boundaries, ETag / If-Match, coverage answers that
change right after an edit (cache included), polygon checks with French 422s, audit trail, local overrides and their
FHIR Bundle."""

from __future__ import annotations

import time

import pytest
from fhir.resources.R4B.bundle import Bundle

from tests.editing.conftest import bearer

ZONE = "/api/v1/offres/cov-dep/zone"  # DAC Val-de-Marne, zone = département 94, EG 930000001

# A square of about 2 x 2 km in Créteil (94028), in WGS84.
SQUARE = {"type": "Polygon", "coordinates": [[[2.44, 48.78], [2.467, 48.78], [2.467, 48.798], [2.44, 48.798],
                                              [2.44, 48.78]]]}


def _read(http, token=None, path=ZONE):
    r = http.get(path, headers=bearer(token) if token else {})
    assert r.status_code == 200, r.text
    return r.json(), r.headers["etag"]


def _put(http, token, body, etag, path=ZONE):
    headers = {**bearer(token), **({"If-Match": etag} if etag else {})}
    return http.put(path, json=body, headers=headers)


def _covering(http, insee: str) -> set[str]:
    r = http.get(f"/api/v1/communes/{insee}/services?limit=500")
    assert r.status_code == 200
    return {o["id"] for o in r.json()["results"]}


def test_anyone_reads_a_public_zone_but_only_editors_may_change_it(edit_http, api_tokens):
    state, etag = _read(edit_http)
    assert state["modifiable"] is False and state["divisions"][0]["code"] == "94"
    body = {"divisions": [{"type_division": "2", "code": "94"}, {"type_division": "3", "code": "93066"}]}
    r = edit_http.put(ZONE, json=body, headers={"If-Match": etag})
    assert r.status_code == 401 and "WWW-Authenticate" in r.headers
    assert _put(edit_http, api_tokens.pro, body, etag).status_code == 403
    assert _put(edit_http, api_tokens.referent_autre, body, etag).status_code == 403  # another EG
    assert _put(edit_http, api_tokens.revoked, body, etag).status_code == 401
    assert edit_http.get(ZONE + "/historique", headers=bearer(api_tokens.referent_autre)).status_code == 403
    # the other référent edits its own EG's offer
    _, other_etag = _read(edit_http, path="/api/v1/offres/edit-autre/zone")
    r = _put(edit_http, api_tokens.referent_autre, {"divisions": [{"type_division": "3", "code": "75111"}]},
             other_etag, path="/api/v1/offres/edit-autre/zone")
    assert r.status_code == 200, r.text


def test_sensitive_unit_is_unknown_to_the_public(edit_http, api_tokens):
    assert edit_http.get("/api/v1/offres/cov-sensible/zone").status_code == 404
    assert edit_http.get("/api/v1/offres/cov-sensible/zone", headers=bearer(api_tokens.referent)).status_code == 200


def test_if_match_is_required_and_checked(edit_http, api_tokens):
    state, etag = _read(edit_http, api_tokens.referent, path="/api/v1/offres/cov-arr/zone")
    body = {"divisions": [{"type_division": "3", "code": "75110"}, {"type_division": "3", "code": "75111"}]}
    r = _put(edit_http, api_tokens.referent, body, None, path="/api/v1/offres/cov-arr/zone")
    assert r.status_code == 428 and "If-Match" in r.json()["detail"]
    r = _put(edit_http, api_tokens.referent, body, '"zperime"', path="/api/v1/offres/cov-arr/zone")
    assert r.status_code == 412 and "modifiée entre-temps" in r.json()["detail"]
    r = _put(edit_http, api_tokens.referent, body, etag, path="/api/v1/offres/cov-arr/zone")
    assert r.status_code == 200 and r.headers["etag"] != etag
    # the first writer won: a second edit from the same stale read is refused
    r = _put(edit_http, api_tokens.admin, {"divisions": [{"type_division": "3", "code": "75112"}]}, etag,
             path="/api/v1/offres/cov-arr/zone")
    assert r.status_code == 412


def test_coverage_changes_right_after_an_edit(edit_http, api_tokens):
    assert "cov-dep" not in _covering(edit_http, "93066")
    assert "cov-dep" in _covering(edit_http, "94028")  # cached now
    _, etag = _read(edit_http, api_tokens.referent)
    body = {"divisions": [{"type_division": "3", "code": "93066"}], "commentaire": "Extension à Saint-Denis"}
    r = _put(edit_http, api_tokens.referent, body, etag)
    assert r.status_code == 200, r.text
    state = r.json()
    # the time is reported (its target, 200 ms, is a benchmark figure, not a timed test: README)
    assert state["modifie"] is True and state["duree_ms"] >= 0
    assert state["surcharge"]["source_ror"] == "test"  # an imported zone: kept as a local override
    assert state["surcharge"]["zone_ror"] == [{"type_division": "2", "code": "94"}]
    # the next answers are fresh (data version bumped, caches dropped)
    deadline = time.monotonic() + 5
    while "cov-dep" not in _covering(edit_http, "93066") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "cov-dep" in _covering(edit_http, "93066")
    assert "cov-dep" not in _covering(edit_http, "94028")
    detail = edit_http.get("/api/v1/services/cov-dep").json()
    assert [z["code"] for z in detail["zone_intervention"]] == ["93066"]
    history = edit_http.get(ZONE + "/historique", headers=bearer(api_tokens.referent)).json()["modifications"]
    last = history[0]
    assert last["avant"]["divisions"] == [{"type_division": "2", "code": "94"}]
    assert last["apres"]["divisions"] == [{"type_division": "3", "code": "93066"}]
    assert last["commentaire"] == "Extension à Saint-Denis" and last["auteur"].startswith("Référente 93")


def test_polygon_territory(edit_http, api_tokens):
    path = "/api/v1/offres/cov-located/zone"
    _, etag = _read(edit_http, api_tokens.admin, path=path)
    r = _put(edit_http, api_tokens.admin, {"polygone": {"type": "Feature", "properties": {}, "geometry": SQUARE}},
             etag, path=path)
    assert r.status_code == 200, r.text
    state = r.json()
    assert state["polygone"]["type"] == "MultiPolygon" and 3 < state["polygone_km2"] < 8
    assert "cov-located" in _covering(edit_http, "94028")


BOWTIE = {"type": "Polygon", "coordinates": [[[2.44, 48.78], [2.467, 48.798], [2.467, 48.78], [2.44, 48.798],
                                              [2.44, 48.78]]]}


@pytest.mark.parametrize(("polygon", "words"), [
    (BOWTIE, "Polygone invalide : le contour se recoupe"),
    ({"type": "Point", "coordinates": [2.4, 48.8]}, "Polygon ou un MultiPolygon"),
    ({"type": "Polygon", "coordinates": [[[-74.0, 40.7], [-73.9, 40.7], [-73.9, 40.8], [-74.0, 40.7]]]}, "en France"),
    ({"type": "Polygon", "coordinates": [[[652000, 6862000], [653000, 6862000], [653000, 6863000],
                                          [652000, 6862000]]]}, "WGS84"),
    ({"type": "Polygon", "coordinates": [[[2.44, 48.78], [2.4401, 48.78], [2.4401, 48.7801], [2.44, 48.78]]]},
     "trop petit"),
    ({"type": "Polygon", "coordinates": [[[-1.0, 43.0], [7.0, 43.0], [7.0, 50.0], [-1.0, 50.0], [-1.0, 43.0]]]},
     "trop grand"),
    ({"type": "Polygon", "coordinates": [[[4.8, 45.7], [4.9, 45.7], [4.9, 45.8], [4.8, 45.8], [4.8, 45.7]]]},
     "hors du territoire"),
    ({"type": "Polygon", "coordinates": [[[2.44]]]}, "GeoJSON illisible"),
])
def test_bad_polygons_get_french_422(edit_http, api_tokens, polygon, words):
    path = "/api/v1/offres/cov-polygone/zone"
    _, etag = _read(edit_http, api_tokens.admin, path=path)
    r = _put(edit_http, api_tokens.admin, {"polygone": polygon}, etag, path=path)
    assert r.status_code == 422, r.text
    assert words in r.json()["detail"]


def test_invalid_polygon_repaired_on_request(edit_http, api_tokens):
    path = "/api/v1/offres/cov-polygone/zone"
    _, etag = _read(edit_http, api_tokens.admin, path=path)
    r = _put(edit_http, api_tokens.admin, {"polygone": BOWTIE, "corriger_geometrie": True}, etag, path=path)
    assert r.status_code == 200, r.text
    assert r.json()["polygone"]["type"] == "MultiPolygon"


def test_unknown_codes_and_empty_zone(edit_http, api_tokens):
    path = "/api/v1/offres/cov-region/zone"
    _, etag = _read(edit_http, api_tokens.admin, path=path)
    r = _put(edit_http, api_tokens.admin, {"divisions": [{"type_division": "3", "code": "99999"}]}, etag, path=path)
    assert r.status_code == 422 and "commune 99999" in r.json()["detail"]
    r = _put(edit_http, api_tokens.admin, {"divisions": []}, etag, path=path)
    assert r.status_code == 422 and "Zone vide" in r.json()["detail"]


def test_overrides_export_as_fhir_bundle(edit_http, api_tokens):
    path = "/api/v1/offres/cov-commune/zone"
    _, etag = _read(edit_http, api_tokens.referent, path=path)
    r = _put(edit_http, api_tokens.referent, {"divisions": [{"type_division": "3", "code": "93008"}]}, etag, path=path)
    assert r.status_code == 200
    assert edit_http.get("/api/v1/zones/surcharges").status_code == 401
    mine = edit_http.get("/api/v1/zones/surcharges", headers=bearer(api_tokens.referent)).json()["surcharges"]
    assert "cov-commune" in {s["ror_id"] for s in mine} and "edit-autre" not in {s["ror_id"] for s in mine}
    r = edit_http.get("/api/v1/zones/surcharges?format=fhir", headers=bearer(api_tokens.admin))
    assert r.headers["content-type"].startswith("application/fhir+json")
    bundle = Bundle.model_validate(r.json())
    service = next(e.resource for e in bundle.entry if e.resource.id == "cov-commune")
    assert service.meta.tag[0].code == "surcharge-zone-locale"
    # restoring the ROR's zone drops the override
    _, etag = _read(edit_http, api_tokens.referent, path=path)
    r = _put(edit_http, api_tokens.referent, {"divisions": [{"type_division": "3", "code": "93066"}]}, etag,
             path=path)
    assert r.json()["surcharge"] is None


def test_cookie_session_writes_need_the_csrf_token(edit_http, editing_db, api_tokens):
    from gis import tokens
    from gis.db import connect

    with connect(editing_db) as conn, conn.transaction():
        cookie, session = tokens.create_session(conn, api_tokens.referent, hours=1)
    path = "/api/v1/offres/cov-located-paris/zone"
    jar = {"Cookie": f"ror_gis_session={cookie}"}
    r = edit_http.get(path, headers=jar)
    assert r.status_code == 200 and r.json()["modifiable"] is True
    body = {"divisions": [{"type_division": "3", "code": "75110"}]}
    r = edit_http.put(path, json=body, headers={**jar, "If-Match": r.headers["etag"]})
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    r = edit_http.put(path, json=body, headers={**jar, "If-Match": "*", "X-CSRF-Token": "faux"})
    assert r.status_code == 403
    r = edit_http.put(path, json=body, headers={**jar, "If-Match": "*", "X-CSRF-Token": session.csrf})
    assert r.status_code == 200, r.text
    # the public report endpoint ignores the cookie: a cross-site form cannot report in the user's name
    r = edit_http.post("/api/v1/signalements", headers=jar, json={
        "cible_type": "offre", "cible": "cov-located-paris", "categorie": "autre", "description": "Test de cookie"})
    assert r.status_code == 201
    with connect(editing_db) as conn:
        who = conn.execute("SELECT auteur FROM signalement_historique WHERE signalement_id = %s",
                           (r.json()["id"],)).fetchone()["auteur"]
    assert who == "anonyme"
