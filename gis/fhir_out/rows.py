"""SQL reading the rows the FHIR resources are built from (one statement per resource type and page).

Identifiers: an offer, a Location and an organisation interne are exposed by their ``ror_id``; an
établissement (EG) by its ``ror_id``, else ``eg-<FINESS>`` (``eg-<pk>`` without FINESS); an entité
juridique by its ``ror_id``, else ``ej-<FINESS>`` (``ej-<pk>``).
"""

from __future__ import annotations

from typing import Any

from psycopg import sql

from gis.access import PUBLIC_VISIBILITY, Visibility
from gis.db import Conn
from gis.layers.filters import visible_offer
from gis.public_offer import contacts_sql

EG_ID = sql.SQL("coalesce(e.ror_id, 'eg-' || coalesce(e.finess, e.id::text))")
EJ_ID = sql.SQL("coalesce(j.ror_id, 'ej-' || coalesce(j.finess, j.id::text))")
#: meta.lastUpdated of an offer: its newest change, or that of its place or organisations.
OFFER_UPDATED = sql.SQL("greatest(o.updated_at, l.updated_at, e.updated_at, oi.updated_at)")
#: The current commune of a code (itself, else the most populous commune it is a former code of).
CURRENT_COMMUNE = sql.SQL("""coalesce((SELECT insee FROM geo_commune WHERE insee = {c}),
    (SELECT a.insee FROM geo_commune_alias a JOIN geo_commune x ON x.insee = a.insee WHERE a.code = {c}
      ORDER BY x.population DESC NULLS LAST, a.insee LIMIT 1))""")
#: An offer published with a Location derived from it (gis.capacity): it has a capacity, and no place of its own or a
#: place without capacity lines (a ROR offer that kept the figure of the CNSA unit it replaced). Needs ``l``.
DERIVED_PLACE = sql.SQL("((o.lieu_id IS NULL OR l.capacites = '[]'::jsonb) "
                        "AND (o.capacite IS NOT NULL OR o.capacite_disponible IS NOT NULL))")
#: The Location derived from an offer (gis.fhir_out.derived): its logical id, point, commune (the EG's arrondissement
#: when it has one, as a ROR place of Paris declares it) and postcode. Need ``o`` and ``e``.
DERIVED_ID = sql.SQL("('offre-' || o.ror_id || '-lieu')")
DERIVED_GEOM = sql.SQL("coalesce(o.geom, e.geom)")
DERIVED_COG = sql.SQL("coalesce(e.arrondissement_insee, e.commune_insee, e.commune_declaree)")
DERIVED_POSTCODE = sql.SQL("e.code_postal")


def when_derived(expr: sql.Composable) -> sql.Composable:
    """Return ``expr`` for an offer published with a derived Location, else NULL (needs ``o``, ``l``, ``e``)."""
    return sql.SQL("(CASE WHEN {} THEN {} END)").format(DERIVED_PLACE, expr)


OFFER_FROM = sql.SQL("""offre o
    LEFT JOIN lieu l ON l.id = o.lieu_id
    LEFT JOIN etablissement e ON e.id = o.etablissement_id
    LEFT JOIN organisation_interne oi ON oi.id = o.oi_id""")

_OFFERS = sql.SQL("""
SELECT o.id, o.ror_id, o.identifiant, o.nom, o.type_offre, o.champ, o.activites, o.familles, o.modes_pec,
       o.publics, o.modalites_accueil, o.temporalites, o.actes, o.specialisations, o.age_min, o.age_max,
       o.statut, o.date_fermeture, o.date_reouverture, o.horaires, o.fictif,
       coalesce(o.unite_sensible, true) AS unite_sensible,
       {contacts} AS contacts,
       l.ror_id AS lieu_id, l.id AS lieu_pk,
       CASE WHEN oi.id IS NOT NULL THEN oi.ror_id WHEN e.id IS NOT NULL THEN {eg_id} END AS provider_id,
       oi.id AS oi_pk, e.id AS eg_pk,
       (SELECT coalesce(json_agg(json_build_array(z.type_division, z.code) ORDER BY z.type_division, z.code), '[]')
          FROM zone_intervention z WHERE z.offre_id = o.id) AS zones,
       (SELECT ST_AsGeoJSON(p.geom, 9) FROM zone_polygone p WHERE p.offre_id = o.id) AS polygone,
       {updated} AS last_updated,
       {derived} AS lieu_derive
  FROM {offer_from}
 WHERE o.id = ANY (%(ids)s) AND {public}
""")



