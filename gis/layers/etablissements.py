"""Établissements (EG) layer: one EG with its public offers."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from gis.access import PUBLIC_VISIBILITY, Visibility
from gis.db import Conn
from gis.errors import InvalidInput, NotFound
from gis.identifiers import FINESS_RE
from gis.layers.filters import visible_offer
from gis.public_offer import OFFER_JOINS, public_doc


def check_finess(finess: str) -> str:
    """Return the upper-cased FINESS number, or raise InvalidInput (the rule of :mod:`gis.identifiers`)."""
    finess = finess.strip().upper()
    if not FINESS_RE.match(finess):
        raise InvalidInput(f"Numéro FINESS mal formé : « {finess[:20]} » (9 caractères, ex. 750000523).")
    return finess


def detail(conn: Conn, finess: str, vis: Visibility = PUBLIC_VISIBILITY) -> dict[str, Any]:
    """Return an EG by FINESS ET: identity, address, geocoding and its offers that ``vis`` may see."""
    finess = check_finess(finess)
    eg = conn.execute(
        """
        SELECT e.id AS _pk, e.finess, e.finess_ej, j.nom AS ej_nom, e.nom, e.categorie,
               n.label AS categorie_label, e.adresse, e.code_postal, e.ville, e.commune_insee,
               c.nom AS commune_nom, e.arrondissement_insee, e.telephone,
               ST_Y(e.geom) AS lat, ST_X(e.geom) AS lon, e.geocodage_source, e.geocodage_qualite,
               e.geocodage_alerte, e.date_ouverture, e.source, e.source_date, e.provenance, e.fictif
          FROM etablissement e
          LEFT JOIN entite_juridique j ON j.id = e.ej_id
          LEFT JOIN nomenclature n ON n.name = 'categorie_eg' AND n.code = e.categorie
          LEFT JOIN geo_commune c ON c.insee = e.commune_insee
         WHERE e.finess = %s
        """,
        (finess,),
    ).fetchone()
    if eg is None:
        raise NotFound(f"Aucun établissement ne porte le numéro FINESS {finess}.")
    pk = eg.pop("_pk")
    for key in ("lat", "lon"):
        if eg[key] is not None:
            eg[key] = round(eg[key], 5)
    for key in ("date_ouverture", "source_date"):
        if eg[key] is not None:
            eg[key] = eg[key].isoformat()
    query = sql.SQL("""
        SELECT ({offer})::json AS body FROM offre o {joins}
         WHERE o.etablissement_id = %s AND {public}
         ORDER BY o.nom
    """).format(offer=public_doc(vis), joins=OFFER_JOINS, public=visible_offer(vis))
    eg["offres"] = [r["body"] for r in conn.execute(query, (pk,))]
    return eg
