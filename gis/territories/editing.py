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

The divisions and the polygon are checked first (:mod:`gis.territories.zone_checks`).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from psycopg.types.json import Jsonb

from gis.db import Conn, writing
from gis.errors import InvalidInput, NotFound, RorGisError
from gis.territories import coverage
from gis.territories.zone_checks import check_divisions, check_polygon

#: ``offre.source`` of an offer created in ror-gis itself (its zone is not an override of anything).
LOCAL_SOURCE = "ror-gis"


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
