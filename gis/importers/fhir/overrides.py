"""Zones edited locally (``zone_surcharge``, see :mod:`gis.territories.editing`) meet a new ROR import.

An offer whose zone d'intervention was edited in ror-gis keeps its local zone: the import does not overwrite it.
When the zone the ROR now sends differs from the one it sent when the local edit was made, the import report gets
an *alerte* naming the edit (who, when) and the conflict is stored on the override (``zone_surcharge.conflit``) for
the référents and the ROR support to settle; an unchanged ROR zone is only counted (``zones_surchargees``).
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from gis.importers.fhir.references import Context
from gis.importers.fhir.zone_mapping import zone_geometries
from gis.importers.fhir.zones import write_polygon, write_zones, zone_rows

# Two polygons are the same zone when no point of one is farther than this from the other (degrees, ~1 m).
SAME_POLYGON_DEGREES = 1e-5

_SAME_POLYGON = """
WITH parts AS (
    SELECT ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON(j), 4326)) AS g FROM unnest(%(g)s::text[]) j
), incoming AS (
    SELECT ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(g)), 3)) AS g FROM parts
)
SELECT CASE WHEN s.polygone_ror IS NULL THEN i.g IS NULL OR ST_IsEmpty(i.g)
            WHEN i.g IS NULL OR ST_IsEmpty(i.g) THEN false
            ELSE ST_HausdorffDistance(s.polygone_ror, i.g) <= %(tol)s END AS same
  FROM zone_surcharge s CROSS JOIN incoming i WHERE s.offre_id = %(id)s
"""


def write_territory(ctx: Context, offre_id: int, hs: dict[str, Any], ref: str) -> None:
    """Write the zone and polygon of one offer, unless the zone is a local override (then compare and report)."""
    override = ctx.conn.execute(
        "SELECT zone_ror, modifie_par, to_char(modifie_le, 'DD/MM/YYYY') AS le, polygone_ror IS NOT NULL AS poly "
        "FROM zone_surcharge WHERE offre_id = %s FOR UPDATE",
        (offre_id,),
    ).fetchone()
    if override is None:
        write_zones(ctx, offre_id, hs, ref)
        write_polygon(ctx, offre_id, hs, ref)
        return
    rows = zone_rows(ctx, hs, ref)
    geoms, _warnings = zone_geometries(hs)
    texts = [json.dumps(g) for g in geoms]
    try:
        with ctx.conn.transaction():
            same = ctx.conn.execute(_SAME_POLYGON, {"g": texts, "id": offre_id, "tol": SAME_POLYGON_DEGREES}).fetchone()
        same_polygon = bool(same and same["same"])
    except psycopg.Error:
        same_polygon = not override["poly"] and not texts
    ror_rows = sorted((d["type_division"], d["code"]) for d in override["zone_ror"])
    ctx.report.counts["zones_surchargees"] += 1
    if same_polygon and sorted(rows) == ror_rows:
        return
    ctx.report.counts["conflits_zone"] += 1
    ctx.report.warn(
        ref,
        f"Conflit de zone d'intervention : la zone a été modifiée localement le {override['le']} par "
        f"{override['modifie_par']} (surcharge conservée), et la zone reçue du ROR a changé depuis "
        f"({len(rows)} division(s){', avec polygone' if texts else ''}). À arbitrer par le référent et le support "
        "ROR ; la zone locale reste en vigueur.",
    )
    ctx.conn.execute(
        "UPDATE zone_surcharge SET conflit = %s WHERE offre_id = %s",
        (Jsonb({"source": ctx.source, "le": _now(ctx), "zone": [{"type_division": k, "code": c} for k, c in rows],
                "polygone": bool(texts)}), offre_id),
    )


def _now(ctx: Context) -> str:
    row = ctx.conn.execute("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS t").fetchone()
    return str(row["t"]) if row else ""
