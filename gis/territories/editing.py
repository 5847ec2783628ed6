"""Territory editing: the zone d'intervention of one offer, edited by a référent or an administrator.

A zone is a list of divisions (communes, départements, régions: TRE_R201 types 3, 2, 1) and/or one free-form
polygon. :func:`save_zone` replaces it in one transaction, under optimistic concurrency (the caller's ETag must be
the current one: :class:`StaleZone` otherwise), then:

- records the edit in the audit trail ``zone_modification`` (who, when, before, after, comment);
- keeps a **local override** (``zone_surcharge``) when the offer comes from an import (the ROR): its provenance and
  the zone the ROR gave, so that the next import reports a conflict instead of overwriting the edit
  (:mod:`gis.importers.fhir.zones`), and so that the ROR support can receive the edit (:func:`overrides_bundle`);
  an edit that restores the ROR's zone drops the override;
- recomputes the offer's coverage at once (:func:`gis.territories.coverage.refresh`), whose writes bump the data
  version (migration 004): cached answers change with the commit.

Polygons are checked by PostGIS: GeoJSON (Multi)Polygon in WGS84, valid (or repaired by ``ST_MakeValid`` when the
caller asks), inside France, mostly over the loaded territory, of a plausible area. Every refusal is an
:class:`~gis.errors.InvalidInput` with a French message.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from gis.db import Conn, writing
from gis.errors import InvalidInput, NotFound, RorGisError
from gis.territories import coverage

#: ``offre.source`` of an offer created in ror-gis itself (its zone is not an override of anything).
LOCAL_SOURCE = "ror-gis"
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


class StaleZone(RorGisError):
    """The zone changed since the client read it (``If-Match`` differs from the current ETag): HTTP 412."""

    code = "zone_modifiee"


class PreconditionMissing(RorGisError):
    """An edit without ``If-Match``: HTTP 428."""

    code = "if_match_requis"


@dataclass(frozen=True)
class OfferRef:
    """The offer an edit is about: its key, names and EG (whose FINESS decides who may edit it)."""

    pk: int
    ror_id: str
    nom: str
    finess: str | None
    unite_sensible: bool
    source: str


@dataclass(frozen=True)
class ZoneEdit:
    """A new zone as sent: divisions ``(type_division, code)``, an optional GeoJSON polygon, a comment."""

    divisions: list[tuple[str, str]] = field(default_factory=list)
    polygone: dict[str, Any] | None = None
    commentaire: str | None = None
    corriger_geometrie: bool = False


def offer_ref(conn: Conn, offer_id: str) -> OfferRef:
    """Return the offer with this ROR id (or identifiantOffre), sensitive units included (the caller checks rights).

    Raises
    ------
    NotFound
        No offer has this identifier.
    """
    row = conn.execute(
        """
        SELECT o.id AS pk, o.ror_id, o.nom, e.finess, o.unite_sensible, o.source
          FROM offre o LEFT JOIN etablissement e ON e.id = o.etablissement_id
         WHERE o.ror_id = %(id)s OR o.identifiant = %(id)s
         ORDER BY o.ror_id = %(id)s DESC LIMIT 1
        """,
        {"id": offer_id},
    ).fetchone()
    if row is None:
        raise NotFound(f"Aucune offre ne porte l'identifiant {offer_id}.")
    return OfferRef(**row)


_ETAG = """
SELECT 'z' || left(md5(
         coalesce((SELECT string_agg(type_division || ':' || code, ',' ORDER BY type_division, code)
                     FROM zone_intervention WHERE offre_id = %(pk)s), '')
         || '|' || coalesce((SELECT md5(ST_AsEWKB(geom)) FROM zone_polygone WHERE offre_id = %(pk)s), '')), 20)
       AS etag
