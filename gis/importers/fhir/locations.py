"""Location resources → ``lieu``.

The commune is ``ror-commune-cog`` resolved to the current commune (former and delegated codes
through ``geo_commune_alias``), else the commune (or Paris arrondissement) containing ``position``.
"""

from __future__ import annotations

from gis.importers.fhir.mapping import location_fields
from gis.importers.fhir.references import Context
from gis.importers.geocoding import commune_at
from gis.importers.statements import one, statement


def write_locations(ctx: Context) -> None:
    """Upsert every Location of the input by ``ror_id``."""
    for key in ctx.keys("Location"):
        ref = f"Location/{key[1]}"
        f, warnings = location_fields(ctx.items[key].resource)
        for w in warnings:
            ctx.report.warn(ref, w)
        commune = ctx.commune(f["commune_cog"], ref) if f["commune_cog"] else None
        if commune is None and f["point"] is not None:
            com, arr = commune_at(ctx.conn, *f["point"])
            commune = arr or com
        if commune is None:
            ctx.report.warn(ref, "Lieu sans commune : ni ror-commune-cog connu, ni position dans une commune chargée.")
        lat, lon = f["point"] if f["point"] else (None, None)
        row = one(ctx.conn.execute(
            statement("fhir_lieu_upsert"),
            {"ror_id": key[1], "nom": f["nom"], "adresse": f["adresse"], "cp": f["code_postal"],
             "ville": f["ville"], "cog": f["commune_cog"], "insee": commune, "lon": lon, "lat": lat,
             "statut": f["statut"], "source": ctx.source},
        ))
        ctx.lieu_rows[key] = row["id"]
        ctx.report.counts["lieux"] += 1
