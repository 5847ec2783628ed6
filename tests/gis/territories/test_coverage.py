"""Coverage rules on a fixture whose answers are known (tests/coverage_fixture.py)."""

from __future__ import annotations

import pytest

from gis.errors import InvalidInput, NotFound
from gis.layers import offre_detail, offres
from gis.layers.offres import Filters
from gis.territories import coverage, coverage_swap
from tests import coverage_fixture


@pytest.fixture
def ids(conn):
    return coverage_fixture.insert(conn)


def _motifs(conn, ids, insee):
    rows = conn.execute(
        "SELECT o.ror_id, cv.motif, cv.partielle FROM couverture cv JOIN offre o ON o.id = cv.offre_id "
        "WHERE cv.insee = %s AND o.id = ANY (%s) ORDER BY o.ror_id",
        (insee, list(ids.values())),
    ).fetchall()
    return {r["ror_id"]: (r["motif"], r["partielle"]) for r in rows}


def test_saint_denis(conn, ids):
    assert _motifs(conn, ids, "93066") == {
        "cov-commune": ("commune", False),
        "cov-ancien": ("ancien_code", False),
        "cov-region": ("region", False),
        "cov-sensible": ("commune", False),
        "cov-fermee": ("commune", False),
    }


def test_paris_arrondissement(conn, ids):
    assert _motifs(conn, ids, "75110") == {
        "cov-paris": ("commune_parente", False),
        "cov-arr": ("commune", False),
        "cov-region": ("region", False),
        "cov-located-paris": ("localisation", False),
    }
    # Another arrondissement: only the offers for all of Paris.
    assert set(_motifs(conn, ids, "75115")) == {"cov-paris", "cov-region"}


def test_paris_as_a_whole_is_partially_covered_by_arrondissement_offers(conn, ids):
    assert _motifs(conn, ids, "75056") == {
        "cov-paris": ("commune", False),
        "cov-arr": ("arrondissement", True),
        "cov-region": ("region", False),
        "cov-located-paris": ("localisation", True),
    }


def test_departement_and_region(conn, ids):
    assert _motifs(conn, ids, "94028") == {"cov-dep": ("departement", False), "cov-region": ("region", False)}
    n = conn.execute("SELECT count(*) AS n FROM couverture WHERE offre_id = %s", (ids["cov-dep"],)).fetchone()["n"]
    assert n == 47  # the 47 communes of Val-de-Marne
    n = conn.execute("SELECT count(*) AS n FROM couverture WHERE offre_id = %s", (ids["cov-region"],)).fetchone()["n"]
    assert n == 1286  # every IDF commune and Paris arrondissement


def test_located_only_offer_covers_its_commune_only(conn, ids):
    rows = conn.execute("SELECT insee, motif FROM couverture WHERE offre_id = %s", (ids["cov-located"],)).fetchall()
    assert rows == [{"insee": "77284", "motif": "localisation"}]


def test_polygon_needs_a_substantial_share_not_a_touch(conn, ids):
    rows = conn.execute(
        "SELECT insee FROM couverture WHERE offre_id = %s ORDER BY insee", (ids["cov-polygone"],)
    ).fetchall()
    # Bobigny is inside; Drancy is clipped (10 % < 25 %); neighbours touching Bobigny's border are not covered.
    assert [r["insee"] for r in rows] == ["93008"]


def test_unknown_codes_cover_nothing_and_are_reported(conn, ids):
    n = conn.execute("SELECT count(*) AS n FROM couverture WHERE offre_id = %s", (ids["cov-unknown"],)).fetchone()["n"]
    assert n == 0
    unresolved = [(r["ror_id"], r["code"]) for r in coverage.unresolved_zones(conn)]
    assert ("cov-unknown", "99999") in unresolved


def test_public_answer_hides_sensitive_and_closed_offers(conn, ids):
    answer = offres.covering(conn, "93066")
    names = {r["id"] for r in answer["results"]}
    assert {"cov-commune", "cov-ancien", "cov-region"} <= names
    assert "cov-sensible" not in names and "cov-fermee" not in names
    assert answer["total"] == len(answer["results"])


