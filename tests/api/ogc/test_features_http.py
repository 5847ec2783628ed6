"""OGC API – Features over HTTP (live server on the coverage-fixture database)."""

from __future__ import annotations

import json

import pytest

PUBLIC_OFFERS = {"cov-commune", "cov-ancien", "cov-paris", "cov-arr", "cov-dep", "cov-region", "cov-located",
                 "cov-located-paris", "cov-polygone", "cov-unknown"}
COLLECTIONS = {"communes", "departements", "regions", "etablissements", "offres", "territoires", "couverture"}


def _get(http, path, **params):
    r = http.get(path, params=params)
    assert r.status_code == 200, r.text[:300]
    return r


def test_landing_conformance_api(fixture_http):
    landing = _get(fixture_http, "/ogc").json()
    rels = {link["rel"] for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    conf = _get(fixture_http, "/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conf
    assert "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter" in conf
    api = _get(fixture_http, "/ogc/api")
    assert api.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    doc = api.json()
    assert doc["openapi"].startswith("3.0") and "/collections/{collectionId}/items" in doc["paths"]


def test_collections_and_queryables(fixture_http):
    doc = _get(fixture_http, "/ogc/collections").json()
    assert {c["id"] for c in doc["collections"]} == COLLECTIONS
    communes = _get(fixture_http, "/ogc/collections/communes").json()
    assert communes["extent"]["spatial"]["bbox"][0][0] == pytest.approx(1.446, abs=0.01)
    assert any(link["rel"] == "items" for link in communes["links"])
    q = _get(fixture_http, "/ogc/collections/communes/queryables")
    assert q.headers["content-type"] == "application/schema+json"
    assert {"insee", "nom", "type", "population", "geometry"} <= set(q.json()["properties"])
    assert fixture_http.get("/ogc/collections/inconnue").status_code == 404


def test_items_paging_links(fixture_http):
    page = _get(fixture_http, "/ogc/collections/communes/items", limit=500, sortby="insee").json()
    assert page["type"] == "FeatureCollection" and page["numberReturned"] == 500
    total = page["numberMatched"]
    seen = [f["id"] for f in page["features"]]
    while (nxt := next((link["href"] for link in page["links"] if link["rel"] == "next"), None)):
        page = fixture_http.get(nxt).json()
        seen += [f["id"] for f in page["features"]]
    assert len(seen) == len(set(seen)) == total > 1200
    assert any(link["rel"] == "prev" for link in page["links"])
    assert seen == sorted(seen)


def test_items_parameters(fixture_http):
    r = _get(fixture_http, "/ogc/collections/communes/items", bbox="2.35,48.93,2.37,48.94",
             properties="nom,population", sortby="-population", limit=3)
    assert r.headers["content-type"] == "application/geo+json"
    assert r.headers["content-crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    feats = r.json()["features"]
    assert feats[0]["id"] == "93066" and set(feats[0]["properties"]) == {"nom", "population"}
    pops = [f["properties"]["population"] for f in feats]
    assert pops == sorted(pops, reverse=True)
    # Paris: the commune and its 20 arrondissements, told apart by `type`
    paris = _get(fixture_http, "/ogc/collections/communes/items", departement="75", limit=100).json()
    types = [f["properties"]["type"] for f in paris["features"]]
    assert types.count("commune") == 1 and types.count("arrondissement-municipal") == 20


def test_item_crs_lambert93(fixture_http):
    wgs = _get(fixture_http, "/ogc/collections/communes/items/93066").json()
    assert wgs["properties"]["nom"] == "Saint-Denis"
    assert any(link["rel"] == "collection" for link in wgs["links"])
    l93 = _get(fixture_http, "/ogc/collections/communes/items/93066",
               crs="http://www.opengis.net/def/crs/EPSG/0/2154")
    assert l93.headers["content-crs"] == "<http://www.opengis.net/def/crs/EPSG/0/2154>"
    x, y = l93.json()["geometry"]["coordinates"][0][0][0]
    assert 640_000 < x < 670_000 and 6_850_000 < y < 6_890_000
    assert fixture_http.get("/ogc/collections/communes/items/99999").status_code == 404


def test_cql2_text_and_json(fixture_http):
    text = _get(fixture_http, "/ogc/collections/communes/items",
                filter="departement = '93' AND population BETWEEN 100000 AND 200000", limit=50).json()
    as_json = json.dumps({"op": "and", "args": [
        {"op": "=", "args": [{"property": "departement"}, "93"]},
        {"op": "between", "args": [{"property": "population"}, 100000, 200000]}]})
    by_json = _get(fixture_http, "/ogc/collections/communes/items", filter=as_json,
                   **{"filter-lang": "cql2-json", "limit": 50}).json()
    assert [f["id"] for f in text["features"]] == [f["id"] for f in by_json["features"]] == ["93048", "93066"]
    bad = fixture_http.get("/ogc/collections/communes/items", params={"filter": "inconnue = 1"})
    assert bad.status_code == 422 and "inconnue" in bad.json()["detail"]


def test_public_offers_only(fixture_http):
    offres = _get(fixture_http, "/ogc/collections/offres/items", limit=100).json()
    assert {f["id"] for f in offres["features"]} == PUBLIC_OFFERS
    assert "contacts" not in offres["features"][0]["properties"]
    terr = _get(fixture_http, "/ogc/collections/territoires/items", limit=1000).json()
    owners = {f["properties"]["offre_id"] for f in terr["features"]}
    assert "cov-sensible" not in owners and "cov-fermee" not in owners
    assert {"cov-commune", "cov-ancien", "cov-dep", "cov-region", "cov-polygone"} <= owners
    levels = {f["properties"]["niveau"] for f in terr["features"]}
    assert levels == {"commune", "departement", "region", "polygone"}
    assert fixture_http.get("/ogc/collections/offres/items/cov-sensible").status_code == 404
    assert fixture_http.get("/ogc/collections/offres/items/cov-fermee").status_code == 404


def test_couverture_parameterised(fixture_http):
    saad = _get(fixture_http, "/ogc/collections/couverture/items", type_offre="30", insee="93066").json()
    assert saad["features"][0]["properties"]["offres"] == 1  # the sensitive and the closed SAAD are not counted
    paris10 = _get(fixture_http, "/ogc/collections/couverture/items/75110", type_offre="30").json()
    assert paris10["properties"]["offres"] == 1
    assert fixture_http.get("/ogc/collections/couverture/items/75056", params={"type_offre": "30"}).status_code == 404
    bad = fixture_http.get("/ogc/collections/couverture/items", params={"type_offre": "zz!"})
    assert bad.status_code == 422


def test_html_pages(fixture_http):
    for path in ("/ogc", "/ogc/conformance", "/ogc/api", "/ogc/collections", "/ogc/collections/offres",
                 "/ogc/collections/offres/queryables", "/ogc/collections/communes/items",
                 "/ogc/collections/communes/items/93066"):
        r = fixture_http.get(path, params={"f": "html"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), path
        assert "<script" not in r.text and 'lang="fr"' in r.text
    assert "Tuile vectorielle (MVT)" in fixture_http.get("/ogc/api", params={"f": "html"}).text
    items_page = fixture_http.get("/ogc/collections/communes/items",
                                  params={"f": "html", "departement": "93", "limit": 20, "offset": 15}).text
    assert "Saint-Denis" in items_page and 'rel="next"' in items_page and 'rel="prev"' in items_page
    negotiated = fixture_http.get("/ogc/collections", headers={"Accept": "text/html"})
    assert negotiated.headers["content-type"].startswith("text/html")
    assert negotiated.headers["cache-control"].startswith("private")  # never cached by URL for JSON clients
    escaped = fixture_http.get("/ogc/collections/communes/items",
                               params={"f": "html", "nom": "<script>alert(1)</script>"})
    assert escaped.status_code == 200 and "<script>" not in escaped.text


def test_caching_headers_and_etag(fixture_http):
    r = _get(fixture_http, "/ogc/collections/communes/items", limit=2)
    assert "public" in r.headers["cache-control"]
    again = fixture_http.get("/ogc/collections/communes/items", params={"limit": 2},
                             headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("params", [
    {"limit": "0"}, {"limit": "abc"}, {"offset": "-1"}, {"offset": "1e20"}, {"bbox": "1,2,3"},
    {"bbox": "a,b,c,d"}, {"crs": "EPSG:9999"}, {"sortby": "inconnue"}, {"properties": "inconnue"},
    {"f": "xml"}, {"filter": "nom LIKE"}, {"filter-lang": "ecql", "filter": "nom = 'a'"},
])
def test_bad_parameters_are_422(fixture_http, params):
    r = fixture_http.get("/ogc/collections/communes/items", params=params)
    assert r.status_code == 422, (params, r.status_code, r.text[:200])
    assert r.json()["code"] == "saisie_invalide"


@pytest.mark.parametrize("text", ["S_INTERSECTS(geometry, POLYGON((0 0, 1 1, 0 0)))",
                                  "S_INTERSECTS(geometry, POLYGON((0 0, 1 1, 1 0)))",
                                  "S_WITHIN(geometry, POLYGON((0 0, 1 1, 1 0, 0 1, 0 0)))"])
def test_odd_geometries_never_500(fixture_http, text):
    assert fixture_http.get("/ogc/collections/communes/items", params={"filter": text}).status_code in (200, 422)


@pytest.mark.parametrize("text", ["(" * 3000 + "nom = 'a'" + ")" * 3000, "NOT " * 4000 + "nom = 'a'",
                                  "population = " + "-" * 5000 + "1"])
def test_deep_filters_are_422_and_the_server_survives(fixture_http, text):
    # the cql2 parser is recursive: such filters used to overflow its stack and kill the process
    r = fixture_http.get("/ogc/collections/communes/items", params={"filter": text})
    assert r.status_code == 422 and "imbriqué" in r.json()["detail"]
    assert fixture_http.get("/ogc/conformance").status_code == 200


def test_huge_limit_is_capped(fixture_http):
    r = _get(fixture_http, "/ogc/collections/regions/items", limit="9223372036854775808")
    assert r.json()["numberReturned"] == 1


def test_offers_carry_their_capacity(fixture_http):
    """Installed and available capacity, their dates and sources are properties and queryables of `offres` (the
    fixture's offers have none: every one is NULL, and a filter on them is understood)."""
    q = _get(fixture_http, "/ogc/collections/offres/queryables").json()["properties"]
    for name in ("capacite", "capacite_type", "capacite_maj", "capacite_source", "capacite_disponible",
                 "capacite_disponible_maj", "disponibilite_fictive"):
        assert name in q, name
    feature = _get(fixture_http, "/ogc/collections/offres/items", limit=1).json()["features"][0]
    assert feature["properties"]["capacite"] is None and "capacite_disponible" in feature["properties"]
    none = _get(fixture_http, "/ogc/collections/offres/items", filter="capacite > 0").json()
    assert none["numberMatched"] == 0
    every = _get(fixture_http, "/ogc/collections/offres/items", filter="capacite IS NULL", limit=100).json()
    assert {f["id"] for f in every["features"]} == PUBLIC_OFFERS
