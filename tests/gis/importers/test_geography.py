"""Reference geography loaded from the real IDF files: counts, merged communes, codes, validity."""

from __future__ import annotations

import json

import pytest

from gis.errors import InvalidInput
from gis.importers.geography import load_geography, plan_communes


def test_counts_match_cog_2026(conn):
    row = conn.execute(
        "SELECT count(*) FILTER (WHERE type = 'commune') AS communes, "
        "count(*) FILTER (WHERE type = 'arrondissement-municipal') AS arrondissements, "
        "count(DISTINCT departement) AS deps FROM geo_commune"
    ).fetchone()
    assert row == {"communes": 1266, "arrondissements": 20, "deps": 8}


def test_every_commune_and_arrondissement_has_a_valid_geometry(conn):
    bad = conn.execute(
        "SELECT insee FROM geo_commune WHERE geom IS NULL OR ST_IsEmpty(geom) OR NOT ST_IsValid(geom) "
        "OR geom_simple IS NULL OR NOT ST_IsValid(geom_simple) OR centre IS NULL"
    ).fetchall()
    assert bad == []
    assert conn.execute("SELECT count(*) AS n FROM geo_commune WHERE geom IS NOT NULL").fetchone()["n"] == 1286


def test_centre_lies_inside_its_commune(conn):
    outside = conn.execute("SELECT insee FROM geo_commune WHERE NOT ST_Intersects(centre, geom)").fetchall()
    assert outside == []


def test_saint_denis_includes_pierrefitte(conn):
    row = conn.execute(
        "SELECT c.geom_source, ST_Area(c.geom_l93) / 1e6 AS km2, c.population FROM geo_commune c "
        "WHERE insee = '93066'"
    ).fetchone()
    assert row["geom_source"].split(",") == ["93059", "93066"]
    # Saint-Denis (12.4 km²) + Pierrefitte-sur-Seine (3.4 km²)
    assert 15.0 < row["km2"] < 16.8
    # A point in Pierrefitte town hall area falls in the 2026 Saint-Denis.
    hit = conn.execute(
        "SELECT insee FROM geo_commune WHERE type = 'commune' AND "
        "ST_Intersects(geom, ST_SetSRID(ST_MakePoint(2.3610, 48.9650), 4326))"
    ).fetchall()
    assert hit == [{"insee": "93066"}]


@pytest.mark.parametrize(
    ("merged", "absorbed"),
    [("77433", "77028"), ("77109", "77149"), ("77504", "77399"), ("78551", "78251"),
     ("78158", "78524"), ("91228", "91182"), ("91390", "91222")],
)
def test_communes_merged_since_2018_get_the_union(conn, merged, absorbed):
    row = conn.execute("SELECT geom_source FROM geo_commune WHERE insee = %s", (merged,)).fetchone()
    assert absorbed in row["geom_source"].split(",")


def test_former_and_delegated_codes_resolve(conn):
    rows = {
        r["code"]: (r["insee"], r["kind"])
        for r in conn.execute("SELECT code, insee, kind FROM geo_commune_alias WHERE code IN "
                              "('93059', '78524', '77351', '91182')")
    }
    assert rows["93059"] == ("93066", "deleguee")
    assert rows["78524"] == ("78158", "deleguee")
    assert rows["77351"] == ("77010", "associee")
    assert rows["91182"] == ("91228", "ancien")
    # A code that is both a current commune and its own chef-lieu's delegated commune is not an alias.
    assert conn.execute("SELECT count(*) AS n FROM geo_commune_alias WHERE code = insee").fetchone()["n"] == 0