def test_public_answer_hides_restricted_contacts(conn, ids):
    answer = offres.covering(conn, "93066", Filters(type_offre=["30"]))
    (saad,) = [r for r in answer["results"] if r["id"] == "cov-commune"]
    assert [c["valeur"] for c in saad["contacts"]] == ["01 00 00 00 01"]
    assert saad["couverture"]["motif"] == "commune"
    assert saad["etablissement"]["finess"] == "930000001"
    assert 0 <= saad["distance_km"] < 1.0


def test_former_code_query_answers_for_the_current_commune(conn, ids):
    answer = offres.covering(conn, "93059")
    assert answer["commune"]["insee"] == "93066"
    assert answer["commune"]["code_demande"] == "93059"


def test_filters(conn, ids):
    def names(**kw):
        return {r["id"] for r in offres.covering(conn, "93066", Filters(**kw))["results"]} & set(ids)

    assert names(type_offre=["28"]) == {"cov-ancien"}
    assert names(type_offre=["28", "30"]) == {"cov-ancien", "cov-commune"}
    assert names(activite=["293"]) == {"cov-commune"}
    assert names(public=["01"]) == {"cov-commune", "cov-ancien"}
    assert names(age=30) == {"cov-commune", "cov-region"}  # the SSIAD starts at 60
    assert names(champ=["01"]) == set()


def test_malformed_filter_code_is_refused(conn, ids):
    with pytest.raises(InvalidInput, match="type_offre"):
        offres.covering(conn, "93066", Filters(type_offre=["30;drop"]))


def test_unknown_commune(conn, ids):
    with pytest.raises(NotFound):
        offres.covering(conn, "99999")


def test_detail_of_sensitive_offer_is_not_found(conn, ids):
    with pytest.raises(NotFound):
        offre_detail.detail(conn, "cov-sensible")
    detail = offre_detail.detail(conn, "cov-dep")
    assert detail["zone_intervention"][0]["code"] == "94"
    assert detail["territoire"]["features"][0]["properties"]["niveau"] == "departement"
    assert len(detail["communes_couvertes"]) == 47


def test_refresh_is_repeatable(conn, ids):
    before = conn.execute("SELECT count(*) AS n FROM couverture").fetchone()["n"]
    coverage.refresh(conn)
    coverage.refresh(conn, [ids["cov-dep"]])
    assert conn.execute("SELECT count(*) AS n FROM couverture").fetchone()["n"] == before


def _couverture_state(conn):
    rows = conn.execute("SELECT offre_id, insee, motif, partielle, distance_m FROM couverture "
                        "ORDER BY offre_id, insee").fetchall()
    indexes = conn.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'couverture' "
                           "ORDER BY indexname").fetchall()
    triggers = conn.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'couverture'::regclass "
                            "AND NOT tgisinternal ORDER BY tgname").fetchall()
    key = conn.execute("SELECT conname FROM pg_constraint WHERE conrelid = 'couverture'::regclass "
                       "AND contype = 'p'").fetchall()
    return rows, indexes, triggers, key


def test_a_large_first_load_is_written_into_a_new_table_and_swapped_in(conn, ids, monkeypatch):
    """Same rows, indexes, primary key and triggers as a refresh in place (gis.territories.coverage_swap)."""
    before = _couverture_state(conn)
    conn.execute("DELETE FROM couverture WHERE offre_id = ANY (%s)", (list(ids.values()),))
    monkeypatch.setattr(coverage_swap, "SWAP_FROM", 1)
    coverage.refresh(conn, list(ids.values()))
    assert _couverture_state(conn) == before
    coverage.refresh(conn, list(ids.values()))  # rows present: merged in place
    assert _couverture_state(conn) == before


def test_nearby(conn, ids):
    answer = offres.nearby(conn, 48.9601, 2.8776, 1.0)
    assert [r["id"] for r in answer["results"]] == ["cov-located"]
    assert answer["results"][0]["distance_km"] < 0.01
    with pytest.raises(InvalidInput):
        offres.nearby(conn, 48.9, 2.3, 0)


