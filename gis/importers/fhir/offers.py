"""HealthcareService resources → ``offre`` (+ its zones and polygon), written in bulk.

Each offer is mapped in Python (fields, organisation and place, zones, with the report's warnings in reading
order); the offers of the batch are then copied into a staging table and upserted by one statement
(``fhir_offer_upsert``), their declared zones replaced by one ``DELETE`` and one ``COPY``. The rare offers with a
free-form polygon or a locally edited zone (:mod:`gis.importers.fhir.overrides`) are then written one by one.

An offer whose ``providedBy`` cannot be resolved is rejected (its place in the offer tree would be
wrong); an unresolvable ``location`` only gives a warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from gis.importers.etablissements.record import ROR_SOURCE
from gis.importers.fhir.locations import derived_location
from gis.importers.fhir.mapping import K_ACTIVITE
from gis.importers.fhir.offer_mapping import offer_fields
from gis.importers.fhir.overrides import compare_with_override, overrides_of
from gis.importers.fhir.read import as_list
from gis.importers.fhir.references import Context, Key
from gis.importers.fhir.zone_mapping import zone_geometries
from gis.importers.fhir.zones import insert_polygon, zone_rows
from gis.importers.staging import copy_rows, stage
from gis.importers.statements import statement

_COLUMNS = (
    "identifiant", "nom", "type_offre", "champ", "activites", "familles", "modes_pec", "publics",
    "modalites_accueil", "temporalites", "actes", "specialisations", "age_min", "age_max", "unite_sensible",
    "statut", "date_fermeture", "date_reouverture",
)
#: Columns of the staging table ``fhir_offre_stage`` (see ``fhir_offer_upsert.sql``), in the order of a row.
STAGE_COLUMNS = ("ord", "ror_id", *_COLUMNS, "contacts", "horaires", "etablissement_id", "oi_id", "lieu_id",
                 "derniere_maj", "provenance")
_STAGE_TEMPLATE = (
    "SELECT 0::int AS ord, ror_id, identifiant, nom, type_offre, champ, activites, familles, modes_pec, publics, "
    "modalites_accueil, temporalites, actes, specialisations, age_min, age_max, unite_sensible, statut, "
    "date_fermeture, date_reouverture, contacts, horaires, etablissement_id, oi_id, lieu_id, derniere_maj, provenance "
    "FROM offre")


@dataclass
class _Offer:
    """One mapped offer, waiting for its row id."""

    key: Key
    hs: dict[str, Any]
    row: tuple[Any, ...]
    zones: list[tuple[str, str]]
    polygons: list[dict[str, Any]]


def write_offers(ctx: Context) -> None:
    """Upsert every HealthcareService of the input by ``ror_id`` (in bulk, see the module docstring)."""
    keys = ctx.keys("HealthcareService")
    overrides = overrides_of(ctx, [k[1] for k in keys])
    mapped: list[_Offer] = []
    for n, key in enumerate(keys, 1):
        ctx.progress.count("offres", n, len(keys))
        offer = _map(ctx, key, ctx.items[key].resource, len(mapped), key[1] in overrides)
        if offer is not None:
            mapped.append(offer)
    if not mapped:
        return
    stage(ctx.conn, "fhir_offre_stage", _STAGE_TEMPLATE, STAGE_COLUMNS, (o.row for o in mapped))
    ids: dict[str, int] = {}
    for row in ctx.conn.execute(statement("fhir_offer_upsert"), {"source": ctx.source, "fictif": ctx.fictif}):
        ids[row["ror_id"]] = row["id"]
        ctx.report.counts["offres_creees" if row["inserted"] else "offres_mises_a_jour"] += 1
    ctx.report.counts["offres"] += len(mapped)
    ctx.offre_ids.extend(ids[o.key[1]] for o in mapped)
    _write_territories(ctx, mapped, ids, overrides)


def _write_territories(ctx: Context, mapped: list[_Offer], ids: dict[str, int],
                       overrides: dict[str, dict[str, Any]]) -> None:
    """Replace the declared zones and polygons of the offers without a local override; compare the others."""
    plain = [o for o in mapped if o.key[1] not in overrides]
    plain_ids = [ids[o.key[1]] for o in plain]
    ctx.conn.execute("DELETE FROM zone_intervention WHERE offre_id = ANY (%s)", (plain_ids,))
    ctx.conn.execute("DELETE FROM zone_polygone WHERE offre_id = ANY (%s)", (plain_ids,))
    zones = [(ids[o.key[1]], kind, code) for o in plain for kind, code in o.zones]
    if zones:
        ctx.report.counts["zones"] += copy_rows(ctx.conn, "zone_intervention",
                                                ("offre_id", "type_division", "code"), zones)
    for o in mapped:
        ref = f"HealthcareService/{o.key[1]}"
        if o.key[1] in overrides:
            compare_with_override(ctx, ids[o.key[1]], overrides[o.key[1]], o.zones, o.polygons, ref)
        elif o.polygons:
            insert_polygon(ctx, ids[o.key[1]], o.polygons, ref)


def _map(ctx: Context, key: Key, hs: dict[str, Any], ord_: int, overridden: bool) -> _Offer | None:
    """Map one offer (reporting its warnings); None when it is rejected."""
    ref = f"HealthcareService/{key[1]}"
    f, warnings = offer_fields(hs, ctx.today)
    if not f["identifiant"]:
        ctx.report.reject(ref, "Offre sans identifiant (identifier, identifiantOffre ROR) : non chargée.")
        return None
    if not f["nom"]:
        ctx.report.reject(ref, "Offre sans nom (name) : non chargée.")
        return None
    provider = _provider(ctx, hs, ref, warnings)
    if provider is None:
        return None
    eg_id, oi_id = provider
    lieu_id = _location(ctx, hs, warnings)
    if not f["activites"] and not any(as_list(hs.get("specialty"))):
        warnings.append("Offre sans activité opérationnelle (specialty).")
    elif not f["activites"]:
        warnings.append(f"Aucune activité opérationnelle ({'/'.join(sorted(K_ACTIVITE))}) dans specialty.")
    for w in warnings:
        ctx.report.warn(ref, w)
    row = (ord_, key[1], *(f[k] for k in _COLUMNS), Jsonb(f["contacts"]), Jsonb(f["horaires"]), eg_id, oi_id,
           lieu_id, _timestamp(f["derniere_maj"]), Jsonb({"offre": _provenance(ctx, f["derniere_maj"])}))
    zones = zone_rows(ctx, hs, ref)
    polygons, poly_warnings = zone_geometries(hs)
    if not overridden:  # an overridden zone is only compared: its polygon is not read for writing
        for w in poly_warnings:
            ctx.report.warn(ref, w)
    return _Offer(key, hs, row, zones, polygons)


def _provider(
    ctx: Context, hs: dict[str, Any], ref: str, warnings: list[str]
) -> tuple[int | None, int | None] | None:
    """(EG id, OI id) of ``providedBy``; None when the offer is rejected (organisation not found)."""
    provided = hs.get("providedBy")
    if not provided:
        warnings.append("Offre sans structure de rattachement (providedBy).")
        return None, None
    org, label = ctx.resolve_org(provided)
    if org is None:
        motif = ctx.failed.get(ctx.ref_key(provided, "Organization") or ("", ""))
        why = f" (elle a été rejetée : {motif})" if motif else " ni dans le fichier ni en base"
        ctx.report.reject(ref, f"Offre rattachée à une organisation introuvable ({label}){why} : offre non chargée.")
        return None
    if org[0] == "etablissement":
        return org[1], None
    if org[0] == "organisation_interne":
        return ctx.eg_of_oi(org[1]), org[1]
    warnings.append("Offre rattachée à une entité juridique : aucun établissement (EG) associé.")
    return None, None


def _location(ctx: Context, hs: dict[str, Any], warnings: list[str]) -> int | None:
    """``lieu.id`` of the first resolvable ``location`` (warning when none resolves)."""
    locations = [loc for loc in as_list(hs.get("location"))
                 if isinstance(loc, dict) and derived_location(ctx, loc) is None]  # derived: not a place
    for loc in locations:
        lieu_id = ctx.resolve_location(loc)
        if lieu_id is not None:
            return lieu_id
    if locations:
        labels = ", ".join(str(loc.get("reference")) for loc in locations)
        warnings.append(f"Lieu de réalisation introuvable ({labels}) : offre chargée sans lieu.")
    return None


def _provenance(ctx: Context, updated: Any) -> dict[str, str]:
    """``{source, millesime}`` of the fields this import gives: the ROR (or the fictitious demo) and the date."""
    source = ctx.source if ctx.fictif else ROR_SOURCE
    return {"source": source, "millesime": str(updated)[:10] if isinstance(updated, str) else ""}


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
