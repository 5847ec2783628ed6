"""Checks of a new zone d'intervention before it is saved: its divisions and its free-form polygon.

Divisions (communes, départements, régions: TRE_R201 types 3, 2, 1) must be codes of the loaded geographic
reference. Polygons are checked by PostGIS: GeoJSON (Multi)Polygon in WGS84, valid (or repaired by ``ST_MakeValid``
when the caller asks), inside France, mostly over the loaded territory, of a plausible area. Every refusal is an
:class:`~gis.errors.InvalidInput` with a French message. Used by :func:`gis.territories.editing.save_zone`.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg

from gis.db import Conn
from gis.errors import InvalidInput

DIVISION_TYPES = {"1": "région", "2": "département", "3": "commune"}
MAX_DIVISIONS = 2000
MAX_POINTS = 100_000
MIN_AREA_KM2 = 0.05
MAX_AREA_KM2 = 20_000.0
MIN_SHARE_LOADED = 0.5
# lon/lat boxes of France: metropolitan France and Corsica, then the five overseas départements.
FRANCE_BOXES = (
    (-5.5, 41.2, 9.8, 51.3),
    (-61.9, 15.8, -60.9, 16.6),   # Guadeloupe
    (-61.3, 14.3, -60.7, 14.95),  # Martinique
    (-54.7, 2.0, -51.5, 5.9),     # Guyane
    (55.1, -21.5, 55.9, -20.8),   # La Réunion
    (44.9, -13.1, 45.4, -12.5),   # Mayotte
)
_REASONS = (
    ("Ring Self-intersection", "un anneau du contour se recoupe"),
    ("Self-intersection", "le contour se recoupe"),
    ("Too few points", "trop peu de points"),
    ("Hole lies outside shell", "un trou est en dehors du contour"),
    ("Interior is disconnected", "l'intérieur du polygone est coupé en morceaux"),
    ("Nested shells", "des contours sont imbriqués"),
    ("Nested holes", "des trous sont imbriqués"),
    ("Invalid Coordinate", "coordonnée invalide"),
    ("Ring is not closed", "un anneau n'est pas fermé"),
)


def check_divisions(conn: Conn, divisions: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Return the divisions deduplicated and normalised; InvalidInput naming every unknown code.

    Parameters
    ----------
    conn : Conn
        A connection.
    divisions : list of (type_division, code)
        Types 3 (commune or arrondissement, current INSEE code), 2 (département), 1 (région).

    Returns
    -------
    list of (type_division, code)
        Sorted, without duplicates.
    """
    if len(divisions) > MAX_DIVISIONS:
        raise InvalidInput(f"Trop de divisions dans la zone (au plus {MAX_DIVISIONS}) : utilisez les départements.")
    clean: set[tuple[str, str]] = set()
    for kind, code in divisions:
        if kind not in DIVISION_TYPES:
            raise InvalidInput(f"Type de division « {kind} » inconnu : 3 (commune), 2 (département) ou 1 (région).")
        clean.add((kind, code.strip().upper()))
    rows = sorted(clean)
    unknown = conn.execute(
        """
        SELECT t, c FROM unnest(%(t)s::text[], %(c)s::text[]) AS u(t, c)
         WHERE NOT (t = '3' AND EXISTS (SELECT 1 FROM geo_commune g WHERE g.insee = c)
                 OR t = '2' AND EXISTS (SELECT 1 FROM geo_departement g WHERE g.code = c)
                 OR t = '1' AND EXISTS (SELECT 1 FROM geo_region g WHERE g.code = c))
        """,
        {"t": [k for k, _ in rows], "c": [c for _, c in rows]},
    ).fetchall()
    if unknown:
        names = ", ".join(f"{DIVISION_TYPES[u['t']]} {u['c']}" for u in unknown[:10])
        raise InvalidInput(f"Code(s) inconnu(s) du référentiel géographique : {names}. "
                           "Utilisez le code INSEE actuel (recherche de communes).", details=[dict(u) for u in unknown])
    return rows


def _geometries(geojson: dict[str, Any]) -> list[str]:
    """Return the polygon geometries of a GeoJSON geometry, Feature or FeatureCollection, as JSON texts."""
    kind = geojson.get("type")
    if kind == "FeatureCollection":
        features = geojson.get("features")
        if not isinstance(features, list) or not features:
            raise InvalidInput("GeoJSON : la FeatureCollection ne contient aucun polygone.")
        return [g for f in features for g in _geometries(f if isinstance(f, dict) else {})]
    if kind == "Feature":
        geometry = geojson.get("geometry")
        return _geometries(geometry if isinstance(geometry, dict) else {})
    if kind in ("Polygon", "MultiPolygon"):
        return [json.dumps(geojson)]
    raise InvalidInput("GeoJSON : un Polygon ou un MultiPolygon (ou une Feature qui en contient un) est attendu"
                       + (f", pas un {kind}." if isinstance(kind, str) else "."))