def test_paris_arrondissements_and_postcodes(conn):
    rows = conn.execute(
        "SELECT insee, parent_insee, codes_postaux, population FROM geo_commune "
        "WHERE parent_insee = '75056' ORDER BY insee"
    ).fetchall()
    assert [r["insee"] for r in rows] == [f"751{i:02d}" for i in range(1, 21)]
    by_code = {r["insee"]: r for r in rows}
    assert by_code["75116"]["codes_postaux"] == ["75016", "75116"]
    assert by_code["75110"]["codes_postaux"] == ["75010"]
    # The union of the arrondissements matches the IGN Paris polygon (IoU ≥ 0.99).
    iou = conn.execute(
        "SELECT ST_Area(ST_Intersection(a.g, p.geom_l93)) / ST_Area(ST_Union(a.g, p.geom_l93)) AS iou "
        "FROM (SELECT ST_Union(geom_l93) AS g FROM geo_commune WHERE parent_insee = '75056') a, "
        "geo_commune p WHERE p.insee = '75056'"
    ).fetchone()["iou"]
    assert iou > 0.99


def test_meaux_postcode_serves_three_communes(conn):
    rows = conn.execute(
        "SELECT insee FROM geo_commune WHERE '77100' = ANY (codes_postaux) ORDER BY insee"
    ).fetchall()
    assert [r["insee"] for r in rows] == ["77276", "77284", "77330"]


def test_epci_and_ept_membership(conn):
    row = conn.execute("SELECT epci_nom, ept_nom FROM geo_commune WHERE insee = '93066'").fetchone()
    assert row == {"epci_nom": "Métropole du Grand Paris", "ept_nom": "Plaine Commune"}
    arr = conn.execute("SELECT epci_nom FROM geo_commune WHERE insee = '75110'").fetchone()
    assert arr["epci_nom"] == "Métropole du Grand Paris"
    meaux = conn.execute("SELECT epci_nom FROM geo_commune WHERE insee = '77284'").fetchone()
    assert meaux["epci_nom"] == "CA du Pays de Meaux"


def test_departement_and_region_geometry_derived_from_communes(conn):
    deps = conn.execute(
        "SELECT code, ST_IsValid(geom) AS ok, ST_Area(ST_Transform(geom, 2154)) / 1e6 AS km2 "
        "FROM geo_departement ORDER BY code"
    ).fetchall()
    assert [d["code"] for d in deps] == ["75", "77", "78", "91", "92", "93", "94", "95"]
    assert all(d["ok"] for d in deps)
    km2 = {d["code"]: d["km2"] for d in deps}
    assert 100 < km2["75"] < 110  # Paris 105 km²
    assert 5800 < km2["77"] < 6000  # Seine-et-Marne 5,915 km²
    region = conn.execute(
        "SELECT nom, ST_Area(ST_Transform(geom, 2154)) / 1e6 AS km2 FROM geo_region WHERE code = '11'"
    ).fetchone()
    assert region["nom"] == "Île-de-France"
    assert 11900 < region["km2"] < 12200  # 12,012 km²


def test_simplified_geometry_is_lighter_and_rounded(conn):
    row = conn.execute(
        "SELECT sum(ST_NPoints(geom)) AS full, sum(ST_NPoints(geom_simple)) AS simple FROM geo_commune"
    ).fetchone()
    assert row["simple"] < row["full"] * 0.75
    text = conn.execute("SELECT ST_AsGeoJSON(geom_simple) AS g FROM geo_commune WHERE insee = '93066'").fetchone()
    coords = json.loads(text["g"])["coordinates"][0][0]
    assert all(len(str(c).split(".")[1]) <= 5 for pt in coords for c in pt)


def test_reload_is_idempotent(empty_db_factory, fetcher):
    from gis.db import connect

    url = empty_db_factory()
    with connect(url) as c:
        first = load_geography(c, fetcher, region="11")
        second = load_geography(c, fetcher, region="11")
        n = c.execute("SELECT count(*) AS n FROM geo_commune").fetchone()["n"]
        aliases = c.execute("SELECT count(*) AS n FROM geo_commune_alias").fetchone()["n"]
    assert first.as_dict()["communes"] == second.as_dict()["communes"] == 1266
    assert n == 1286
    assert aliases == first.aliases == second.aliases
    assert first.without_geometry == [] and first.invalid_geometry == []