def visible_lieu(vis: Visibility = PUBLIC_VISIBILITY) -> sql.Composable:
    """Return the SQL condition on place ``l``: used by an offer that ``vis`` may see."""
    return sql.SQL("EXISTS (SELECT 1 FROM offre o WHERE o.lieu_id = l.id AND {})").format(visible_offer(vis))


_LOCATIONS = sql.SQL("""
SELECT l.id, l.ror_id, l.nom, l.adresse, l.code_postal, l.ville, l.statut, l.updated_at AS last_updated,
       l.capacites,
       coalesce(l.commune_cog, l.commune_insee) AS cog,
       ST_Y(l.geom) AS lat, ST_X(l.geom) AS lon
  FROM lieu l
 WHERE {cond} AND {public}
""")

# Organisations internes reachable from a visible offer (the OI of the offer and its ancestors).
_VISIBLE_OI_SQL = sql.SQL("""
WITH RECURSIVE vis AS (
    SELECT oi.id, oi.parent_id FROM organisation_interne oi
     WHERE EXISTS (SELECT 1 FROM offre o WHERE o.oi_id = oi.id AND {public})
    UNION
    SELECT p.id, p.parent_id FROM organisation_interne p JOIN vis ON vis.parent_id = p.id
)""")


def visible_oi(vis: Visibility = PUBLIC_VISIBILITY) -> sql.Composable:
    """Return the ``WITH RECURSIVE vis`` of the organisations internes reachable from an offer ``vis`` may see."""
    return _VISIBLE_OI_SQL.format(public=visible_offer(vis))


_OIS = sql.SQL("""{visible}
SELECT oi.id, oi.ror_id AS fhir_id, oi.nom, oi.type_oi, oi.updated_at AS last_updated,
       coalesce(p.ror_id, {eg_id}) AS part_of
  FROM organisation_interne oi
  LEFT JOIN organisation_interne p ON p.id = oi.parent_id
  LEFT JOIN etablissement e ON e.id = oi.etablissement_id
 WHERE oi.id IN (SELECT id FROM vis) AND {cond}
""")

_EGS = sql.SQL("""
SELECT e.id, {eg_id} AS fhir_id, e.finess, e.nom, e.categorie, e.adresse, e.code_postal, e.ville,
       e.commune_declaree, e.telephone, e.date_ouverture, e.updated_at AS last_updated,
       ST_Y(e.geom) AS lat, ST_X(e.geom) AS lon, CASE WHEN j.id IS NOT NULL THEN {ej_id} END AS part_of
  FROM etablissement e LEFT JOIN entite_juridique j ON j.id = e.ej_id
 WHERE {cond}
""")

_EJS = sql.SQL("""
SELECT j.id, {ej_id} AS fhir_id, j.finess, j.nom, j.statut_juridique, j.updated_at AS last_updated
  FROM entite_juridique j
 WHERE {cond}
""")


def offers(conn: Conn, pks: list[int], vis: Visibility = PUBLIC_VISIBILITY) -> list[dict[str, Any]]:
    """Offers that ``vis`` may see with these primary keys, in the order of ``pks`` (contacts filtered by level)."""
    if not pks:
        return []
    query = _OFFERS.format(eg_id=EG_ID, updated=OFFER_UPDATED, offer_from=OFFER_FROM, public=visible_offer(vis),
                           contacts=contacts_sql(vis), derived=DERIVED_PLACE)
    rows = {r["id"]: r for r in conn.execute(query, {"ids": pks}).fetchall()}
    return [rows[pk] for pk in pks if pk in rows]


