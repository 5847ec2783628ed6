"""Real OGC clients against the live server: GDAL's OAPIF driver (ogrinfo, ogr2ogr), OWSLib; and CQL2
filters that give the same features as the custom /api/v1 endpoints."""

from __future__ import annotations

import shutil
import subprocess

import psycopg
import pytest
from owslib.ogcapi.features import Features
from pyogrio import list_layers, read_info

from tests.api.ogc.test_features_http import COLLECTIONS


def _gdal(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} not found: install Debian's gdal-bin (scripts/bootstrap.sh --with-browser)")
    return path


def _expected_counts(http) -> dict[str, int]:
    return {c: http.get(f"/ogc/collections/{c}/items", params={"limit": 1}).json()["numberMatched"]
            for c in COLLECTIONS}


def test_counts_match_the_database(fixture_http, fixture_db_url):
    counts = _expected_counts(fixture_http)
    with psycopg.connect(fixture_db_url) as conn:
        def one(q: str) -> int:
            return conn.execute(q).fetchone()[0]
        assert counts["communes"] == one("SELECT count(*) FROM geo_commune")
        assert counts["departements"] == one("SELECT count(*) FROM geo_departement") == 8
        assert counts["regions"] == 1
        assert counts["etablissements"] == one("SELECT count(*) FROM etablissement")
        assert counts["offres"] == one("SELECT count(*) FROM offre WHERE NOT unite_sensible AND statut <> 'fermee'")
        assert counts["couverture"] == counts["communes"] - 1  # Paris by its arrondissements


def test_ogrinfo_lists_every_collection(fixture_server):
    out = subprocess.run([_gdal("ogrinfo"), "-ro", "-so", f"OAPIF:{fixture_server.url}/ogc"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    for collection in COLLECTIONS:
        assert f": {collection} (" in out, out


def test_ogr2ogr_copies_every_collection_to_geopackage(fixture_server, fixture_http, tmp_path):
    expected = _expected_counts(fixture_http)
    target = tmp_path / "ror-gis.gpkg"
    subprocess.run([_gdal("ogr2ogr"), "-f", "GPKG", str(target), f"OAPIF:{fixture_server.url}/ogc",
                    "-oo", "PAGE_SIZE=1000"], capture_output=True, text=True, timeout=600, check=True)
    layers = {name for name, _geom in list_layers(target)}
    assert layers == COLLECTIONS
    for name in COLLECTIONS:
        info = read_info(target, layer=name, force_feature_count=True)
        assert info["features"] == expected[name], name
    communes = read_info(target, layer="communes")
    assert {"insee", "nom", "type", "population"} <= set(communes["fields"])
    assert communes["crs"] in ("EPSG:4326", "OGC:CRS84")


def test_owslib_pages_through_a_collection(fixture_server):
    api = Features(f"{fixture_server.url}/ogc/")
    assert {c["id"] for c in api.collections()["collections"]} == COLLECTIONS
    assert "insee" in api.collection_queryables("communes")["properties"]
    seen: list[str] = []
    offset = 0
    while True:
        page = api.collection_items("communes", limit=10, offset=offset, filter="departement = '93'")
        seen += [f["id"] for f in page["features"]]
        if offset + page["numberReturned"] >= page["numberMatched"]:
            break
        offset += 10
    assert len(seen) == len(set(seen)) == page["numberMatched"] > 30
    assert offset >= 30  # four pages at least
    assert api.collection_item("communes", "93066")["properties"]["nom"] == "Saint-Denis"


def test_cql2_filter_equals_custom_endpoint_offers_of_an_eg(fixture_http):
    custom = fixture_http.get("/api/v1/etablissements/930000001").json()
    ogc = fixture_http.get("/ogc/collections/offres/items",
                           params={"filter": "etablissement_finess = '930000001'", "limit": 1000}).json()
    assert {o["id"] for o in custom["offres"]} == {f["id"] for f in ogc["features"]}
    assert len(ogc["features"]) == 10


def test_cql2_filter_equals_custom_endpoint_coverage(fixture_http):
    for insee in ("93066", "75110", "94028"):
        custom = fixture_http.get(f"/api/v1/communes/{insee}/services").json()
        ogc = fixture_http.get("/ogc/collections/couverture/items",
                               params={"filter": f"insee = '{insee}'"}).json()
        assert ogc["features"][0]["properties"]["offres"] == custom["total"], insee
