"""GIS downloads of every collection: GeoJSON, GeoPackage, FlatGeobuf (read back with GDAL) and CSV."""

from __future__ import annotations

import csv
import io

import pytest
from pyogrio import read_info

from tests.api.ogc.test_features_http import COLLECTIONS


@pytest.fixture(scope="module")
def counts(fixture_http) -> dict[str, int]:
    return {c: fixture_http.get(f"/ogc/collections/{c}/items", params={"limit": 1}).json()["numberMatched"]
            for c in COLLECTIONS}


@pytest.mark.parametrize("collection", sorted(COLLECTIONS))
def test_every_format(fixture_http, counts, collection, tmp_path):
    base = f"/ogc/collections/{collection}/download"
    geojson = fixture_http.get(base)
    assert geojson.headers["content-type"] == "application/geo+json"
    assert len(geojson.json()["features"]) == counts[collection]
    for fmt, media in (("gpkg", "application/geopackage+sqlite3"), ("fgb", "application/flatgeobuf")):
        r = fixture_http.get(base, params={"f": fmt})
        assert r.status_code == 200 and r.headers["content-type"] == media
        assert f'filename="{collection}.{fmt}"' in r.headers["content-disposition"]
        path = tmp_path / f"{collection}.{fmt}"
        path.write_bytes(r.content)
        info = read_info(path, force_feature_count=True)
        assert info["features"] == counts[collection], (collection, fmt)
    r = fixture_http.get(f"/ogc/collections/{collection}/items", params={"f": "csv"})
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == counts[collection] and "geometrie_wkt" in rows[0]


def test_download_filtered_and_lambert93(fixture_http, tmp_path):
    r = fixture_http.get("/ogc/collections/communes/download",
                         params={"f": "csv", "filter": "departement = '93'", "properties": "nom",
                                 "crs": "EPSG:2154"})
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert set(rows[0]) == {"id", "nom", "geometrie_wkt"} and len(rows) > 30
    assert rows[0]["geometrie_wkt"].startswith("MULTIPOLYGON(((6")
    assert fixture_http.get("/ogc/collections/communes/download", params={"f": "shp"}).status_code == 422
