"""Management reads: an offer as its référents and the administrators see it (every contact, flags, its EG).

The caller decides who may read it (:func:`gis.access.check_can_edit_etablissement` on :func:`offer_finess`); this
module only reads.
"""

from __future__ import annotations

from typing import Any

from psycopg import sql

from gis.access import Confidentialite, Visibility
from gis.db import Conn
from gis.errors import InvalidInput, NotFound
from gis.layers.offre_detail import OFFER_ID_RE, zone
from gis.public_offer import OFFER_JOINS, offer_json

#: Everything: every contact level, sensitive units.
FULL_VISIBILITY = Visibility(Confidentialite.ACCES_TRES_RESTREINT, True)

_EXTRA = sql.SQL("""'statut', o.statut, 'source', o.source, 'derniere_maj', o.derniere_maj,
    'etablissement_finess', e.finess""")


def offer_finess(conn: Conn, offer_id: str) -> tuple[int, str | None]:
    """Return the key of an offer (any visibility) and the FINESS ET of its EG.

    Raises
    ------
    InvalidInput
        Malformed identifier.
    NotFound
        No offer has this identifier.
    """
    if not OFFER_ID_RE.match(offer_id):
        raise InvalidInput("Identifiant d'offre mal formé.")
    row = conn.execute(
        """SELECT o.id, e.finess FROM offre o LEFT JOIN etablissement e ON e.id = o.etablissement_id
            WHERE o.ror_id = %(id)s OR o.identifiant = %(id)s ORDER BY o.ror_id = %(id)s DESC LIMIT 1""",
        {"id": offer_id},
    ).fetchone()
    if row is None:
        raise NotFound(f"Aucune offre ne porte l'identifiant {offer_id}.")
    return int(row["id"]), row["finess"]


def offer_for_management(conn: Conn, pk: int) -> dict[str, Any]:
    """Return the offer ``pk`` with every contact, its sensitive flag, status and declared zone."""
    query = sql.SQL("SELECT {offer} AS body FROM offre o {joins} WHERE o.id = %s").format(
        offer=offer_json(_EXTRA, FULL_VISIBILITY), joins=OFFER_JOINS)
    row = conn.execute(query, (pk,)).fetchone()
    if row is None:
        raise NotFound("Offre introuvable.")
    out: dict[str, Any] = row["body"]
    out["zone_intervention"] = zone(conn, pk)
    return out
