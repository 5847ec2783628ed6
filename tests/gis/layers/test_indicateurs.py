"""Equipment rates and 2SFCA accessibility on a small hand-made territory, against a hand computation.

The IDF geography of the test database is replaced, inside the test's rolled-back transaction, by four square
communes on a line (centres 0, 5, 10 and 40 km apart, Lambert-93), with two offers of a type d'offre (50 places in A,
30 in C) and the same capacities on two establishments of a category. Expected values are computed here by hand
(fractions), not by the code under test.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from gis.errors import InvalidInput
from gis.layers import indicateurs as ind
from gis.layers.indicateurs_2sfca import accessibilite
from gis.layers.indicateurs_export import source_text, table
from gis.layers.indicateurs_taux import taux_equipement

X0, Y0 = 650_000, 6_860_000  # Lambert-93, somewhere in Île-de-France
# insee, name, x offset (km), population, département, EPCI, EPT
COMMUNES = [
    ("91001", "Aville", 0, 1000, "91", "E1", None),
    ("91002", "Bville", 5, 2000, "91", "E1", None),
    ("77001", "Cville", 10, 500, "77", "MGP", "T2"),
    ("77002", "Dville", 40, 3000, "77", "MGP", None),
]


@pytest.fixture
def toy(conn):
    """The hand-made territory, its establishments and offers (rolled back after the test)."""
    conn.execute("DELETE FROM geo_commune")
    for insee, nom, dx, pop, dep, epci, ept in COMMUNES:
        conn.execute(
            """INSERT INTO geo_commune (insee, nom, nom_norm, type, departement, region, population, epci_code,
                                        epci_nom, ept_code, ept_nom, geom, geom_simple, geom_l93, centre)
               SELECT %(insee)s, %(nom)s, lower(%(nom)s), 'commune', %(dep)s, '11', %(pop)s, %(epci)s,
                      'EPCI ' || %(epci)s, %(ept)s, 'EPT ' || %(ept)s, ST_Multi(ST_Transform(sq, 4326)),
                      ST_Multi(ST_Transform(sq, 4326)), ST_Multi(sq), ST_Transform(pt, 4326)
                 FROM (SELECT pt, ST_Expand(pt, 1000) AS sq
                         FROM (SELECT ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 2154) AS pt) p) s""",
            {"insee": insee, "nom": nom, "dep": dep, "pop": pop, "epci": epci, "ept": ept,
             "x": X0 + dx * 1000, "y": Y0})
    eg = {}
    for finess, insee, capacite in (("910000001", "91001", 50), ("770000001", "77001", 30),
                                    ("910000002", "91002", None)):
        eg[insee] = conn.execute(
            "INSERT INTO etablissement (finess, nom, categorie, capacite, commune_insee, geom, source) "
            "SELECT %s, 'EG test (fictif)', '500', %s, %s, centre, 'test' FROM geo_commune WHERE insee = %s "
            "RETURNING id", (finess, capacite, insee, insee)).fetchone()["id"]
    offers = [  # ror_id, EG commune, capacity, sensitive, statut
        ("o-a", "91001", 50, False, "ouverte"), ("o-c", "77001", 30, False, "ouverte"),
        ("o-b-unknown", "91002", None, False, "ouverte"),
        ("o-b-sensible", "91002", 1000, True, "ouverte"), ("o-b-fermee", "91002", 1000, False, "fermee"),
        ("o-b-temp", "91002", 1000, False, "fermee_temporairement"),
    ]
    for ror_id, insee, capacite, sensitive, statut in offers:
        conn.execute(
            "INSERT INTO offre (ror_id, nom, type_offre, capacite, unite_sensible, statut, etablissement_id, source) "
            "VALUES (%s, %s, '21', %s, %s, %s, %s, 'test')", (ror_id, ror_id, capacite, sensitive, statut, eg[insee]))
    return conn


def _by_code(result: ind.Indicator, key: str) -> dict[str, object]:
    return {f["properties"]["code"]: f["properties"][key] for f in result.features}


# --- hand computation (radius 12 km, APL-like steps: 1 up to 6 km, 2/3 up to 9 km, 1/3 up to 12 km) ----------------
# distances: A-B 5 (w 1), A-C 10 (w 1/3), B-C 5 (w 1), D is 30 km or more from everyone (w 0); A-A = C-C = 0 (w 1)
POP = {"91001": 1000, "91002": 2000, "77001": 500, "77002": 3000}
ratio_a = Fraction(50) / (1 * POP["91001"] + 1 * POP["91002"] + Fraction(1, 3) * POP["77001"])   # = 3/190
ratio_c = Fraction(30) / (Fraction(1, 3) * POP["91001"] + 1 * POP["91002"] + 1 * POP["77001"])   # = 9/850
EXPECTED_STEPS = {"91001": ratio_a + ratio_c / 3, "91002": ratio_a + ratio_c, "77001": ratio_a / 3 + ratio_c,
                  "77002": Fraction(0)}


@pytest.mark.parametrize("sel", [ind.Selection("type_offre", ("21",)), ind.Selection("categorie", ("500",))])
def test_2sfca_equals_the_hand_computation(toy, sel):
    assert (ratio_a, ratio_c) == (Fraction(3, 190), Fraction(9, 850))
    result = accessibilite(toy, sel, rayon_km=12, decroissance="paliers")
    got = _by_code(result, "accessibilite_pour_1000")
    for insee, a in EXPECTED_STEPS.items():
        assert got[insee] == pytest.approx(float(a * 1000), abs=5e-4), insee
    # every place is attributed once: sum of A_i * P_i = 80 places
    assert sum(float(EXPECTED_STEPS[i]) * POP[i] for i in POP) == pytest.approx(80)
    assert result.resume["places_attribuees"] == pytest.approx(80, abs=0.05)
    assert result.meta["methode"]["rayon_km"] == 12 and result.meta["methode"]["decroissance"] == "paliers"


def test_2sfca_gaussian_and_binary_decay(toy):
    sel = ind.Selection("type_offre", ("21",))

    def gauss(d: float, r: float = 12) -> float:
        return (math.exp(-0.5 * (d / r) ** 2) - math.exp(-0.5)) / (1 - math.exp(-0.5))

    ra = 50 / (1000 + gauss(5) * 2000 + gauss(10) * 500)
    rc = 30 / (gauss(10) * 1000 + gauss(5) * 2000 + 500)
    got = _by_code(accessibilite(toy, sel, rayon_km=12, decroissance="gaussienne"), "accessibilite_pour_1000")
    assert got["91001"] == pytest.approx((ra + gauss(10) * rc) * 1000, abs=5e-4)
    assert got["91002"] == pytest.approx((gauss(5) * ra + gauss(5) * rc) * 1000, abs=5e-4)
    assert got["77002"] == 0
    # no decay: everyone within 12 km counts fully; a 4 km radius keeps each commune alone with its places
    binary = _by_code(accessibilite(toy, sel, rayon_km=12, decroissance="aucune"), "accessibilite_pour_1000")
    assert binary["91002"] == pytest.approx((50 / 3500 + 30 / 3500) * 1000, abs=5e-4)
    alone = _by_code(accessibilite(toy, sel, rayon_km=4, decroissance="aucune"), "accessibilite_pour_1000")
    assert alone == pytest.approx({"91001": 50.0, "91002": 0, "77001": 60.0, "77002": 0}, abs=5e-4)


def test_rates_per_level(toy):
    sel = ind.Selection("type_offre", ("21",))
    communes = taux_equipement(toy, sel, "commune")
    assert _by_code(communes, "places") == {"91001": 50, "91002": 0, "77001": 30, "77002": 0}
    assert _by_code(communes, "taux_pour_1000") == {"91001": 50.0, "91002": 0, "77001": 60.0, "77002": 0}
    # sensitive, closed and temporarily closed offers are never counted; the one without capacity is reported
    assert _by_code(communes, "structures")["91002"] == 1 and _by_code(communes, "sans_capacite")["91002"] == 1
    deps = taux_equipement(toy, sel, "departement")
    assert _by_code(deps, "population") == {"91": 3000, "77": 3500}
    assert _by_code(deps, "taux_pour_1000") == {"91": round(50_000 / 3000, 2), "77": round(30_000 / 3500, 2)}
    # EPCI level: an EPCI split into EPT is shown by EPT, its member without EPT as itself
    epci = taux_equipement(toy, sel, "epci")
    assert _by_code(epci, "places") == {"E1": 50, "T2": 30, "77002": 0}
    region = taux_equipement(toy, sel, "region")
    assert region.resume["places"] == 80 and region.resume["population"] == 6500
    assert region.resume["taux_pour_1000"] == round(80_000 / 6500, 2)
    assert region.resume["sans_capacite"] == 1 and region.resume["zones"] == 1
    by_category = taux_equipement(toy, ind.Selection("categorie", ("500",)), "departement")
    assert _by_code(by_category, "places") == {"91": 50, "77": 30}
    assert _by_code(by_category, "sans_capacite") == {"91": 1, "77": 0}


def test_geojson_geometry_and_exports(toy):
    result = taux_equipement(toy, ind.Selection("type_offre", ("21",)), "epci", geometry=True)
    shapes = {f["id"]: f["geometry"]["type"] for f in result.as_geojson()["features"]}
    assert set(shapes) == {"E1", "T2", "77002"} and set(shapes.values()) <= {"Polygon", "MultiPolygon"}
    headers, cells = table(result)
    assert headers[:3] == ["Code", "Nom", "Niveau"] and len(cells) == 3
    assert "Population municipale" in source_text(result)


def test_selection_errors(conn):
    with pytest.raises(InvalidInput, match="Paramètre manquant"):
        ind.selection([], [])
    with pytest.raises(InvalidInput, match="contradictoires"):
        ind.selection(["21"], ["500"])
    with pytest.raises(InvalidInput, match="Rayon invalide"):
        accessibilite(conn, ind.selection(["21"], []), rayon_km=500)
    with pytest.raises(InvalidInput, match="Niveau inconnu"):
        taux_equipement(conn, ind.selection(["21"], []), "canton")
    with pytest.raises(InvalidInput, match="mal formé"):
        taux_equipement(conn, ind.selection(["'; DROP"], []), "commune")