def _offer(conn, ror_id, zone, point=None):
    lieu = None
    if point:
        lieu = conn.execute("INSERT INTO lieu (ror_id, nom, geom, source) VALUES (%s, 'lieu', "
                            "ST_SetSRID(ST_MakePoint(%s, %s), 4326), 'test') RETURNING id",
                            (f"lieu-{ror_id}", *point)).fetchone()["id"]
    pk = conn.execute("INSERT INTO offre (ror_id, nom, type_offre, champ, source, lieu_id) "
                      "VALUES (%s, %s, '30', '04', 'test', %s) RETURNING id", (ror_id, ror_id, lieu)).fetchone()["id"]
    for type_division, code in zone:
        conn.execute("INSERT INTO zone_intervention (offre_id, type_division, code) VALUES (%s, %s, %s)",
                     (pk, type_division, code))
    coverage.refresh(conn, [pk])
    return pk


def test_a_country_zone_covers_france_only_for_france(conn):
    france = _offer(conn, "cov-france", [("5", "99100")])
    germany = _offer(conn, "cov-allemagne", [("5", "99109")])
    count = "SELECT count(*) AS n FROM couverture WHERE offre_id = %s"
    assert conn.execute(count, (france,)).fetchone()["n"] == 1286
    assert conn.execute(count, (germany,)).fetchone()["n"] == 0


def test_all_twenty_arrondissements_cover_paris_fully(conn):
    pk = _offer(conn, "cov-20-arr", [("3", f"751{i:02d}") for i in range(1, 21)])
    row = conn.execute("SELECT motif, partielle FROM couverture WHERE offre_id = %s AND insee = '75056'",
                       (pk,)).fetchone()
    assert (row["motif"], row["partielle"]) == ("arrondissements", False)
    some = _offer(conn, "cov-19-arr", [("3", f"751{i:02d}") for i in range(1, 20)])
    row = conn.execute("SELECT motif, partielle FROM couverture WHERE offre_id = %s AND insee = '75056'",
                       (some,)).fetchone()
    assert (row["motif"], row["partielle"]) == ("arrondissement", True)


def test_a_polygon_over_part_of_paris_covers_paris_in_part(conn):
    """A drawn zone over the 12e and 16e (with the two woods: about 31 % of Paris' area, above the 25 % share)
    covers those arrondissements; Paris itself only in part, through them, never « fully » by the polygon rule."""
    pk = _offer(conn, "cov-poly-paris", [])
    conn.execute("""INSERT INTO zone_polygone (offre_id, geom_l93, geom)
                    SELECT %s, ST_Multi(ST_Union(geom_l93)), ST_Multi(ST_Transform(ST_Union(geom_l93), 4326))
                      FROM geo_commune WHERE insee IN ('75112', '75116')""", (pk,))
    coverage.refresh(conn, [pk])
    rows = {r["insee"]: (r["motif"], r["partielle"]) for r in conn.execute(
        "SELECT insee, motif, partielle FROM couverture WHERE offre_id = %s AND insee LIKE '75%%'", (pk,))}
    share = conn.execute("""SELECT sum(ST_Area(geom_l93)) FILTER (WHERE insee IN ('75112', '75116'))
                                   / sum(ST_Area(geom_l93)) AS s
                              FROM geo_commune WHERE parent_insee = '75056'""").fetchone()
    assert share["s"] > coverage.POLYGON_SHARE  # the polygon rule alone would have said « Paris, fully »
    assert rows["75112"] == ("polygone", False) and rows["75116"] == ("polygone", False)
    assert rows["75056"] == ("arrondissement", True)


def test_a_paris_point_outside_every_arrondissement_goes_to_the_nearest(conn):
    # A point inside the Paris polygon but in no arrondissement polygon (made by cutting a hole in the 16e).
    conn.execute("""UPDATE geo_commune SET geom = ST_Multi(ST_Difference(geom, ST_Buffer(
                        ST_SetSRID(ST_MakePoint(2.2700, 48.8600), 4326), 0.002))) WHERE insee = '75116'""")
    pk = _offer(conn, "cov-trou", [], point=(2.2700, 48.8600))
    rows = {r["insee"]: (r["motif"], r["partielle"]) for r in conn.execute(
        "SELECT insee, motif, partielle FROM couverture WHERE offre_id = %s", (pk,))}
    assert rows == {"75116": ("localisation", False), "75056": ("localisation", True)}


