"""Intervention zones of the offers → ``zone_intervention`` (declared codes) and ``zone_polygone``.

Codes are normalised (commune 5 characters, département 2–3, région 2); an unknown commune,
département or région gives a warning and is kept (it covers nothing until the geography knows it).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import psycopg

from gis.identifiers import INSEE_RE
from gis.importers.fhir.references import Context
from gis.importers.fhir.zone_mapping import zones_of
from gis.importers.statements import statement

log = logging.getLogger(__name__)


def zone_rows(ctx: Context, hs: dict[str, Any], ref: str) -> list[tuple[str, str]]:
    """Return the normalised (type, code) zone entries of an offer, without duplicates (warnings in the report)."""
    raw, warnings = zones_of(hs)
    for w in warnings:
        ctx.report.warn(ref, w)
    rows: list[tuple[str, str]] = []
    for kind, code, _key in raw:
        normalised = zone_code(ctx, kind, code, ref)
        if normalised and (kind, normalised) not in rows:
            rows.append((kind, normalised))
    return rows


def zone_code(ctx: Context, kind: str, code: str, ref: str) -> str | None:
    """Normalised code of a zone of type ``kind`` (TRE_R201), None (with a warning) when malformed."""
    code = code.strip().upper()
    if kind == "3":
        return _commune_code(ctx, code, ref)
    if kind == "2":
        return _departement_code(ctx, code, ref)
    if kind == "1":
        return _region_code(ctx, code, ref)
    return code


def _commune_code(ctx: Context, code: str, ref: str) -> str | None:
    if code.isdigit() and len(code) == 4:
        code = code.zfill(5)
    if not INSEE_RE.match(code):
        ctx.report.warn(ref, f"Zone d'intervention : code commune « {code} » mal formé (5 caractères attendus) : "
                             "ignoré.")
        return None
    ctx.commune(code, ref)  # warns when unknown; the code is kept
    return code


def _departement_code(ctx: Context, code: str, ref: str) -> str | None:
    if code.isdigit() and len(code) == 1:
        code = code.zfill(2)
    elif code.isdigit() and len(code) == 3 and code.startswith("0"):
        code = code[1:]
    metropolitan = len(code) == 2 and (code.isdigit() or code in ("2A", "2B"))
    overseas = len(code) == 3 and code.startswith("97") and code.isdigit()
    if not (metropolitan or overseas):
        ctx.report.warn(ref, f"Zone d'intervention : code département « {code} » mal formé : ignoré.")
        return None
    if not ctx.known("geo_departement", code):
        ctx.report.warn(ref, f"Zone d'intervention : département {code} absent du référentiel chargé (conservé).")
    return code


def _region_code(ctx: Context, code: str, ref: str) -> str | None:
    if not code.isdigit() or len(code) > 3:
        ctx.report.warn(ref, f"Zone d'intervention : code région « {code} » mal formé : ignoré.")
        return None
    code = str(int(code)).zfill(2)
    if not ctx.known("geo_region", code):
        ctx.report.warn(ref, f"Zone d'intervention : région {code} absente du référentiel chargé (conservée).")
    return code


def insert_polygon(ctx: Context, offre_id: int, geoms: list[dict[str, Any]], ref: str) -> None:
    """Store the union of an offer's GeoJSON polygons (its previous polygon already deleted)."""
    try:
        with ctx.conn.transaction():
            row = ctx.conn.execute(
                statement("fhir_zone_polygon"), {"id": offre_id, "g": [json.dumps(g) for g in geoms]}
            ).fetchone()
    except psycopg.Error as exc:
        # The PostgreSQL text goes to the server log only; the report gets a French reason.
        log.warning("zone polygonale refusée pour %s : %s", ref, exc)
        ctx.report.warn(ref, "Zone polygonale refusée : géométrie GeoJSON invalide ou incohérente "
                             "(anneaux, coordonnées) : ignorée.")
        return
    if row is None:
        ctx.report.warn(ref, "Zone polygonale vide après correction de la géométrie : ignorée.")
        return
    ctx.report.counts["polygones"] += 1
