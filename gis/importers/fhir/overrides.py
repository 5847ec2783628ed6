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


def overrides_of(ctx: Context, ror_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Return the local overrides (``zone_surcharge``, locked for update) of the offers with these logical ids."""
    rows = ctx.conn.execute(
        "SELECT o.ror_id, s.zone_ror, s.modifie_par, to_char(s.modifie_le, 'DD/MM/YYYY') AS le, "
        "       s.polygone_ror IS NOT NULL AS poly "
        "  FROM zone_surcharge s JOIN offre o ON o.id = s.offre_id WHERE o.ror_id = ANY (%s) FOR UPDATE OF s",
        (ror_ids,),
    ).fetchall()
    return {r["ror_id"]: r for r in rows}


def compare_with_override(ctx: Context, offre_id: int, override: dict[str, Any], rows: list[tuple[str, str]],
                          geoms: list[dict[str, Any]], ref: str) -> None:
    """Keep an offer's local zone: report (and store on the override) a conflict when the ROR zone changed."""
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