def test_a_city_without_arrondissement_shapes_is_counted_once(conn):
    from gis.layers import territoires
    from gis.layers.filters import Filters

    before = territoires.coverage_by_commune(conn, Filters(type_offre=["30"]), geometry=False)
    # As for Lyon and Marseille with the 2018 file: arrondissements known, without polygons.
    conn.execute("UPDATE geo_commune SET geom = NULL WHERE parent_insee = '75056'")
    after = territoires.coverage_by_commune(conn, Filters(type_offre=["30"]), geometry=False)
    codes = {f["properties"]["insee"] for f in after["features"]}
    assert "75056" in codes and not any(c.startswith("751") for c in codes)
    assert after["resume"]["population"] == before["resume"]["population"]
    assert after["resume"]["communes"] == before["resume"]["communes"] - 20 + 1


def test_stored_distances_follow_points_that_move(fixture_db_url):
    """couverture.distance_m (migration 012) is the distance the answers sort by: written by every refresh, and kept
    true by the triggers when an establishment or an offer moves without a refresh."""
    import json

    from gis.db import connect

    stale = ("SELECT count(*) AS n FROM couverture"
             " WHERE distance_m IS DISTINCT FROM couverture_distance(offre_id, insee)")
    with connect(fixture_db_url) as conn, conn.transaction(force_rollback=True):
        coverage.refresh(conn)
        assert conn.execute(stale).fetchone()["n"] == 0
        answer = json.loads(offres.covering_json(conn, "93066"))
        far = max((r for r in answer["results"] if r["etablissement"]), key=lambda r: r["distance_km"] or 0)
        assert far["distance_km"] > 0
        conn.execute("UPDATE etablissement e SET geom = c.centre FROM geo_commune c"
                     " WHERE c.insee = '93066' AND e.finess = %s", (far["etablissement"]["finess"],))
        assert conn.execute(stale).fetchone()["n"] == 0
        moved = {r["id"]: r for r in json.loads(offres.covering_json(conn, "93066"))["results"]}
        assert moved[far["id"]]["distance_km"] == 0

        conn.execute("UPDATE offre SET etablissement_id = NULL, geom = ST_SetSRID(ST_MakePoint(2.35, 48.85), 4326)"
                     " WHERE ror_id = %s", (far["id"],))
        assert conn.execute(stale).fetchone()["n"] == 0


def test_a_full_refresh_rewrites_only_what_changed(fixture_db_url):
    """The rebuild merges: unchanged rows keep their row version (no table doubling, nothing to vacuum), the offers'
    public documents stay, and a changed zone rewrites the rows of that offer only."""
    from gis.db import connect

    def versions(conn):
        return {(r["offre_id"], r["insee"]): r["v"]
                for r in conn.execute("SELECT offre_id, insee, xmin::text AS v FROM couverture")}

    with connect(fixture_db_url) as conn:
        coverage.refresh(conn)
        before = versions(conn)
        coverage.refresh(conn)
        assert versions(conn) == before
        assert conn.execute("SELECT count(*) AS n FROM offre WHERE doc_public IS NULL").fetchone()["n"] == 0
        with conn.transaction(force_rollback=True):
            pk = conn.execute("SELECT id FROM offre WHERE ror_id = 'cov-commune'").fetchone()["id"]
            conn.execute("INSERT INTO zone_intervention (offre_id, type_division, code) VALUES (%s, '3', '93027')",
                         (pk,))
            coverage.refresh(conn)
            after = versions(conn)
            changed = {k for k in after if before.get(k) != after[k]}
            assert changed == {(pk, "93027")}
            assert set(before) - set(after) == set()


def test_coverage_summary_counts_communes_covered_by_fictitious_offers(conn):
    from gis.layers import territoires
    from gis.layers.filters import Filters

    before = territoires.coverage_by_commune(conn, Filters(type_offre=["30"]), geometry=False)["resume"]
    pk = _offer(conn, "cov-fictive", [("3", "93066"), ("3", "93008")])
    conn.execute("UPDATE offre SET fictif = true WHERE id = %s", (pk,))
    after = territoires.coverage_by_commune(conn, Filters(type_offre=["30"]), geometry=False)["resume"]
    assert after["communes_offres_fictives"] == before["communes_offres_fictives"] + 2
