"""The Location derived from an offer that has a capacity but no place of its own (see :mod:`gis.capacity`).

In the ROR model a capacity lives on the Location (``ror-location-supported-capacity``). The units of the CNSA
annuaire, and any offer whose ROR Location is unknown, have a capacity and no ``lieu``; a ROR offer that replaced a
CNSA unit may keep its figure on a place without capacity lines. Both are published with a Location
``offre-<offer id>-lieu`` referenced by their ``HealthcareService.location`` (after the place, if any): the address,
position and
commune of their établissement (the point the map already uses for the offer), ``managingOrganization`` = that
établissement, capacity lines stating the offer's installed and available figures, and the ror-gis extension
``ror-gis-capacity-provenance`` saying where each figure comes from (Annuaire CNSA, ROR, demonstration).

It can be read (``GET /fhir/Location/offre-<id>-lieu``), comes with ``_include=HealthcareService:location``, and
is found by the place-based searches (``GET /fhir/Location?near=…`` / ``commune-cog`` / ``address-postalcode``, and
``HealthcareService?location.…``) as the offer's place. The identifier system
:data:`gis.capacity.DERIVED_LOCATION_SYSTEM` tells a ror-gis harvester not to store it as a place.
"""

from __future__ import annotations

import re
from typing import Any

from psycopg import sql

from gis.access import PUBLIC_VISIBILITY, Visibility
from gis.capacity import (
    DERIVED_LOCATION_SYSTEM,
    derived_location_id,
    offer_lines,
    provenance_extensions,
)
from gis.capacity import to_extensions as capacity_extensions
from gis.db import Conn
from gis.fhir_out.codes import EXT, PROFILE, SYS
from gis.fhir_out.rows import (
    DERIVED_COG,
    DERIVED_GEOM,
    DERIVED_ID,
    DERIVED_PLACE,
    DERIVED_POSTCODE,
    EG_ID,
    visible_lieu,
)
from gis.layers.filters import visible_offer

_ID = re.compile(r"^offre-(.+)-lieu$")

_DERIVED = sql.SQL("""
SELECT o.id, o.ror_id, o.nom AS offre_nom, o.capacite, o.capacite_type, o.capacite_maj, o.capacite_disponible,
       o.capacite_disponible_maj, o.disponibilite_fictive, o.provenance,
       e.nom, e.adresse, e.code_postal, e.ville, {cog} AS cog, ST_Y({geom}) AS lat, ST_X({geom}) AS lon,
       CASE WHEN e.id IS NOT NULL THEN {eg_id} END AS managing,
       greatest(o.updated_at, e.updated_at) AS last_updated
  FROM offre o LEFT JOIN etablissement e ON e.id = o.etablissement_id LEFT JOIN lieu l ON l.id = o.lieu_id
 WHERE {cond} AND {derived} AND {public}
""")


# Every Location ``vis`` may see, as one relation ``l``: the places used by a visible offer, and the Locations derived
# from visible offers (point, commune and postcode of their EG). Columns named as those of ``lieu``.
_LOCATIONS_FROM = sql.SQL("""(
SELECT 'lieu' AS kind, l.id AS pk, l.ror_id, l.geom, l.commune_cog, l.commune_insee, l.code_postal, l.updated_at
  FROM lieu l
 WHERE {visible_lieu}
UNION ALL
SELECT 'offre', o.id, {derived_id}, {geom}, {cog}, NULL, {postcode}, greatest(o.updated_at, e.updated_at)
  FROM offre o LEFT JOIN etablissement e ON e.id = o.etablissement_id LEFT JOIN lieu l ON l.id = o.lieu_id
 WHERE {derived} AND {public}
) l""")


def locations_from(vis: Visibility = PUBLIC_VISIBILITY) -> sql.Composable:
    """Return the FROM item ``l`` of the Location search: places and derived Locations that ``vis`` may see.

    Its key ``l.kind`` (``lieu`` or ``offre``) and ``l.pk`` tell which table a row comes from.
    """
    return _LOCATIONS_FROM.format(visible_lieu=visible_lieu(vis), derived_id=DERIVED_ID, geom=DERIVED_GEOM,
                                  cog=DERIVED_COG, postcode=DERIVED_POSTCODE, derived=DERIVED_PLACE,
                                  public=visible_offer(vis))


def offer_of(location_id: str) -> str | None:
    """Return the offer id of a derived Location id (``offre-<id>-lieu``), None for any other id."""
    found = _ID.match(location_id)
    return found.group(1) if found else None


def derived_rows(conn: Conn, *, pks: list[int] | None = None, offer_id: str | None = None,
                 vis: Visibility = PUBLIC_VISIBILITY) -> list[dict[str, Any]]:
    """Offers ``vis`` may see that get a derived Location, by primary keys or by the offer's logical id."""
    cond: sql.Composable
    params: dict[str, Any]
    if pks is not None:
        cond, params = sql.SQL("o.id = ANY (%(ids)s)"), {"ids": pks}
    else:
        cond, params = sql.SQL("o.ror_id = %(id)s"), {"id": offer_id}
    query = _DERIVED.format(eg_id=EG_ID, cond=cond, derived=DERIVED_PLACE, public=visible_offer(vis), cog=DERIVED_COG,
                            geom=DERIVED_GEOM)
    return conn.execute(query, params).fetchall()


def location(row: dict[str, Any]) -> dict[str, Any]:
    """Location (ror-location) derived from one offer row of :func:`derived_rows`."""
    res: dict[str, Any] = {"resourceType": "Location", "id": derived_location_id(row["ror_id"]),
                           "meta": {"profile": [PROFILE["Location"]]}}
    if row.get("last_updated") is not None:
        res["meta"]["lastUpdated"] = row["last_updated"].isoformat()
    ext: list[dict[str, Any]] = []
    if row.get("cog"):
        ext.append({"url": EXT["ror-commune-cog"],
                    "valueCodeableConcept": {"coding": [{"system": SYS["commune"], "code": row["cog"]}]}})
    ext += capacity_extensions(offer_lines(row))
    ext += provenance_extensions(row.get("provenance") or {}, bool(row.get("disponibilite_fictive")))
    res["extension"] = ext
    res["identifier"] = [{"system": DERIVED_LOCATION_SYSTEM, "value": row["ror_id"]}]
    res["name"] = row.get("nom") or row["offre_nom"]
    res["description"] = ("Lieu déduit de l'offre (pas de lieu de réalisation ROR connu) : adresse et position "
                          "de son établissement")
    address = {k: v for k, v in (("line", [row["adresse"]] if row.get("adresse") else None),
                                 ("city", row.get("ville")), ("postalCode", row.get("code_postal"))) if v}
    if address:
        res["address"] = address
    if row.get("lat") is not None:
        res["position"] = {"longitude": round(row["lon"], 7), "latitude": round(row["lat"], 7)}
    if row.get("managing"):
        res["managingOrganization"] = {"reference": f"Organization/{row['managing']}"}
    return res
