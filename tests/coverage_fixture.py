"""A small set of offers whose coverage answers are known for every rule (see gis.territories.coverage).

Inserted with plain SQL so that the coverage engine is tested independently of the importers.
"""

from __future__ import annotations

import psycopg

from gis.territories import coverage

# (ror_id, nom, type_offre, zone [(type_division, code)], located in (lon, lat) or None, sensitive, statut)
OFFERS = [
    ("cov-commune", "SAAD zone Saint-Denis", "30", [("3", "93066")], None, False, "ouverte"),
    ("cov-ancien", "SSIAD zone Pierrefitte (ancien code)", "28", [("3", "93059")], None, False, "ouverte"),
    ("cov-paris", "Équipe mobile zone Paris", "78", [("3", "75056")], None, False, "ouverte"),
    ("cov-arr", "SAAD zone Paris 10e", "30", [("3", "75110")], None, False, "ouverte"),
    ("cov-dep", "DAC Val-de-Marne", "178", [("2", "94")], None, False, "ouverte"),
    ("cov-region", "Équipe régionale", "244", [("1", "11")], None, False, "ouverte"),
    ("cov-located", "EHPAD de Meaux (sans zone)", "21", [], (2.8776, 48.9601), False, "ouverte"),
    ("cov-located-paris", "CMP Paris 10e (sans zone)", "21", [], (2.3590, 48.8760), False, "ouverte"),
    ("cov-sensible", "Unité sensible Saint-Denis", "30", [("3", "93066")], None, True, "ouverte"),
    ("cov-fermee", "Service fermé Saint-Denis", "30", [("3", "93066")], None, False, "fermee"),
    ("cov-polygone", "Équipe à territoire libre", "77", [], None, False, "ouverte"),
    ("cov-unknown", "Zone avec code inconnu", "30", [("3", "99999")], None, False, "ouverte"),
]

# The free-form polygon: all of Bobigny (93008) plus a disc covering ~10 % of Drancy (93029).
POLYGON_SQL = """
SELECT ST_Multi(ST_Union(b.geom_l93, ST_Buffer(ST_Transform(d.centre, 2154),
       sqrt(0.10 * ST_Area(d.geom_l93) / pi())))) AS g
  FROM geo_commune b, geo_commune d WHERE b.insee = '93008' AND d.insee = '93029'
"""


def insert(conn: psycopg.Connection) -> dict[str, int]:
    """Insert the fixture offers (with one EG) and compute their coverage. Returns ror_id -> pk."""
    eg = conn.execute(
        "INSERT INTO etablissement (finess, nom, categorie, geom, source, commune_insee) "
        "VALUES ('930000001', 'EG de test (fictif)', '460', ST_SetSRID(ST_MakePoint(2.3600, 48.9360), 4326), "
        "'test', '93066') RETURNING id"
    ).fetchone()["id"]
    ids: dict[str, int] = {}
    for ror_id, nom, type_offre, zone, point, sensitive, statut in OFFERS:
        lieu = None
        if point:
            lieu = conn.execute(
                "INSERT INTO lieu (ror_id, nom, geom, source) VALUES (%s, %s, "
                "ST_SetSRID(ST_MakePoint(%s, %s), 4326), 'test') RETURNING id",
                (f"lieu-{ror_id}", nom, point[0], point[1]),
            ).fetchone()["id"]
        pk = conn.execute(
            "INSERT INTO offre (ror_id, nom, type_offre, champ, unite_sensible, statut, etablissement_id, lieu_id, "
            "source, activites, publics, age_min, age_max, contacts) VALUES "
            "(%s, %s, %s, '04', %s, %s, %s, %s, 'test', %s, %s, %s, %s, %s) RETURNING id",
            (
                ror_id, nom, type_offre, sensitive, statut, eg, lieu,
                ["293"] if type_offre == "30" else [], ["01"] if type_offre in ("28", "30") else [],
                60 if type_offre == "28" else 0, 120,
                '[{"nature": "accueil", "canal": "telephone", "valeur": "01 00 00 00 01", "confidentialite": "1"},'
                ' {"nature": "direction", "canal": "telephone", "valeur": "06 00 00 00 02", "confidentialite": "3"}]',
            ),
        ).fetchone()["id"]
        ids[ror_id] = pk
        for type_division, code in zone:
            conn.execute(
                "INSERT INTO zone_intervention (offre_id, type_division, code) VALUES (%s, %s, %s)",
                (pk, type_division, code),
            )
    poly = conn.execute(POLYGON_SQL).fetchone()["g"]
    conn.execute(
        "INSERT INTO zone_polygone (offre_id, geom_l93, geom) VALUES (%s, %s, ST_Transform(%s::geometry, 4326))",
        (ids["cov-polygone"], poly, poly),
    )
    coverage.refresh(conn, list(ids.values()))
    return ids