"""


def zone_state(conn: Conn, ref: OfferRef) -> dict[str, Any]:
    """Return the current zone of an offer: divisions with names, polygon (GeoJSON), ETag, local override if any.

    Parameters
    ----------
    conn : Conn
        A connection.
    ref : OfferRef
        The offer (:func:`offer_ref`).

    Returns
    -------
    dict
        ``{"offre", "divisions", "polygone", "etag", "surcharge"}``.
    """
    divisions = conn.execute(
        """
        SELECT z.type_division, z.code, coalesce(c.nom, d.nom, r.nom) AS nom
          FROM zone_intervention z
          LEFT JOIN geo_commune c ON z.type_division = '3' AND c.insee = z.code
          LEFT JOIN geo_departement d ON z.type_division = '2' AND d.code = z.code
          LEFT JOIN geo_region r ON z.type_division = '1' AND r.code = z.code
         WHERE z.offre_id = %s ORDER BY z.type_division DESC, z.code
        """,
        (ref.pk,),
    ).fetchall()
    poly = conn.execute(
        "SELECT ST_AsGeoJSON(geom, 6)::json AS g, round((ST_Area(geom::geography) / 1e6)::numeric, 3)::float AS km2 "
        "FROM zone_polygone WHERE offre_id = %s",
        (ref.pk,),
    ).fetchone()
    etag = conn.execute(_ETAG, {"pk": ref.pk}).fetchone()
    override = override_info(conn, ref.pk)
    return {
        "offre": {"id": ref.ror_id, "nom": ref.nom, "finess_eg": ref.finess},
        "divisions": divisions,
        "polygone": poly["g"] if poly else None,
        "polygone_km2": poly["km2"] if poly else None,
        "etag": etag["etag"] if etag else "",
        "surcharge": override,
    }


def override_info(conn: Conn, pk: int) -> dict[str, Any] | None:
    """Return the local override of the zone of offer ``pk`` (provenance, ROR zone, last conflict), or None."""
    return conn.execute(
        """
        SELECT source_ror, zone_ror, ST_AsGeoJSON(polygone_ror, 6)::json AS polygone_ror, modifie_par,
               to_char(modifie_le AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS modifie_le,
               to_char(cree_le AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS cree_le, conflit
          FROM zone_surcharge WHERE offre_id = %s
        """,
        (pk,),
    ).fetchone()


def _snapshot(state: dict[str, Any]) -> dict[str, Any]:
    return {"divisions": [{"type_division": d["type_division"], "code": d["code"]} for d in state["divisions"]],
            "polygone": state["polygone"]}


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


def save_zone(conn: Conn, ref: OfferRef, edit: ZoneEdit, *, if_match: str | None, auteur: str,
              role: str) -> dict[str, Any]:
    """Replace the zone of an offer (divisions and polygon), audit it, keep the override, recompute coverage.

    Parameters
    ----------
    conn : Conn
        A connection (the transaction is opened here, read-write).
    ref : OfferRef
        The offer (the caller has checked the right to edit it).
    edit : ZoneEdit
        The complete new zone.
    if_match : str or None
        The ETag the client read (``*`` accepts any).
    auteur, role : str
        Who edits (audit trail).

    Returns
    -------
    dict
        The new :func:`zone_state`, with ``modifie`` (False when the zone was already the same) and
        ``duree_ms`` (database time of the edit and coverage refresh).

    Raises
    ------
    PreconditionMissing
        No ``If-Match``.
    StaleZone
        ``If-Match`` is not the current ETag.
    InvalidInput
        Unknown codes, invalid polygon, empty zone, comment too long.
    """
    if not if_match:
        raise PreconditionMissing("En-tête If-Match obligatoire : relisez la zone (GET) et renvoyez son ETag.")
    comment = (edit.commentaire or "").strip() or None
    if comment is not None and len(comment) > 1000:
        raise InvalidInput("Commentaire trop long (au plus 1000 caractères).")
    with writing(conn):
        started = conn.execute("SELECT clock_timestamp() AS t").fetchone()
        conn.execute("SELECT 1 FROM offre WHERE id = %s FOR UPDATE", (ref.pk,))
        before = zone_state(conn, ref)
        if if_match.strip() != "*" and if_match.strip().strip('"').removeprefix("W/").strip('"') != before["etag"]:
            raise StaleZone("La zone a été modifiée entre-temps par quelqu'un d'autre : rechargez-la avant de "
                            "l'enregistrer.", details={"etag": before["etag"]})
        divisions = check_divisions(conn, edit.divisions)
        polygon = check_polygon(conn, edit.polygone, repair=edit.corriger_geometrie) if edit.polygone else None
        if not divisions and polygon is None:
            raise InvalidInput("Zone vide : indiquez au moins une commune, un département ou un polygone.")
        _write(conn, ref, divisions, polygon)
        after = zone_state(conn, ref)
        changed = after["etag"] != before["etag"]
        if changed:
            _keep_override(conn, ref, before, after, auteur)
            conn.execute(
                "INSERT INTO zone_modification (offre_id, auteur, role, avant, apres, commentaire) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                (ref.pk, auteur, role, Jsonb(_snapshot(before)), Jsonb(_snapshot(after)), comment),
            )
            coverage.refresh(conn, [ref.pk])
            after = zone_state(conn, ref)
        took = conn.execute("SELECT extract(epoch FROM clock_timestamp() - %s) * 1000 AS ms",
                            (started["t"] if started else None,)).fetchone()
    return {**after, "modifie": changed, "duree_ms": round(float(took["ms"]), 1) if took else None}


def _write(conn: Conn, ref: OfferRef, divisions: list[tuple[str, str]], polygon: str | None) -> None:
    conn.execute("DELETE FROM zone_intervention WHERE offre_id = %s", (ref.pk,))
    if divisions:
        conn.execute(
            "INSERT INTO zone_intervention (offre_id, type_division, code) "
            "SELECT %s, t, c FROM unnest(%s::text[], %s::text[]) AS u(t, c)",
            (ref.pk, [k for k, _ in divisions], [c for _, c in divisions]),
        )
    conn.execute("DELETE FROM zone_polygone WHERE offre_id = %s", (ref.pk,))
    if polygon is not None:
        conn.execute(
            """
            INSERT INTO zone_polygone (offre_id, geom, geom_l93)
            SELECT %(pk)s, g, ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Transform(g, 2154)), 3))
              FROM (SELECT ST_SetSRID(ST_GeomFromGeoJSON(%(g)s), 4326) AS g) x
            """,
            {"pk": ref.pk, "g": polygon},
        )


def _keep_override(conn: Conn, ref: OfferRef, before: dict[str, Any], after: dict[str, Any], auteur: str) -> None:
    """Record (or drop, when the ROR's zone is restored) the local override of an imported offer's zone."""
    if ref.source == LOCAL_SOURCE:
        return
    existing = conn.execute(
        """
        SELECT zone_ror,
               (polygone_ror IS NULL AND NOT EXISTS (SELECT 1 FROM zone_polygone p WHERE p.offre_id = s.offre_id))
               OR EXISTS (SELECT 1 FROM zone_polygone p WHERE p.offre_id = s.offre_id
                            AND ST_HausdorffDistance(p.geom, s.polygone_ror) <= 1e-5) AS same_polygon
          FROM zone_surcharge s WHERE offre_id = %s
        """,
        (ref.pk,),
    ).fetchone()
    if existing is not None:
        if existing["same_polygon"] and existing["zone_ror"] == _snapshot(after)["divisions"]:
            conn.execute("DELETE FROM zone_surcharge WHERE offre_id = %s", (ref.pk,))
        else:
            conn.execute("UPDATE zone_surcharge SET modifie_par = %s, modifie_le = now() WHERE offre_id = %s",
                         (auteur, ref.pk))
        return
    conn.execute(
        """
        INSERT INTO zone_surcharge (offre_id, source_ror, zone_ror, polygone_ror, modifie_par)
        VALUES (%(pk)s, %(source)s, %(zone)s,
                CASE WHEN %(poly)s::text IS NULL THEN NULL
                     ELSE ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(%(poly)s::text), 4326)) END, %(by)s)
        """,
        {"pk": ref.pk, "source": ref.source, "zone": Jsonb(_snapshot(before)["divisions"]),
         "poly": json.dumps(before["polygone"]) if before["polygone"] else None, "by": auteur},
    )


def history(conn: Conn, ref: OfferRef) -> list[dict[str, Any]]:
    """Return the audit trail of the zone of one offer, newest first (who, when, before, after, comment)."""
    return conn.execute(
        """
        SELECT id, auteur, role, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at,
               avant, apres, commentaire
          FROM zone_modification WHERE offre_id = %s ORDER BY at DESC, id DESC
        """,
        (ref.pk,),
    ).fetchall()


def overrides(conn: Conn, scope: Collection[str] | None) -> list[dict[str, Any]]:
    """Return the offers whose zone is a local override, in ``scope`` (FINESS EG numbers; ``None`` = all).

    Each row has the offer, its current divisions and polygon (GeoJSON), the ROR's zone and the provenance.
    """
    return conn.execute(
        """
        SELECT o.ror_id, o.identifiant, o.nom, e.finess AS finess_eg, s.source_ror, s.zone_ror,
               ST_AsGeoJSON(s.polygone_ror, 6) AS polygone_ror, s.modifie_par,
               to_char(s.modifie_le AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS modifie_le, s.conflit,
               coalesce((SELECT array_agg(ARRAY[z.type_division, z.code] ORDER BY z.type_division, z.code)
                           FROM zone_intervention z WHERE z.offre_id = o.id), '{}') AS zones,
               (SELECT ST_AsGeoJSON(p.geom, 6) FROM zone_polygone p WHERE p.offre_id = o.id) AS polygone
          FROM zone_surcharge s JOIN offre o ON o.id = s.offre_id
          LEFT JOIN etablissement e ON e.id = o.etablissement_id
         WHERE %(scope)s::text[] IS NULL OR e.finess = ANY (%(scope)s)
         ORDER BY s.modifie_le DESC, o.ror_id
        """,
        {"scope": None if scope is None else sorted(scope)},
    ).fetchall()
