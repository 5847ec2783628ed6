"""Communes API over a real socket: what coordinators type, GeoJSON features, and error cases."""

from __future__ import annotations

import pytest


def _search(http, q, limit=10):
    resp = http.get("/api/v1/communes", params={"q": q, "limit": limit})
    assert resp.status_code == 200, resp.text
    return resp.json()["results"]


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("st denis", "93066"),
        ("Saint-Denis", "93066"),
        ("SAINT DENIS", "93066"),
        ("saint-denis ", "93066"),
        ("lhay les roses", "94038"),
        ("l'hay", "94038"),
        ("L’Haÿ-les-Roses", "94038"),
        ("evry", "91228"),
        ("ste genevieve", "91549"),
        ("st germain en laye", "78551"),
        ("boulogne", "92012"),
        ("creteil", "94028"),
        ("vitry", "94081"),
        ("argenteuil", "95018"),
        ("le chesnay", "78158"),
        ("paris 10", "75110"),
        ("paris", "75056"),
        ("sartrouvile", "78586"),  # typo: trigram fallback
        ("93066", "93066"),
        ("75010", "75110"),
        ("75116", "75116"),
        ("93059", "93066"),  # Pierrefitte-sur-Seine, now a delegated commune of Saint-Denis
        ("2A004", None),  # well-formed but outside the loaded region: no result, no error
        ("ile st denis", "93039"),  # L'Île-Saint-Denis: every word matches (after the elided article)
        ("l ile saint denis", "93039"),
    ],
)
def test_autocomplete_first_result(http, typed, first):
    results = _search(http, typed)
    if first is None:
        assert results == []
    else:
        assert results, f"no result for {typed!r}"
        assert results[0]["insee"] == first, [r["nom"] for r in results]


def test_names_matching_every_word_outrank_partial_matches(http):
    names = [r["insee"] for r in _search(http, "ile st denis")]
    assert names[0] == "93039" and "93066" not in names[:1]


def test_paris_lists_its_arrondissements_in_order(http):
    codes = [r["insee"] for r in _search(http, "paris", limit=21)]
    assert codes == ["75056"] + [str(75100 + i) for i in range(1, 21)]


def test_postcode_is_not_answered_by_a_former_code(http):
    results = _search(http, "75010")
    assert [r["insee"] for r in results] == ["75110"]  # not Bondy (93010, once 75010 in the Seine)
    assert [r["insee"] for r in _search(http, "93010")] == ["93010"]


def test_result_shape(http):
    (hit,) = _search(http, "st denis", limit=1)
    assert hit["nom"] == "Saint-Denis"
    assert hit["type"] == "commune"
    assert hit["codes_postaux"] == ["93200", "93210", "93380"]
    assert hit["departement"] == "93"
    assert hit["population"] > 140_000
    assert hit["label"] == "Saint-Denis (93)"


def test_postcode_serving_several_communes(http):
    results = _search(http, "77100")
    by_code = {r["insee"]: r["correspondance"] for r in results}
    # 77100 is also the INSEE code of Le Châtelet-en-Brie: the INSEE code comes first, then the postcode.
    assert results[0]["insee"] == "77100" and by_code["77100"] == "code INSEE"
    assert {r["nom"] for r in results if r["correspondance"] == "code postal"} == {
        "Meaux", "Mareuil-lès-Meaux", "Nanteuil-lès-Meaux"
    }


def test_paris_postcode_gives_the_arrondissement_not_the_city(http):
    results = _search(http, "75010")
    assert [r["insee"] for r in results if r["correspondance"] == "code postal"] == ["75110"]
    assert "75056" not in {r["insee"] for r in results}


def test_postcode_prefix(http):
    results = _search(http, "9320", limit=50)
    assert "93066" in {r["insee"] for r in results}
    assert all(any(cp.startswith("9320") for cp in r["codes_postaux"]) for r in results)


def test_ranking_prefers_exact_then_population(http):
    names = [r["nom"] for r in _search(http, "st denis")]
    assert names[0] == "Saint-Denis"
    assert "L'Île-Saint-Denis" in names and "Saint-Denis-lès-Rebais" in names


