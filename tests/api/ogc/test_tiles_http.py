"""OGC API – Tiles: MVT tiles decoded with mapbox-vector-tile, TileJSON, tile matrix set."""

from __future__ import annotations

import math

import mapbox_vector_tile
import pytest

MVT = "application/vnd.mapbox-vector-tile"


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def _tile(http, collection, z, x, y, **params):
    r = http.get(f"/ogc/collections/{collection}/tiles/WebMercatorQuad/{z}/{x}/{y}", params=params)
    assert r.status_code == 200, r.text[:200]
    assert r.headers["content-type"] == MVT and "public" in r.headers["cache-control"] and r.headers["etag"]
    return mapbox_vector_tile.decode(r.content) if r.content else {}


def test_commune_tile_contains_saint_denis(fixture_http):
    layers = _tile(fixture_http, "communes", *tile_of(2.3590, 48.9362, 12))
    names = {f["properties"]["insee"]: f["properties"]["nom"] for f in layers["communes"]["features"]}
    assert names["93066"] == "Saint-Denis"
    low = _tile(fixture_http, "communes", *tile_of(2.3590, 48.9362, 7))  # simplified geometry at low zoom
    assert len(low["communes"]["features"]) > 300
    assert "93066" in {f["properties"]["insee"] for f in low["communes"]["features"]}


def test_offers_tile_public_only(fixture_http):
    layers = _tile(fixture_http, "offres", *tile_of(2.3590, 48.8760, 7))
    ids = {f["properties"]["id"] for f in layers["offres"]["features"]}
    assert "cov-located-paris" in ids and "cov-commune" in ids  # located at the EG of Saint-Denis
    assert not ids & {"cov-sensible", "cov-fermee"}
    assert all(f["geometry"]["type"] == "Point" for f in layers["offres"]["features"])


def test_territories_tile(fixture_http):
    layers = _tile(fixture_http, "territoires", *tile_of(2.44, 48.91, 10))  # Bobigny
    owners = {f["properties"]["offre_id"] for f in layers["territoires"]["features"]}
    assert {"cov-polygone", "cov-region"} <= owners and "cov-sensible" not in owners


def test_coverage_choropleth_tile(fixture_http):
    layers = _tile(fixture_http, "couverture", *tile_of(2.3590, 48.9362, 11), type_offre="30")
    counts = {f["properties"]["insee"]: f["properties"]["offres"] for f in layers["couverture"]["features"]}
    assert counts["93066"] == 1
    filtered = _tile(fixture_http, "couverture", *tile_of(2.3590, 48.9362, 11), type_offre="30",
                     filter="offres > 0")
    assert {f["properties"]["insee"] for f in filtered["couverture"]["features"]} == {"93066"}


def test_tile_properties_subset(fixture_http):
    layers = _tile(fixture_http, "territoires", *tile_of(2.44, 48.91, 10), properties="offre_id,niveau")
    assert all(set(f["properties"]) == {"id", "offre_id", "niveau"} for f in layers["territoires"]["features"])


def test_empty_tile(fixture_http):
    assert _tile(fixture_http, "etablissements", 10, 0, 0) == {}


def test_tilejson_and_tileset(fixture_http):
    tj = fixture_http.get("/ogc/collections/couverture/tiles/WebMercatorQuad/tilejson.json",
                          params={"type_offre": "30"}).json()
    assert tj["tilejson"] == "3.0.0" and tj["vector_layers"][0]["id"] == "couverture"
    assert tj["tiles"][0].endswith("/ogc/collections/couverture/tiles/WebMercatorQuad/{z}/{x}/{y}?type_offre=30")
    assert "offres" in tj["vector_layers"][0]["fields"]
    ts = fixture_http.get("/ogc/collections/communes/tiles/WebMercatorQuad").json()
    assert any(link["rel"] == "item" and link.get("templated") for link in ts["links"])
    sets = fixture_http.get("/ogc/collections/communes/tiles").json()["tilesets"]
    assert sets[0]["dataType"] == "vector"
    tms = fixture_http.get("/ogc/tileMatrixSets/WebMercatorQuad").json()
    assert tms["tileMatrices"][12]["matrixWidth"] == 4096
    assert fixture_http.get("/ogc/tileMatrixSets").json()["tileMatrixSets"][0]["id"] == "WebMercatorQuad"


def test_tile_etag_304(fixture_http):
    path = "/ogc/collections/communes/tiles/WebMercatorQuad/10/518/352"
    first = fixture_http.get(path)
    again = fixture_http.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("path,status", [
    ("/ogc/collections/communes/tiles/WebMercatorQuad/10/1024/0", 404),
    ("/ogc/collections/communes/tiles/WebMercatorQuad/23/0/0", 404),
    ("/ogc/collections/communes/tiles/WorldCRS84Quad/1/0/0", 404),
    ("/ogc/collections/communes/tiles/WebMercatorQuad/a/0/0", 422),
    ("/ogc/collections/inconnue/tiles/WebMercatorQuad/1/0/0", 404),
])
def test_bad_tiles(fixture_http, path, status):
    assert fixture_http.get(path).status_code == status
