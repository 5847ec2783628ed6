"""Offers with known availability for the availability tests (API and page): inserted with plain SQL, dated
relative to the time the tests start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg

NOW = datetime.now(UTC)
# (ror_id, name, type d'offre, lon, lat, places, age in hours (None: undated), fictive, sensitive)
OFFERS = [
    ("dispo-proche", "EHPAD proche (test)", "21", 2.3600, 48.9360, 3, 2.5, False, False),    # Saint-Denis
    ("dispo-perimee", "EHPAD ancien chiffre (test)", "21", 2.3900, 48.9100, 5, 100, False, False),  # Aubervilliers
    ("dispo-fictive", "EHPAD fictif (test)", "21", 2.4400, 48.9030, 2, 0.5, True, False),  # Bobigny
    ("dispo-zero", "EHPAD complet (test)", "21", 2.3610, 48.9370, 0, 1, False, False),
    ("dispo-autre-type", "Résidence autonomie (test)", "22", 2.3620, 48.9380, 4, 1, False, False),
    ("dispo-sensible", "Unité sensible (test)", "21", 2.3630, 48.9390, 6, 1, False, True),
    ("dispo-loin", "EHPAD de Meaux (test)", "21", 2.8776, 48.9601, 7, 1, False, False),
    ("dispo-sans-date", "EHPAD sans date (test)", "21", 2.3800, 48.9200, 1, None, False, False),
]


def insert(conn: psycopg.Connection) -> None:
    for n, (rid, nom, typ, lon, lat, places, age, fictive, sensitive) in enumerate(OFFERS):
        eg = conn.execute(
            "INSERT INTO etablissement (finess, nom, categorie, geom, source) VALUES (%s, %s, '500', "
            "ST_SetSRID(ST_MakePoint(%s, %s), 4326), 'test') RETURNING id",
            (f"93009{n:04d}", f"EG {nom}", lon, lat)).fetchone()["id"]
        conn.execute(
            "INSERT INTO offre (ror_id, nom, type_offre, etablissement_id, source, unite_sensible, capacite, "
            "capacite_type, capacite_disponible, capacite_disponible_maj, disponibilite_fictive) "
            "VALUES (%s, %s, %s, %s, 'test', %s, 80, 'place', %s, %s, %s)",
            (rid, nom, typ, eg, sensitive, places, None if age is None else NOW - timedelta(hours=age), fictive))