def test_limit_is_respected(http):
    assert len(_search(http, "saint", limit=3)) == 3


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"q": ""}, "ne doit pas être vide"),
        ({}, "obligatoire"),
        ({"q": "paris", "limit": 0}, "supérieur ou égal"),
        ({"q": "paris", "limit": "abc"}, "nombre"),
        ({"q": "x" * 101}, "trop long"),
    ],
)
def test_search_errors_are_422_in_french(http, params, needle):
    resp = http.get("/api/v1/communes", params=params)
    assert resp.status_code == 422
    assert needle in resp.json()["detail"]


def test_commune_feature(http):
    resp = http.get("/api/v1/communes/93066", params={"geometry": "full"})
    assert resp.status_code == 200
    feat = resp.json()
    assert feat["type"] == "Feature"
    assert feat["geometry"]["type"] == "MultiPolygon"
    props = feat["properties"]
    assert props["nom"] == "Saint-Denis" and props["departement_nom"] == "Seine-Saint-Denis"
    assert props["region_nom"] == "Île-de-France" and props["ept_nom"] == "Plaine Commune"
    assert "93059" in props["codes_anciens"]
    assert len(feat["bbox"]) == 4


def test_commune_geometry_modes(http):
    centre = http.get("/api/v1/communes/75110", params={"geometry": "centre"}).json()
    assert centre["geometry"]["type"] == "Point"
    assert centre["properties"]["parent_insee"] == "75056"
    assert centre["properties"]["type"] == "arrondissement-municipal"
    none = http.get("/api/v1/communes/75056", params={"geometry": "none"}).json()
    assert none["geometry"] is None
    assert len(none["properties"]["arrondissements"]) == 20
    full = http.get("/api/v1/communes/93066", params={"geometry": "full"})
    simple = http.get("/api/v1/communes/93066", params={"geometry": "simplified"})
    assert len(simple.content) < len(full.content)


def test_former_code_answers_with_current_commune(http):
    props = http.get("/api/v1/communes/93059", params={"geometry": "none"}).json()["properties"]
    assert props["insee"] == "93066"
    assert props["code_demande"] == "93059"
    assert props["type_code_demande"] == "deleguee"


@pytest.mark.parametrize(
    ("path", "status", "needle"),
    [
        ("/api/v1/communes/99999", 404, "Aucune commune"),
        ("/api/v1/communes/abc", 422, "mal formé"),
        ("/api/v1/communes/9306", 422, "mal formé"),
        ("/api/v1/communes/93066?geometry=bad", 422, "geometry"),
        ("/api/v1/departements/99", 404, "Département inconnu"),
        ("/api/v1/departements/x1", 422, "mal formé"),
        ("/api/v1/nexiste-pas", 404, "introuvable"),
    ],
)
def test_error_cases(http, path, status, needle):
    resp = http.get(path)
    assert resp.status_code == status
    body = resp.json()
    assert needle in body["detail"]
    assert "Traceback" not in resp.text and "SELECT" not in resp.text


def test_departements(http):
    coll = http.get("/api/v1/departements").json()
    assert [f["id"] for f in coll["features"]] == ["75", "77", "78", "91", "92", "93", "94", "95"]
    one = http.get("/api/v1/departements/93").json()
    assert one["properties"]["nom"] == "Seine-Saint-Denis"
    assert one["properties"]["communes"] == 39
    assert one["geometry"]["type"] == "MultiPolygon"


def test_health(http):
    resp = http.get("/health")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["donnees"]["geographie"]["version"].startswith("COG 2026")
    assert body["schema_version"] >= 2


def test_health_reports_503_when_database_is_down(data_dir):
    """A server pointed at an unreachable database answers 503, not 500."""
    import httpx

    from gis.settings import Settings
    from tests.conftest import LiveServer

    server = LiveServer(
        Settings(database_url="postgresql://nobody@127.0.0.1:1/none", data_dir=data_dir, pool_wait_s=2)
    )
    server.start()
    try:
        resp = httpx.get(server.url + "/health", timeout=10)
        assert resp.status_code == 503
        assert resp.json()["status"] == "indisponible"
        resp = httpx.get(server.url + "/api/v1/communes", params={"q": "paris"}, timeout=15)
        assert resp.status_code == 503
        assert "base de données" in resp.json()["detail"]
    finally:
        server.stop()


def test_openapi_docs(http):
    assert http.get("/docs").status_code == 200
    spec = http.get("/openapi.json").json()
    assert "/api/v1/communes" in spec["paths"]
    assert "/api/v1/communes/{insee}/services" in spec["paths"]
