"""One offer with its declared zone d'intervention, the communes it covers and its territory as GeoJSON.

Its public form with the page's fields, for ``GET /api/v1/services/{id}`` and the offer page ``/cartes/offre/{id}``.

Seen with the asker's visibility: a sensitive unit or a closed offer answers exactly like an unknown one (see
:mod:`gis.layers.filters` and :mod:`gis.public_offer`). The lists of offers are :mod:`gis.layers.offres`.
"""

from __future__ import annotations

import re
from typing import Any

from psycopg import sql

from gis.access import PUBLIC_VISIBILITY, Visibility
from gis.db import Conn
from gis.errors import InvalidInput, NotFound
from gis.layers.filters import visible_unit
from gis.public_offer import OFFER_JOINS, labelled, offer_json

OFFER_ID_RE = re.compile(r"^[0-9A-Za-z._/|-]{1,64}$")


_DETAIL_EXTRA = sql.SQL("""'statut', o.statut, 'date_fermeture', o.date_fermeture,
    'date_reouverture', o.date_reouverture, 'horaires', o.horaires,
    'modalites_accueil', {modalites}, 'temporalites', {temporalites},
    'derniere_maj', o.derniere_maj, 'source', o.source,
    'lieu', CASE WHEN l.nom IS NULL AND l.adresse IS NULL THEN NULL
                 ELSE json_build_object('nom', l.nom, 'adresse', l.adresse, 'commune_insee', l.commune_insee) END
""").format(modalites=labelled("o.modalites_accueil", "modalite_accueil"),
            temporalites=labelled("o.temporalites", "temporalite_accueil"))


def detail(conn: Conn, offer_id: str, vis: Visibility = PUBLIC_VISIBILITY) -> dict[str, Any]:
    """One offer seen with ``vis`` with its declared zone, the communes it covers, and its territory as GeoJSON.

    Raises
    ------
    InvalidInput
        Malformed identifier.
    NotFound
        No public offer has this identifier (a sensitive unit is answered exactly like an unknown one).
    """
    if not OFFER_ID_RE.match(offer_id):
        raise InvalidInput("Identifiant d'offre mal formé.")
    query = sql.SQL("""
        SELECT o.id AS pk, {offer} AS body
          FROM offre o {joins} LEFT JOIN lieu l ON l.id = o.lieu_id
         WHERE (o.ror_id = %(id)s OR o.identifiant = %(id)s) AND {visible}
         ORDER BY o.ror_id = %(id)s DESC
         LIMIT 1
    """).format(offer=offer_json(_DETAIL_EXTRA, vis), joins=OFFER_JOINS, visible=visible_unit(vis))
    row = conn.execute(query, {"id": offer_id}).fetchone()
    if row is None:
        raise NotFound(f"Aucune offre publique ne porte l'identifiant {offer_id}.")
    pk = row["pk"]
    out: dict[str, Any] = row["body"]
    out["zone_intervention"] = zone(conn, pk)
    out["communes_couvertes"] = conn.execute(
        """
        SELECT cv.insee, c.nom, c.type, cv.motif, cv.partielle
          FROM couverture cv JOIN geo_commune c ON c.insee = cv.insee
         WHERE cv.offre_id = %s ORDER BY cv.insee
        """,
        (pk,),
    ).fetchall()
    out["territoire"] = territory_geojson(conn, pk)
    return out


def zone(conn: Conn, pk: int) -> list[dict[str, Any]]:
    """Return the declared zone d'intervention, with names."""
    return conn.execute(
        """
        SELECT z.type_division, nt.label AS type_label, z.code,
               coalesce(c.nom, a.nom, d.nom, r.nom) AS nom
          FROM zone_intervention z
          LEFT JOIN nomenclature nt ON nt.name = 'type_division' AND nt.code = z.type_division
          LEFT JOIN geo_commune c ON z.type_division = '3' AND c.insee = z.code
          LEFT JOIN LATERAL (SELECT a.nom FROM geo_commune_alias a WHERE z.type_division = '3'
                              AND a.code = z.code LIMIT 1) a ON true
          LEFT JOIN geo_departement d ON z.type_division = '2' AND d.code = z.code
          LEFT JOIN geo_region r ON z.type_division = '1' AND r.code = z.code
         WHERE z.offre_id = %s
         ORDER BY z.type_division, z.code
        """,
        (pk,),
    ).fetchall()


def territory_geojson(conn: Conn, pk: int) -> dict[str, Any]:
    """Return the territory for display: one Feature per declared unit (display geometry), or the polygon.

    Offers without a zone get the commune(s) of their location. No union is computed per request.
    """
    rows = conn.execute(
        """
        SELECT 'commune' AS niveau, c.insee AS code, c.nom, ST_AsGeoJSON(c.geom_simple, 5)::json AS geometry
          FROM couverture cv JOIN geo_commune c ON c.insee = cv.insee
         WHERE cv.offre_id = %(pk)s AND cv.motif IN ('commune', 'ancien_code', 'localisation', 'polygone')
           AND NOT cv.partielle
        UNION ALL
        SELECT 'departement', d.code, d.nom, ST_AsGeoJSON(d.geom_simple, 5)::json
          FROM zone_intervention z JOIN geo_departement d ON d.code = z.code
         WHERE z.offre_id = %(pk)s AND z.type_division = '2'
        UNION ALL
        SELECT 'region', r.code, r.nom, ST_AsGeoJSON(r.geom_simple, 5)::json
          FROM zone_intervention z JOIN geo_region r ON r.code = z.code
         WHERE z.offre_id = %(pk)s AND z.type_division = '1'
        UNION ALL
        SELECT 'polygone', NULL, 'Territoire déclaré', ST_AsGeoJSON(p.geom, 5)::json
          FROM zone_polygone p WHERE p.offre_id = %(pk)s
        """,
        {"pk": pk},
    ).fetchall()
    features = [
        {
            "type": "Feature",
            "properties": {"niveau": r["niveau"], "code": r["code"], "nom": r["nom"]},
            "geometry": r["geometry"],
        }
        for r in rows
        if r["geometry"] is not None
    ]
    return {"type": "FeatureCollection", "features": features}
