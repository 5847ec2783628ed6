"""HealthcareService resources → ``offre`` (+ its zones and polygon).

An offer whose ``providedBy`` cannot be resolved is rejected (its place in the offer tree would be
wrong); an unresolvable ``location`` only gives a warning.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from gis.importers.etablissements.record import ROR_SOURCE
from gis.importers.fhir.locations import derived_location
from gis.importers.fhir.mapping import K_ACTIVITE
from gis.importers.fhir.offer_mapping import offer_fields
from gis.importers.fhir.overrides import write_territory
from gis.importers.fhir.read import as_list
from gis.importers.fhir.references import Context, Key
from gis.importers.statements import one, statement

_COLUMNS = (
    "identifiant", "nom", "type_offre", "champ", "activites", "familles", "modes_pec", "publics",
    "modalites_accueil", "temporalites", "actes", "specialisations", "age_min", "age_max", "unite_sensible",
    "statut", "date_fermeture", "date_reouverture",
)


def write_offers(ctx: Context) -> None:
    """Upsert every HealthcareService of the input by ``ror_id``."""
    keys = ctx.keys("HealthcareService")
    for n, key in enumerate(keys, 1):
        ctx.progress.count("offres", n, len(keys))
        _offer(ctx, key, ctx.items[key].resource)


def _offer(ctx: Context, key: Key, hs: dict[str, Any]) -> None:
    ref = f"HealthcareService/{key[1]}"
    f, warnings = offer_fields(hs, ctx.today)
    if not f["identifiant"]:
        ctx.report.reject(ref, "Offre sans identifiant (identifier, identifiantOffre ROR) : non chargée.")
        return
    if not f["nom"]:
        ctx.report.reject(ref, "Offre sans nom (name) : non chargée.")
        return
    provider = _provider(ctx, hs, ref, warnings)
    if provider is None:
        return
    eg_id, oi_id = provider
    lieu_id = _location(ctx, hs, warnings)
    if not f["activites"] and not any(as_list(hs.get("specialty"))):
        warnings.append("Offre sans activité opérationnelle (specialty).")
    elif not f["activites"]:
        warnings.append(f"Aucune activité opérationnelle ({'/'.join(sorted(K_ACTIVITE))}) dans specialty.")
    for w in warnings:
        ctx.report.warn(ref, w)
    params = {
        **{k: f[k] for k in _COLUMNS},
        "ror_id": key[1], "contacts": Jsonb(f["contacts"]), "horaires": Jsonb(f["horaires"]),
        "eg": eg_id, "oi": oi_id, "lieu": lieu_id, "source": ctx.source, "fictif": ctx.fictif,
        "maj": _timestamp(f["derniere_maj"]),
        "provenance": Jsonb({"offre": _provenance(ctx, f["derniere_maj"])}),
    }
    row = one(ctx.conn.execute(statement("fhir_offer_upsert"), params))
    ctx.report.counts["offres_creees" if row["inserted"] else "offres_mises_a_jour"] += 1
    ctx.report.counts["offres"] += 1
    ctx.offre_ids.append(row["id"])
    write_territory(ctx, row["id"], hs, ref)


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