def test_failed_load_keeps_previous_state(conn, fetcher, monkeypatch):
    import gis.importers.geography as geo

    before = conn.execute("SELECT count(*) AS n FROM geo_commune").fetchone()["n"]

    def broken(*_args, **_kwargs):
        raise InvalidInput("fichier de contours illisible")

    monkeypatch.setattr(geo, "_geometry_features", broken)
    with pytest.raises(InvalidInput):
        load_geography(conn, fetcher, region="11")
    assert conn.execute("SELECT count(*) AS n FROM geo_commune").fetchone()["n"] == before


def test_bad_region_is_refused(conn, fetcher):
    with pytest.raises(InvalidInput, match="Région invalide"):
        load_geography(conn, fetcher, region="ile-de-france")


def test_plan_communes_keeps_only_region_and_maps_aliases():
    cog = [
        {"code": "11111", "nom": "Alpha", "type": "commune-actuelle", "departement": "77", "region": "11",
         "codesPostaux": ["77000"], "population": 10, "anciensCodes": ["11112"]},
        {"code": "11112", "nom": "Beta", "type": "commune-deleguee", "chefLieu": "11111",
         "departement": "77", "region": "11"},
        {"code": "22222", "nom": "Gamma", "type": "commune-actuelle", "departement": "60", "region": "32"},
    ]
    rows, aliases = plan_communes(cog, [], [], "11")
    assert [r["insee"] for r in rows] == ["11111"]
    assert aliases == [("11112", "11111", "deleguee", "Beta")]


def test_every_former_code_resolves_to_one_commune_nationally(data_dir):
    """A code that is both a former code of one commune and a delegated (or associated) commune of another belongs
    to the latter only, so that its 2018 polygon and a zone listing it go to one commune (COG 2026, all France)."""
    from collections import defaultdict

    cog = json.loads((data_dir / "cog" / "communes.json").read_text(encoding="utf-8"))
    _rows, aliases = plan_communes(cog, [], [], "all")
    targets: dict[str, set[str]] = defaultdict(set)
    for code, insee, _kind, _nom in aliases:
        targets[code].add(insee)
    assert {code: t for code, t in targets.items() if len(t) > 1} == {}
    assert targets["60455"] == {"60694"} and targets["55273"] == {"55386"}
    assert len(aliases) > 4000


def test_areas_are_geodesic(conn):
    """Areas are measured on the ellipsoid: Paris (105.4 km², INSEE) within 1 %, and equal to PostGIS's geodesic
    area of the stored polygon."""
    row = conn.execute("SELECT area_km2, ST_Area(geom::geography) / 1e6 AS geodesic FROM geo_commune"
                       " WHERE insee = '75056'").fetchone()
    assert row["area_km2"] == pytest.approx(row["geodesic"], rel=1e-9)
    assert row["area_km2"] == pytest.approx(105.4, rel=0.01)


def test_overlapping_communes_are_reported(conn):
    """The load's overlap check: none in the loaded geography; a commune grown over its neighbours is reported."""
    from gis.importers.geography import OVERLAP_SHARE
    from gis.importers.statements import statement

    params = {"share": OVERLAP_SHARE, "all": False}
    assert conn.execute(statement("geography_overlaps"), params).fetchall() == []
    with conn.transaction(force_rollback=True):
        conn.execute("UPDATE geo_commune SET geom_l93 = ST_Multi(ST_Buffer(geom_l93, 300)) WHERE insee = '93066'")
        pairs = conn.execute(statement("geography_overlaps"), params).fetchall()
    assert pairs and all("93066" in (p["a"], p["b"]) for p in pairs)
    assert {p["a"] if p["b"] == "93066" else p["b"] for p in pairs} >= {"93027", "93001"}  # La Courneuve, Aubervilliers