def locations(conn: Conn, *, pks: list[int] | None = None, ror_id: str | None = None,
              vis: Visibility = PUBLIC_VISIBILITY) -> list[dict[str, Any]]:
    """Locations used by an offer ``vis`` may see, by primary keys or by logical id."""
    cond, params = _condition("l", pks, ror_id)
    return conn.execute(_LOCATIONS.format(cond=cond, public=visible_lieu(vis)), params).fetchall()


def internal_organisations(conn: Conn, *, pks: list[int] | None = None, ror_id: str | None = None,
                           vis: Visibility = PUBLIC_VISIBILITY) -> list[dict[str, Any]]:
    """Organisations internes reachable from an offer ``vis`` may see."""
    cond, params = _condition("oi", pks, ror_id)
    query = _OIS.format(visible=visible_oi(vis), eg_id=EG_ID, cond=cond)
    return conn.execute(query, params).fetchall()


def establishments(conn: Conn, *, pks: list[int] | None = None, fhir_id: str | None = None
                   ) -> list[dict[str, Any]]:
    """Établissements (public FINESS data) by primary keys or by exposed id."""
    cond: sql.Composable
    params: dict[str, Any]
    if pks is not None:
        cond, params = sql.SQL("e.id = ANY (%(ids)s)"), {"ids": pks}
    else:
        cond, params = sql.SQL("(e.ror_id = %(id)s OR {} = %(id)s)").format(EG_ID), {"id": fhir_id}
    return conn.execute(_EGS.format(eg_id=EG_ID, ej_id=EJ_ID, cond=cond), params).fetchall()


def legal_entities(conn: Conn, *, pks: list[int] | None = None, fhir_id: str | None = None
                   ) -> list[dict[str, Any]]:
    """Entités juridiques by primary keys or by exposed id."""
    cond: sql.Composable
    params: dict[str, Any]
    if pks is not None:
        cond, params = sql.SQL("j.id = ANY (%(ids)s)"), {"ids": pks}
    else:
        cond, params = sql.SQL("(j.ror_id = %(id)s OR {} = %(id)s)").format(EJ_ID), {"id": fhir_id}
    return conn.execute(_EJS.format(ej_id=EJ_ID, cond=cond), params).fetchall()


def _condition(alias: str, pks: list[int] | None, ror_id: str | None) -> tuple[sql.Composable, dict[str, Any]]:
    if pks is not None:
        return sql.SQL("{}.id = ANY (%(ids)s)").format(sql.Identifier(alias)), {"ids": pks}
    return sql.SQL("{}.ror_id = %(id)s").format(sql.Identifier(alias)), {"id": ror_id}


def parents(conn: Conn, org_keys: set[tuple[str, int]]) -> set[tuple[str, int]]:
    """(table, pk) of the ``partOf`` targets of organisations given as (table, pk)."""
    out: set[tuple[str, int]] = set()
    oi = [pk for t, pk in org_keys if t == "oi"]
    eg = [pk for t, pk in org_keys if t == "eg"]
    if oi:
        for r in conn.execute("SELECT parent_id, etablissement_id FROM organisation_interne WHERE id = ANY (%s)",
                              (oi,)).fetchall():
            if r["parent_id"] is not None:
                out.add(("oi", r["parent_id"]))
            elif r["etablissement_id"] is not None:
                out.add(("eg", r["etablissement_id"]))
    if eg:
        for r in conn.execute("SELECT ej_id FROM etablissement WHERE id = ANY (%s) AND ej_id IS NOT NULL",
                              (eg,)).fetchall():
            out.add(("ej", r["ej_id"]))
    return out
