"""FICTITIOUS availability (*Disponibilités*) for the demonstration, labelled as such everywhere it is shown.

No open data gives the places available now. For the demo, every public offer of a type with places (hébergement
and accueil of older people: types d'offre 21, 22, 23, 24, 26, 249) that has no real availability gets an invented
figure, drawn from a generator seeded by the seed and the offer's id (so a reload gives the same figures): about
two offers in three get 0 to 6 places, dated between 20 minutes and 12 days before the load — about one in four
older than the default 72 h delay, to show stale figures. Every figure is flagged ``disponibilite_fictive`` and its
provenance says "Données fictives de démonstration"; a real figure (ROR) is never touched.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from psycopg.types.json import Jsonb

from gis.db import Conn
from gis.demo.resources import DEMO_LABEL, offer_rng
from gis.public_offer import fill_docs_sql

#: Types d'offre (JDV_J238) of units with places that get a fictitious availability.
TYPES_WITH_PLACES = ("21", "22", "23", "24", "26", "249")
PROVENANCE = {"source": DEMO_LABEL, "millesime": "fictif"}


def assign_demo_availability(conn: Conn, *, seed: int, now: datetime | None = None) -> int:
    """Give the offers with places and no real availability a fictitious, deterministic one.

    Parameters
    ----------
    conn
        Open connection (its own transaction is used).
    seed
        The demo seed.
    now
        Reference time of the dates (default: now, UTC).

    Returns
    -------
    int
        Offers given a fictitious figure (others of the kind have theirs cleared).
    """
    now = now or datetime.now(UTC)
    with conn.transaction():
        rows = conn.execute(
            "SELECT id, ror_id FROM offre WHERE type_offre = ANY (%s) "
            "AND (capacite_disponible IS NULL OR disponibilite_fictive) ORDER BY ror_id",
            (list(TYPES_WITH_PLACES),),
        ).fetchall()
        values: list[tuple[int | None, datetime | None, bool, int]] = []
        for r in rows:
            rng = offer_rng(seed, f"disponibilite:{r['ror_id']}")
            if rng.random() < 0.35:
                values.append((None, None, False, r["id"]))
                continue
            places = rng.randint(0, 6)
            hours = rng.uniform(0.35, 60) if rng.random() < 0.75 else rng.uniform(80, 290)
            values.append((places, now - timedelta(hours=round(hours, 2)), True, r["id"]))
        with conn.cursor() as cur:
            cur.executemany(
                "UPDATE offre SET capacite_disponible = %s, capacite_disponible_maj = %s, disponibilite_fictive = %s, "
                "provenance = CASE WHEN %s THEN provenance || %s ELSE provenance - 'capacite_disponible' END "
                "WHERE id = %s",
                [(p, m, f, f, Jsonb({"capacite_disponible": PROVENANCE}), i) for p, m, f, i in values],
            )
        conn.execute(fill_docs_sql())
    return sum(1 for v in values if v[2])
