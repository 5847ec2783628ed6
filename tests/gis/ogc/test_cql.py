"""CQL2 text and JSON filters translated to SQL and run on the real IDF communes."""

from __future__ import annotations

import json

import pytest

from gis.errors import InvalidInput
from gis.layers.ogc import cql, features, registry
from gis.layers.ogc.features import ItemsQuery

COMMUNES = registry.get("communes")


def _ids(conn, text: str, lang: str = "cql2-text", limit: int = 10_000, coll=COMMUNES) -> list[str]:
    q = ItemsQuery(limit=limit, filter=cql.parse(text, lang), properties=[])
    _matched, _returned, feats = features.items(conn, coll, q)
    return [f["id"] for f in json.loads(feats)]


def test_comparison_and_like(conn):
    assert _ids(conn, "insee = '93066'") == ["93066"]
    assert _ids(conn, "insee = 93066") == ["93066"]  # a number compared with a text property
    paris = _ids(conn, "type = 'arrondissement-municipal' AND departement = '75'")
    assert len(paris) == 20
    saint = _ids(conn, "nom LIKE 'Saint-D%' AND departement = '93'")
    assert saint == ["93066"]
    assert _ids(conn, "CASEI(nom) = casei('SAINT-DENIS') AND departement = '93'") == ["93066"]
    assert _ids(conn, "CASEI(population) = '149077'") == ["93066"]


def test_in_between_not_or_null(conn):
    assert _ids(conn, "insee IN ('93066', '93008', '00000')") == ["93008", "93066"]
    big = _ids(conn, "population BETWEEN 100000 AND 10000000 AND type = 'commune'")
    assert "93066" in big and "75056" in big and "93008" not in big
    assert _ids(conn, "NOT (departement <> '93' OR population < 100000)") == ["93048", "93066"]  # Montreuil
    assert _ids(conn, "departement = '93' AND population > 100000 AND NOT insee IN ('93066')") == ["93048"]
    assert _ids(conn, "departement = '93' AND population > 100000 AND insee NOT IN ('93066')") == ["93048"]
    assert len(_ids(conn, "parent_insee IS NULL")) == len(_ids(conn, "type = 'commune'"))


def test_spatial_bbox_point_polygon(conn):
    # the centre of Saint-Denis's town hall is in Saint-Denis only
    assert _ids(conn, "S_INTERSECTS(geometry, POINT(2.3590 48.9362))") == ["93066"]
    inside = _ids(conn, "S_WITHIN(geometry, BBOX(2.2, 48.8, 2.5, 49.0))")
    touching = _ids(conn, "S_INTERSECTS(geometry, BBOX(2.2, 48.8, 2.5, 49.0))")
    assert set(inside) < set(touching) and "93066" in inside
    polygon = "POLYGON((2.2 48.8, 2.5 48.8, 2.5 49.0, 2.2 49.0, 2.2 48.8))"
    assert _ids(conn, f"S_WITHIN(geometry, {polygon})") == inside


def test_text_and_json_give_the_same_features(conn):
    text = "departement = '93' AND (population > 80000 OR nom LIKE 'Pantin%') AND S_INTERSECTS(geometry, " \
           "BBOX(2.2, 48.8, 2.6, 49.1))"
    as_json = json.dumps({"op": "and", "args": [
        {"op": "=", "args": [{"property": "departement"}, "93"]},
        {"op": "or", "args": [{"op": ">", "args": [{"property": "population"}, 80000]},
                              {"op": "like", "args": [{"property": "nom"}, "Pantin%"]}]},
        {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [2.2, 48.8, 2.6, 49.1]}]},
    ]})
    by_text = _ids(conn, text)
    assert by_text and by_text == _ids(conn, as_json, "cql2-json")
    assert "93055" in by_text  # Pantin


def test_filter_crs_lambert93(conn):
    q = ItemsQuery(filter=cql.parse("S_INTERSECTS(geometry, POINT(652900 6869900))"), filter_srid=2154)
    _m, _r, feats = features.items(conn, COMMUNES, q)
    assert [f["id"] for f in json.loads(feats)] == ["93066"]


def test_values_are_bound(conn):
    assert _ids(conn, "nom = 'x'' OR 1=1 --'") == []
    assert _ids(conn, "nom LIKE '%''; DROP TABLE geo_commune; --'") == []
    assert conn.execute("SELECT count(*) AS n FROM geo_commune").fetchone()["n"] > 1000


@pytest.mark.parametrize("text", [
    "inconnue = 1",                        # not a queryable
    "\"nom\"\"; DROP TABLE x; --\" = 1",  # quoted identifier trick
    "population = 'beaucoup'",             # not a number
    "nom LIKE",                            # syntax
    "nom = population",                    # properties of different types
    "T_AFTER(nom, TIMESTAMP('2020-01-01T00:00:00Z'))",  # unsupported operator
])
def test_rejected_filters(conn, text):
    with pytest.raises(InvalidInput):
        _ids(conn, text)


def test_unknown_language():
    with pytest.raises(InvalidInput):
        cql.parse("nom = 'x'", "ecql")


def test_syntax_errors_say_where_and_what_in_french():
    with pytest.raises(InvalidInput) as err:
        cql.parse("nom == 'x'", "cql2-text")
    message = err.value.message
    assert message.startswith("Filtre CQL2 invalide : erreur de syntaxe au caractère 6")
    assert "« nom =⟨ici⟩= 'x' »" in message and "un nom de propriété" in message and "-->" not in message
