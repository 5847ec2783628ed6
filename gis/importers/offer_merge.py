"""The same unit described by the ROR (FHIR import) and by the CNSA annuaire: the ROR wins field by field.

A ROR offer and a CNSA offer describe the same unit when they belong to the same établissement, have the same
type d'offre, share a mode de prise en charge (a ROR offer without mode is taken as hébergement, 46 or 28)
and a temporalité (a ROR offer without temporalité is taken as permanent; a CNSA unit without temporalité,
such as an accueil de jour, matches any). Then:

- loading the annuaire after the ROR creates no CNSA offer: the CNSA capacity only fills a ROR offer that has
  none (:func:`absorb_cnsa_into`);
- importing the ROR after the annuaire (:func:`absorb_cnsa_offers`) fills the ROR offer's missing capacity from
  the CNSA offer and deletes the CNSA offer.

Every value taken from the annuaire keeps its provenance in ``offre.provenance`` (``{field: {source,
millesime}}``); values from the ROR carry ``{"source": "ROR"}``.
"""

from __future__ import annotations

from typing import Any

from psycopg import sql
from psycopg.types.json import Jsonb

from gis.db import Conn
from gis.importers.etablissements.sources import CNSA_MILLESIME, CNSA_SOURCE

#: ``offre.source`` of the CNSA offers: the source and its vintage, as shown to users.
CNSA_OFFER_SOURCE = f"{CNSA_SOURCE}, {CNSA_MILLESIME}"

_SAME_UNIT = sql.SQL("""
    r.etablissement_id = c.etablissement_id AND r.type_offre = c.type_offre
    AND (r.modes_pec && c.modes_pec OR (cardinality(r.modes_pec) = 0 AND c.modes_pec && '{46,28}'))
    AND (cardinality(c.temporalites) = 0 OR r.temporalites && c.temporalites
         OR (cardinality(r.temporalites) = 0 AND c.temporalites = '{02}'))
""")


def matching_ror_offer(conn: Conn, etablissement_id: int, type_offre: str, mode: str,
                       temporalite: str | None) -> int | None:
    """Return the id of a real ROR offer of the EG describing this unit, or None.

    Parameters
    ----------
    conn
        Open connection.
    etablissement_id
        The EG.
    type_offre, mode, temporalite
        The unit as the annuaire describes it (JDV_J238, TRE_R213, JDV_J30).

    Returns
    -------
    int or None
        The lowest matching offer id (an offer of another source, not fictitious).
    """
    row = conn.execute(
        sql.SQL("""SELECT r.id FROM offre r,
                   (SELECT %(eg)s::bigint AS etablissement_id, %(type)s::text AS type_offre,
                           %(modes)s::text[] AS modes_pec, %(temps)s::text[] AS temporalites) c
             WHERE NOT r.fictif AND r.source <> %(cnsa)s AND {same}
             ORDER BY r.id LIMIT 1""").format(same=_SAME_UNIT),
        {"eg": etablissement_id, "type": type_offre, "modes": [mode], "temps": [temporalite] if temporalite else [],
         "cnsa": CNSA_OFFER_SOURCE},
    ).fetchone()
    return None if row is None else int(row["id"])


def absorb_cnsa_into(conn: Conn, offre_id: int, capacite: int, capacite_type: str,
                     provenance: dict[str, Any]) -> bool:
    """Give a ROR offer without capacity the CNSA capacity (with its provenance).

    Parameters
    ----------
    conn
        Open connection.
    offre_id
        The ROR offer.
    capacite, capacite_type
        The CNSA figure and its nature (lit / place).
    provenance
        ``{source, millesime}`` of the figure.

    Returns
    -------
    bool
        True when the offer had no capacity and took this one.
    """
    return conn.execute(
        "UPDATE offre SET capacite = %s, capacite_type = %s, provenance = provenance || %s "
        "WHERE id = %s AND capacite IS NULL",
        (capacite, capacite_type, Jsonb({"capacite": provenance}), offre_id),
    ).rowcount > 0


def absorb_cnsa_offers(conn: Conn, offre_ids: list[int]) -> int:
    """After a ROR import: CNSA offers describing the same units as the ROR offers written are merged away.

    Parameters
    ----------
    conn
        Open connection, inside the import's transaction.
    offre_ids
        The offers the ROR import wrote (fictitious ones are ignored).

    Returns
    -------
    int
        Number of CNSA offers deleted.
    """
    if not offre_ids:
        return 0
    conn.execute(
        sql.SQL("""UPDATE offre r
               SET capacite = c.capacite, capacite_type = c.capacite_type,
                   provenance = r.provenance || jsonb_build_object('capacite', c.provenance -> 'capacite')
              FROM offre c
             WHERE r.id = ANY (%(ids)s) AND NOT r.fictif AND c.source = %(cnsa)s AND r.capacite IS NULL
               AND c.capacite IS NOT NULL AND {same}""").format(same=_SAME_UNIT),
        {"ids": offre_ids, "cnsa": CNSA_OFFER_SOURCE},
    )
    return conn.execute(
        sql.SQL("""DELETE FROM offre c USING offre r
             WHERE r.id = ANY (%(ids)s) AND NOT r.fictif AND r.source <> %(cnsa)s AND c.source = %(cnsa)s
               AND {same}""").format(same=_SAME_UNIT),
        {"ids": offre_ids, "cnsa": CNSA_OFFER_SOURCE},
    ).rowcount