def _reason(text: str) -> str:
    for english, french in _REASONS:
        if text.startswith(english):
            where = text[len(english):].strip("[] ")
            parts = where.split()
            if len(parts) == 2:
                try:
                    return f"{french} (près de {float(parts[1]):.5f} N, {float(parts[0]):.5f} E)"
                except ValueError:
                    pass
            return french
    return "géométrie invalide"


_POLYGON_FACTS = """
WITH parts AS (
    SELECT ST_SetSRID(ST_GeomFromGeoJSON(j), 4326) AS g FROM unnest(%(g)s::text[]) j
), c AS (
    SELECT ST_Collect(g) AS g FROM parts
)
SELECT ST_IsValid(g) AS valid, ST_IsValidReason(g) AS reason, ST_NPoints(g) AS npoints,
       ST_XMin(g) AS xmin, ST_YMin(g) AS ymin, ST_XMax(g) AS xmax, ST_YMax(g) AS ymax
  FROM c
"""
_POLYGON_BUILD = """
WITH parts AS (
    SELECT ST_SetSRID(ST_GeomFromGeoJSON(j), 4326) AS g FROM unnest(%(g)s::text[]) j
), u AS (
    SELECT ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(CASE WHEN %(repair)s THEN ST_MakeValid(g) ELSE g END)),
                                         3)) AS g
      FROM parts
), m AS (
    SELECT g, ST_Area(g::geography) / 1e6 AS km2 FROM u WHERE g IS NOT NULL AND NOT ST_IsEmpty(g)
)
SELECT ST_AsGeoJSON(g, 6) AS geojson, km2,
       coalesce((SELECT sum(ST_Area(ST_Intersection(d.geom, m.g)::geography)) / 1e6
                   FROM geo_departement d WHERE d.geom && m.g), 0) AS loaded_km2
  FROM m
"""


def check_polygon(conn: Conn, geojson: dict[str, Any], *, repair: bool = False) -> str:
    """Return the polygon as a clean GeoJSON MultiPolygon text, or InvalidInput with a French reason.

    Parameters
    ----------
    conn : Conn
        A connection (each check runs in a savepoint: a PostGIS error does not spoil the caller's transaction).
    geojson : dict
        A GeoJSON Polygon or MultiPolygon, or a Feature / FeatureCollection of them, in WGS84 (lon, lat).
    repair : bool
        Repair an invalid geometry with ``ST_MakeValid`` instead of refusing it.

    Returns
    -------
    str
        The (unioned, valid) MultiPolygon as GeoJSON.
    """
    texts = _geometries(geojson)
    try:
        with conn.transaction():
            facts = conn.execute(_POLYGON_FACTS, {"g": texts}).fetchone()
    except psycopg.Error:
        raise InvalidInput("GeoJSON illisible : coordonnées ou anneaux mal formés.") from None
    if facts is None or facts["npoints"] is None:
        raise InvalidInput("GeoJSON : polygone vide.")
    if facts["npoints"] > MAX_POINTS:
        raise InvalidInput(f"Polygone trop détaillé ({facts['npoints']} points, au plus {MAX_POINTS}) : simplifiez-le.")
    box = (facts["xmin"], facts["ymin"], facts["xmax"], facts["ymax"])
    if max(abs(box[0]), abs(box[2])) > 180 or max(abs(box[1]), abs(box[3])) > 90:
        raise InvalidInput("Coordonnées hors limites : le GeoJSON doit être en WGS84 (longitude, latitude en "
                           "degrés), pas en Lambert-93.")
    if not any(box[0] >= b[0] and box[1] >= b[1] and box[2] <= b[2] and box[3] <= b[3] for b in FRANCE_BOXES):
        raise InvalidInput("Le polygone doit se trouver en France (vérifiez l'ordre longitude, latitude).")
    if not facts["valid"] and not repair:
        raise InvalidInput(f"Polygone invalide : {_reason(facts['reason'] or '')}. Corrigez le tracé, ou demandez "
                           "la correction automatique (corriger_geometrie).")
    try:
        with conn.transaction():
            built = conn.execute(_POLYGON_BUILD, {"g": texts, "repair": repair}).fetchone()
    except psycopg.Error:
        raise InvalidInput("Polygone invalide : la géométrie ne peut pas être corrigée.") from None
    if built is None:
        raise InvalidInput("Polygone vide après correction de la géométrie.")
    km2, loaded = float(built["km2"]), float(built["loaded_km2"])
    if km2 < MIN_AREA_KM2:
        raise InvalidInput(f"Polygone trop petit ({km2:.3f} km², au moins {MIN_AREA_KM2} km²) : est-ce bien un "
                           "territoire d'intervention ?")
    if km2 > MAX_AREA_KM2:
        raise InvalidInput(f"Polygone trop grand ({km2:,.0f} km², au plus {MAX_AREA_KM2:,.0f} km²) : utilisez "
                           "plutôt des départements ou la région.".replace(",", " "))
    if loaded < MIN_SHARE_LOADED * km2:
        raise InvalidInput(f"Le polygone est pour l'essentiel hors du territoire couvert par le service "
                           f"({round(100 * loaded / km2)} % seulement sur les départements chargés).")
    return str(built["geojson"])
