"""Geography outside Île-de-France: Lyon's arrondissements and the communes restored since 2018, with and without
their optional contour sources (région 84, Auvergne-Rhône-Alpes, on the real COG 2026 and IGN 2018 polygons of the
Cantal and the Rhône).

The optional contour files are not in the shared data. The test writes SYNTHETIC stand-ins, cut from the real 2018
polygons with PostGIS: nine strips of Lyon for its arrondissements, and a piece of Neussargues-Moissac (15141) for
Celles (15031). They check the mechanism (a contour given to a commune is taken out of the one that held it, nothing
counted twice), not the real boundaries.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from gis.db import Conn, connect
from gis.importers.geocoding import locate_etablissements
from gis.importers.geography import GeographySummary, load_geography
from gis.sources import Fetcher

KEEP = ("15", "69")  # départements whose 2018 polygons the test data dir keeps


def _features(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["features"]


def _collection(features: list[dict]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": features})


def _synthetic(conn: Conn, polygons: dict[str, dict]) -> tuple[list[dict], list[dict]]:
    """Nine vertical strips of Lyon (69381…69389) and the western third of 15141 as Celles (15031)."""
    lyon = json.dumps(polygons["69123"]["geometry"])
    strips = conn.execute(
        "WITH g AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326) AS g), b AS (SELECT ST_Envelope(g) AS e FROM g) "
        "SELECT i, ST_AsGeoJSON(ST_Intersection(g.g, ST_MakeEnvelope("
        "  ST_XMin(b.e) + (ST_XMax(b.e) - ST_XMin(b.e)) * (i - 1) / 9, ST_YMin(b.e) - 0.01,"
        "  ST_XMin(b.e) + (ST_XMax(b.e) - ST_XMin(b.e)) * i / 9, ST_YMax(b.e) + 0.01, 4326)), 6) AS geo "
        "FROM g, b, generate_series(1, 9) i ORDER BY i", (lyon,)).fetchall()
    arrondissements = [{"type": "Feature", "properties": {"code": f"6938{r['i']}", "nom": f"Lyon {r['i']} (essai)"},
                        "geometry": json.loads(r["geo"])} for r in strips]
    piece = conn.execute(
        "WITH g AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326) AS g) "
        "SELECT ST_AsGeoJSON(ST_Intersection(g, ST_MakeEnvelope(ST_XMin(g) - 0.01, ST_YMin(g) - 0.01,"
        "  ST_XMin(g) + (ST_XMax(g) - ST_XMin(g)) / 3, ST_YMax(g) + 0.01, 4326)), 6) AS geo FROM g",
        (json.dumps(polygons["15141"]["geometry"]),)).fetchone()["geo"]
    restored = [{"type": "Feature", "properties": {"code": "15031", "nom": "Celles (essai)"},
                 "geometry": json.loads(piece)}]
    return arrondissements, restored


@pytest.fixture(scope="module")
def loads(data_dir: Path, empty_db_factory, tmp_path_factory) -> Iterator[dict[str, tuple[str, GeographySummary]]]:
    root = tmp_path_factory.mktemp("data-r84")
    for folder in ("cog", "paris-arrondissements"):
        (root / folder).symlink_to(data_dir / folder)
    (root / "communes").mkdir()
    national = _features(data_dir / "communes" / "communes-france-2018-fusion-departements.geojson")
    kept = [f for f in national if f["properties"]["code"][:2] in KEEP]
    (root / "communes" / "communes-france-2018-fusion-departements.geojson").write_text(_collection(kept))
    polygons = {f["properties"]["code"]: f for f in kept}

    out = {}
    without = empty_db_factory()
    with connect(without) as conn:
        out["sans"] = (without, load_geography(conn, Fetcher(root, root / "cache", allow_download=False), region="84"))
        arrondissements, restored = _synthetic(conn, polygons)
    (root / "communes" / "arrondissements-municipaux-lyon-marseille.geojson").write_text(_collection(arrondissements))
    (root / "communes" / "communes-retablies-depuis-2018.geojson").write_text(_collection(restored))
    with_sources = empty_db_factory()
    with connect(with_sources) as conn:
        out["avec"] = (with_sources, load_geography(conn, Fetcher(root, root / "cache", allow_download=False),
                                                    region="84"))
    out["polygons"] = polygons  # type: ignore[assignment]
    yield out


def test_without_the_optional_sources_the_load_says_what_is_missing(loads):
    url, summary = loads["sans"]
    missing = [w for w in summary.warnings if w.startswith("Source facultative absente")]
    assert len(missing) == 2
    assert any("15035 Chalinargues, rétablie depuis 2018" in w and "15141" in w for w in summary.warnings)
    assert {c.split()[0] for c in summary.without_geometry if c[:2] in KEEP} == {
        "15031", "15035", "15047", "15171", *(f"6938{i}" for i in range(1, 10))}
    with connect(url) as conn:
        rows = conn.execute("SELECT insee, contour FROM geo_commune_retablie ORDER BY insee").fetchall()
        assert [(r["insee"], r["contour"]) for r in rows] == [
            ("15031", False), ("15035", False), ("15047", False), ("15171", False)]
        # a point in 15141 may lie in a restored commune: the geocoding says so
        eg = conn.execute(
            "INSERT INTO etablissement (nom, source, geom) SELECT 'EG de test', 'test', ST_PointOnSurface(geom)"
            " FROM geo_commune WHERE insee = '15141' RETURNING id").fetchone()["id"]
        counts = locate_etablissements(conn, [eg])
        alert = conn.execute("SELECT geocodage_alerte FROM etablissement WHERE id = %s", (eg,)).fetchone()
        assert counts["alerte_commune_retablie"] == 1
        assert "15035 Chalinargues" in alert["geocodage_alerte"] and "commune à vérifier" in alert["geocodage_alerte"]


def test_a_restored_contour_is_taken_out_of_the_commune_that_held_it(loads):
    url, summary = loads["avec"]
    assert not any("Source facultative absente" in w for w in summary.warnings)
    assert not any("se chevauchent" in w or "attribué à plusieurs" in w for w in summary.warnings)
    with connect(url) as conn:
        row = conn.execute(
            "SELECT r.area_km2 AS celles, c.area_km2 AS reste,"
            " ST_Area(ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326)::geography) / 1e6 AS avant,"
            " ST_Area(ST_Intersection(r.geom, c.geom)::geography) AS commun_m2"
            " FROM geo_commune r, geo_commune c WHERE r.insee = '15031' AND c.insee = '15141'",
            (json.dumps(loads["polygons"]["15141"]["geometry"]),)).fetchone()
        assert row["celles"] > 1 and row["reste"] > 1
        assert row["celles"] + row["reste"] == pytest.approx(row["avant"], rel=0.005)  # nothing counted twice
        assert row["commun_m2"] < 1000
        assert conn.execute("SELECT contour FROM geo_commune_retablie WHERE insee = '15031'").fetchone()["contour"]
        assert sum("rétablie depuis 2018, n'a pas de contour" in w for w in summary.warnings) == 3


def test_lyon_arrondissements_get_their_contours_and_the_city_counts_once(loads):
    url, summary = loads["avec"]
    assert not any(c.startswith("6938") for c in summary.without_geometry)
    with connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE geom IS NOT NULL) AS n, sum(area_km2) AS aire,"
            " (SELECT area_km2 FROM geo_commune WHERE insee = '69123') AS ville"
            " FROM geo_commune WHERE parent_insee = '69123'").fetchone()
        assert row["n"] == 9 and row["aire"] == pytest.approx(row["ville"], rel=0.005)
        population = conn.execute("SELECT sum(population) AS p FROM geo_commune WHERE departement = '69'"
                                  " AND type = 'commune'").fetchone()["p"]
        with_arr = conn.execute("SELECT sum(population) AS p FROM geo_commune WHERE departement = '69'"
                                ).fetchone()["p"]
        assert with_arr > population  # arrondissements are rows of their own; sums must take type = 'commune'
