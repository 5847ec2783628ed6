"""A database and a live server for the access-control tests: the coverage fixture, plus contacts of every
confidentiality level (and a malformed one) and a second EG, so that every role sees something different."""

from __future__ import annotations

import json

from gis.db import connect
from gis.tokens import create_token
from tests import coverage_fixture

PUBLIC_PHONE = "01 00 00 00 01"        # level 1 (accès libre)
RESTRICTED_PHONE = "01 22 22 22 22"    # level 2 (accès restreint)
SECRET_PHONE = "06 00 00 00 02"        # level 3 (accès très restreint)
MALFORMED_PHONE = "01 99 99 99 99"     # level "x": unknown, treated as 3
SENSITIVE_NAME = "Unité sensible Saint-Denis"
EG_IN_SCOPE = "930000001"
EG_OTHER = "930000002"

_EXTRA_CONTACTS = [
    {"nature": "coordination", "canal": "telephone", "valeur": RESTRICTED_PHONE, "confidentialite": "2"},
    {"nature": "astreinte", "canal": "telephone", "valeur": MALFORMED_PHONE, "confidentialite": "x"},
]


def insert(conn) -> None:
    """The coverage fixture, more contacts on every offer, and the DAC moved to a second EG."""
    coverage_fixture.insert(conn)
    conn.execute("UPDATE offre SET contacts = contacts || %s::jsonb", (json.dumps(_EXTRA_CONTACTS),))
    eg2 = conn.execute(
        "INSERT INTO etablissement (finess, nom, categorie, geom, source, commune_insee) VALUES "
        "(%s, 'Autre EG de test (fictif)', '460', ST_SetSRID(ST_MakePoint(2.47, 48.79), 4326), 'test', '94028')"
        " RETURNING id", (EG_OTHER,)).fetchone()["id"]
    conn.execute("UPDATE offre SET etablissement_id = %s WHERE ror_id = 'cov-dep'", (eg2,))


def make_tokens(url: str) -> dict[str, tuple[int, str]]:
    """One token per role (and a habilitated professional): name -> (id, token)."""
    specs = {
        "professionnel": {"role": "professionnel"},
        "habilite": {"role": "professionnel", "habilite_sensible": True},
        "referent": {"role": "referent", "etablissements": [EG_IN_SCOPE]},
        "administrateur": {"role": "administrateur"},
    }
    out = {}
    with connect(url) as conn:
        for name, spec in specs.items():
            out[name] = create_token(conn, nom=f"test {name}", **spec)
        conn.commit()
    return out
