"""Intervention zones of a ROR FHIR HealthcareService (pure functions).

``zones_of`` reads ``ror-territorial-division`` and the older
``ror-healthcareservice-intervention-zone``; ``zone_geometries`` reads the ror-gis extension
``ror-gis-intervention-zone-geometry`` (a GeoJSON Polygon / MultiPolygon in ``valueString`` or a
base64 ``valueAttachment``). Codes are normalised and written by :mod:`gis.importers.fhir.zones`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from gis.identifiers import system_key
from gis.importers.fhir.mapping import (
    K_COMMUNE,
    K_DEPARTEMENT,
    K_PAYS,
    K_REGION,
    K_TERRITOIRE_SANTE,
    K_TYPE_DIVISION,
    ZONE_GEOMETRY_EXTENSION,
)
from gis.importers.fhir.read import as_list, codings, extensions, first_code, value_of


def zones_of(hs: dict[str, Any]) -> tuple[list[tuple[str, str, str | None]], list[str]]:
    """Raw zone entries (type, code, code system key) of an offer, and warnings.

    From ror-territorial-division and the older ror-healthcareservice-intervention-zone; codes are
    normalised by :mod:`gis.importers.fhir.zones`.
    """
    out: list[tuple[str, str, str | None]] = []
    warnings: list[str] = []
    exts = extensions(hs, "ror-territorial-division") + extensions(hs, "ror-healthcareservice-intervention-zone")
    for ext in exts:
        type_cc = next(
            (value_of(s) for s in extensions(ext, "typeTerritorialDivision", "type")), None
        )
        code_cc = next(
            (value_of(s) for s in extensions(ext, "codeTerritorialDivision", "code", "interventionZone")), None
        )
        kind = first_code(type_cc, K_TYPE_DIVISION)
        code_codings = codings(code_cc)
        if not code_codings and isinstance(code_cc, str):
            code_codings = [{"code": code_cc}]
        if not code_codings:
            warnings.append("Zone d'intervention sans code (codeTerritorialDivision) : ignorée.")
            continue
        coding = code_codings[0]
        code = str(coding.get("code") or "").strip()
        if not code:
            warnings.append("Zone d'intervention sans code (codeTerritorialDivision) : ignorée.")
            continue
        key = system_key(coding.get("system"))
        if kind is None:
            kind = _infer_division(key, code)
            if kind is None:
                warnings.append(f"Zone d'intervention {code} sans type (typeTerritorialDivision) : ignorée.")
                continue
            warnings.append(f"Zone d'intervention {code} sans type : type {kind} déduit du code.")
        out.append((kind.lstrip("0") or kind, code, key))
    return out, warnings


def _infer_division(key: str | None, code: str) -> str | None:
    if key in K_COMMUNE:
        return "3"
    if key in K_DEPARTEMENT:
        return "2"
    if key in K_REGION:
        return "1"
    if key in K_TERRITOIRE_SANTE:
        return "4"
    if key in K_PAYS:
        return "5"
    if re.fullmatch(r"\d{5}|2[ABab]\d{3}", code):
        return "3"
    if re.fullmatch(r"\d{2}|2[ABab]|97\d", code):
        return "2"
    return None


def zone_geometries(hs: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """GeoJSON Polygon / MultiPolygon geometries of the ror-gis-intervention-zone-geometry extension."""
    out: list[dict[str, Any]] = []
    warnings: list[str] = []
    for ext in extensions(hs, ZONE_GEOMETRY_EXTENSION):
        raw: Any = None
        if isinstance(ext.get("valueString"), str):
            raw = ext["valueString"]
        elif isinstance(ext.get("valueAttachment"), dict):
            att = ext["valueAttachment"]
            ctype = str(att.get("contentType") or "application/geo+json").split(";")[0].strip().lower()
            if ctype not in ("application/geo+json", "application/json", "application/vnd.geo+json"):
                warnings.append(f"Zone polygonale : type de contenu « {ctype} » non pris en charge (GeoJSON attendu).")
                continue
            try:
                raw = base64.b64decode(str(att.get("data") or ""), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                warnings.append("Zone polygonale : pièce jointe illisible (base64 UTF-8 attendu) : ignorée.")
                continue
        else:
            warnings.append("Zone polygonale sans valueString ni valueAttachment : ignorée.")
            continue
        try:
            geo = json.loads(raw)
        except (json.JSONDecodeError, TypeError):
            warnings.append("Zone polygonale : GeoJSON invalide (JSON illisible) : ignorée.")
            continue
        geoms = _polygonal(geo)
        if not geoms:
            warnings.append("Zone polygonale : un GeoJSON Polygon ou MultiPolygon est attendu : ignorée.")
            continue
        if not all(_wgs84(g["coordinates"]) for g in geoms):
            warnings.append(
                "Zone polygonale : coordonnées hors WGS84 (longitude, latitude en degrés attendues) : ignorée."
            )
            continue
        out.extend(geoms)
    return out, warnings


def _polygonal(geo: Any) -> list[dict[str, Any]]:
    if not isinstance(geo, dict):
        return []
    gtype = geo.get("type")
    if gtype == "Feature":
        return _polygonal(geo.get("geometry"))
    if gtype == "FeatureCollection":
        return [g for f in as_list(geo.get("features")) for g in _polygonal(f)]
    if gtype in ("Polygon", "MultiPolygon") and isinstance(geo.get("coordinates"), list) and geo["coordinates"]:
        return [{"type": gtype, "coordinates": geo["coordinates"]}]
    return []


def _wgs84(coords: Any) -> bool:
    if isinstance(coords, list) and coords and all(isinstance(c, int | float) for c in coords):
        return len(coords) >= 2 and -180 <= coords[0] <= 180 and -90 <= coords[1] <= 90
    return isinstance(coords, list) and bool(coords) and all(_wgs84(c) for c in coords)
