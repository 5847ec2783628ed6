"""Location resources → ``lieu``, written in bulk (staging table + one upsert per batch).

The commune is ``ror-commune-cog`` resolved to the current commune (former and delegated codes
through ``geo_commune_alias``), else the commune (or Paris arrondissement) containing ``position``.
Capacity lines (``ror-location-supported-capacity``, :mod:`gis.capacity`) are kept in ``lieu.capacites``; the
offers of the place get them with the derived installed and available capacity (:func:`write_capacities`).

A Location *derived* by ror-gis from an offer without a place, or whose place has no capacity line (identifier system
:data:`gis.capacity.DERIVED_LOCATION_SYSTEM`, e.g. when harvesting another ror-gis) is not a place: it is never
stored as a ``lieu``; its figures and their provenance go back to the offer it names, when that offer refers to it
(:func:`write_derived_capacities`).
"""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from gis.capacity import derived_offer, read_lines, read_provenance, summary
from gis.importers.etablissements.record import ROR_SOURCE
from gis.importers.fhir.mapping import location_fields
from gis.importers.fhir.read import as_list
from gis.importers.fhir.references import Context, Key
from gis.importers.geocoding import commune_at
from gis.importers.staging import stage
from gis.importers.statements import statement

_LIEU_COLUMNS = ("ord", "ror_id", "nom", "adresse", "code_postal", "ville", "commune_cog", "commune_insee", "lon",
                 "lat", "statut", "capacites")
_LIEU_TEMPLATE = ("SELECT 0::int AS ord, ror_id, nom, adresse, code_postal, ville, commune_cog, commune_insee, "
                  "0::float8 AS lon, 0::float8 AS lat, statut, capacites FROM lieu")
_CAPACITY_COLUMNS = ("lieu", "lines", "prov", "capacite", "capacite_type", "capacite_maj", "capacite_disponible",
                     "capacite_disponible_maj")
_CAPACITY_TEMPLATE = ("SELECT 0::bigint AS lieu, capacites AS lines, provenance AS prov, capacite, capacite_type, "
                      "capacite_maj, capacite_disponible, capacite_disponible_maj FROM offre")


def write_locations(ctx: Context) -> None:
    """Upsert every Location of the input by ``ror_id``."""
    keys = []
    for key in ctx.keys("Location"):
        if derived_offer(ctx.items[key].resource) is not None:
            ctx.report.counts["lieux_deduits_d_une_offre"] += 1  # not a place (see the module docstring)
        else:
            keys.append(key)
    rows = [_location_row(ctx, key, ord_) for ord_, key in enumerate(keys)]
    if not rows:
        return
    stage(ctx.conn, "fhir_lieu_stage", _LIEU_TEMPLATE, _LIEU_COLUMNS, rows)
    ids = {r["ror_id"]: r["id"] for r in ctx.conn.execute(statement("fhir_lieu_upsert"), {"source": ctx.source})}
    for key in keys:
        ctx.lieu_rows[key] = ids[key[1]]
    ctx.report.counts["lieux"] += len(keys)


def _location_row(ctx: Context, key: Key, ord_: int) -> tuple[Any, ...]:
    """Map one Location to its staged row (reporting its warnings)."""
    ref = f"Location/{key[1]}"
    f, warnings = location_fields(ctx.items[key].resource)
    lines = read_lines(ctx.items[key].resource, warnings)
    for w in warnings:
        ctx.report.warn(ref, w)
    commune = ctx.commune(f["commune_cog"], ref) if f["commune_cog"] else None
    if commune is None and f["point"] is not None:
        com, arr = commune_at(ctx.conn, *f["point"])
        commune = arr or com
    if commune is None:
        ctx.report.warn(ref, "Lieu sans commune : ni ror-commune-cog connu, ni position dans une commune chargée.")
    lat, lon = f["point"] if f["point"] else (None, None)
    if lines:
        ctx.report.counts["lignes_capacite"] += len(lines)
    return (ord_, key[1], f["nom"], f["adresse"], f["code_postal"], f["ville"], f["commune_cog"], commune, lon, lat,
            f["statut"], Jsonb(lines))


def write_capacities(ctx: Context) -> None:
    """Write the capacities of the offers of this import: from their places, then from derived Locations."""
    write_place_capacities(ctx)
    write_derived_capacities(ctx)  # after the places: a place without lines leaves the derived figures


def write_place_capacities(ctx: Context) -> None:
    """Copy the capacity lines of every place touched by this import onto its offers, with the derived figures.

    The ROR wins field by field: a figure the ROR gives replaces the offer's (provenance ``ROR``); a figure it does
    not give keeps a value from another source (the CNSA annuaire) and clears one that came from the ROR.
    """
    lieux = set(ctx.lieu_rows.values())
    if ctx.offre_ids:
        lieux |= {r["lieu_id"] for r in ctx.conn.execute(
            "SELECT DISTINCT lieu_id FROM offre WHERE id = ANY (%s) AND lieu_id IS NOT NULL", (ctx.offre_ids,))}
    if not lieux:
        return
    source = ctx.source if ctx.fictif else ROR_SOURCE
    rows = ctx.conn.execute("SELECT id, capacites FROM lieu WHERE id = ANY (%s) ORDER BY id", (sorted(lieux),))
    stage(ctx.conn, "fhir_capacite_stage", _CAPACITY_TEMPLATE, _CAPACITY_COLUMNS,
          [_capacity_row(lieu, source) for lieu in rows.fetchall()])
    counted = ctx.conn.execute(statement("fhir_offer_capacities"), {"ror": source, "fictif": ctx.fictif})
    n = sum(1 for r in counted if r["counted"])
    if n:
        ctx.report.counts["offres_avec_capacite"] += n


def _capacity_row(lieu: dict[str, Any], source: str) -> tuple[Any, ...]:
    """Staged row of one place: its lines, their provenance and the derived figures."""
    s = summary(lieu["capacites"])
    prov = {k: {"source": source, "millesime": s[f"{k}_maj"].date().isoformat() if s[f"{k}_maj"] else ""}
            for k in ("capacite", "capacite_disponible") if s[k] is not None}
    return (lieu["id"], Jsonb(lieu["capacites"]), Jsonb(prov), s["capacite"], s["capacite_type"], s["capacite_maj"],
            s["capacite_disponible"], s["capacite_disponible_maj"])


def derived_location(ctx: Context, reference: Any) -> dict[str, Any] | None:
    """Return the derived Location (see the module docstring) a ``HealthcareService.location`` points to, if any."""
    key = ctx.ref_key(reference, "Location")
    item = ctx.items.get(key) if key is not None else None
    if item is None or derived_offer(item.resource) is None:
        return None
    return item.resource


def write_derived_capacities(ctx: Context) -> None:
    """Give the offers of this input that refer to a Location derived from them its figures and their provenance.

    Only a derived Location naming the offer that refers to it counts, and only for an offer without a place or whose
    place has no capacity lines.
    """
    for key in ctx.keys("HealthcareService"):
        for ref in as_list(ctx.items[key].resource.get("location")):
            loc = derived_location(ctx, ref)
            if loc is None or derived_offer(loc) != key[1]:
                continue
            s = summary(read_lines(loc))
            prov, fictive = read_provenance(loc)
            n = ctx.conn.execute(statement("offer_derived_capacity"), {
                **s, "offre": key[1], "prov": Jsonb({k: v for k, v in prov.items() if s[k] is not None}),
                "fictive": (ctx.fictif or fictive) and s["capacite_disponible"] is not None,
            }).rowcount
            ctx.report.counts["offres_avec_capacite"] += n
