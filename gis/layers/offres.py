"""Offres layer: offers covering a commune, offers near a point, one offer with its territory.

Public answers never contain sensitive units (``unite_sensible``), definitively closed offers, or
contacts above "accès libre" (confidentiality level 1). Coverage is read from the precomputed
``couverture`` table (see gis.territories.coverage); no geometry is intersected per request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any

import psycopg

from gis.errors import InvalidInput, NotFound
from gis.layers.communes import resolve
from gis.territories.coverage import MOTIF_LABELS, MOTIFS

CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._|-]{0,29}$")
OFFER_ID_RE = re.compile(r"^[0-9A-Za-z._/|-]{1,64}$")
MAX_LIMIT = 1000

# filter name -> (nomenclature list, SQL condition on the offer / EG)
_FILTERS: dict[str, tuple[str, str]] = {
    "type_offre": ("type_offre", "o.type_offre = ANY (%(type_offre)s)"),
    "categorie": ("categorie_eg", "e.categorie = ANY (%(categorie)s)"),
    "activite": ("activite", "o.activites && %(activite)s"),
    "mode_prise_en_charge": ("mode_prise_en_charge", "o.modes_pec && %(mode_prise_en_charge)s"),
    "public": ("public", "o.publics && %(public)s"),
    "champ": ("champ", "o.champ = ANY (%(champ)s)"),
}


@dataclass
class Filters:
    """Search filters (codes of the NOS lists); every list field is an OR of codes."""

    type_offre: list[str] = field(default_factory=list)
    categorie: list[str] = field(default_factory=list)
    activite: list[str] = field(default_factory=list)
    mode_prise_en_charge: list[str] = field(default_factory=list)
    public: list[str] = field(default_factory=list)
    champ: list[str] = field(default_factory=list)
    age: int | None = None

    def code_fields(self) -> dict[str, list[str]]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "age"}


def validate_filters(conn: psycopg.Connection, filters: Filters) -> None:
    """Raise InvalidInput for malformed codes, or codes absent from a loaded nomenclature."""
    problems: list[str] = []
    for name, codes in filters.code_fields().items():
        bad = [c for c in codes if not CODE_RE.match(c)]
        if bad:
            problems.append(f"{name} : code(s) mal formé(s) {', '.join(repr(b[:30]) for b in bad)}")
            continue
        if not codes:
            continue
        nomenclature = _FILTERS[name][0]
        row = conn.execute(
            "SELECT count(*) > 0 AS loaded, array_agg(code) FILTER (WHERE code = ANY (%s)) AS known "
            "FROM nomenclature WHERE name = %s",
            (codes, nomenclature),
        ).fetchone()
        if not row["loaded"]:
            continue  # nomenclature not loaded: cannot check
        unknown = [c for c in codes if c not in set(row["known"] or [])]
        if unknown:
            problems.append(
                f"{name} : code(s) inconnu(s) {', '.join(unknown)} "
                f"(codes permis : /api/v1/nomenclatures/{nomenclature})"
            )
    if filters.age is not None and not 0 <= filters.age <= 130:
        problems.append("age : entre 0 et 130 ans")
    if problems:
        raise InvalidInput("Filtre invalide — " + " ; ".join(problems), details=problems)


def _where(filters: Filters, params: dict[str, Any]) -> str:
    conditions = ["NOT o.unite_sensible", "o.statut <> 'fermee'"]
    for name, codes in filters.code_fields().items():
        if codes:
            params[name] = codes
            conditions.append(_FILTERS[name][1])
    if filters.age is not None:
        params["age"] = filters.age
        conditions.append("%(age)s BETWEEN coalesce(o.age_min, 0) AND coalesce(o.age_max, 200)")
    return " AND ".join(conditions)


def _labelled(array_sql: str, nomenclature: str) -> str:
    """SQL giving [{"code", "label"}] for an array of codes, in order."""
    return f"""(SELECT coalesce(jsonb_agg(jsonb_build_object('code', u.c, 'label', n.label) ORDER BY u.i), '[]')
                 FROM unnest({array_sql}) WITH ORDINALITY u(c, i)
                 LEFT JOIN nomenclature n ON n.name = '{nomenclature}' AND n.code = u.c)"""  # noqa: S608


_OFFER_COLUMNS = f"""
    o.id AS _pk, o.ror_id AS id, o.identifiant, o.nom, o.fictif, o.statut,
    o.type_offre, nt.label AS type_offre_label, o.champ, nch.label AS champ_label,
    {_labelled("o.activites", "activite")} AS activites,
    {_labelled("o.publics", "public")} AS publics,
    {_labelled("o.modes_pec", "mode_prise_en_charge")} AS modes_prise_en_charge,
    o.age_min, o.age_max,
    (SELECT coalesce(jsonb_agg(c), '[]') FROM jsonb_array_elements(o.contacts) c
      WHERE c->>'confidentialite' = '1') AS contacts,
    ST_Y(o.geom) AS lat, ST_X(o.geom) AS lon,
    e.finess, e.nom AS etab_nom, e.categorie AS etab_categorie, ncat.label AS etab_categorie_label,
    e.adresse AS etab_adresse, e.code_postal AS etab_code_postal, e.ville AS etab_ville,
    e.commune_insee AS etab_commune, ST_Y(e.geom) AS etab_lat, ST_X(e.geom) AS etab_lon
"""  # noqa: S608 - constant fragments, no user input

_OFFER_JOINS = """
    LEFT JOIN etablissement e ON e.id = o.etablissement_id
    LEFT JOIN nomenclature nt ON nt.name = 'type_offre' AND nt.code = o.type_offre
    LEFT JOIN nomenclature nch ON nch.name = 'champ' AND nch.code = o.champ
    LEFT JOIN nomenclature ncat ON ncat.name = 'categorie_eg' AND ncat.code = e.categorie
"""


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _shape(row: dict[str, Any]) -> dict[str, Any]:
    """Nest a flat SQL row into the public JSON form of an offer."""
    out = {
        "id": row["id"],
        "identifiant": row["identifiant"],
        "nom": row["nom"],
        "type_offre": {"code": row["type_offre"], "label": row["type_offre_label"]},
        "champ": {"code": row["champ"], "label": row["champ_label"]},
        "activites": row["activites"],
        "publics": row["publics"],
        "modes_prise_en_charge": row["modes_prise_en_charge"],
        "age_min": row["age_min"],
        "age_max": row["age_max"],
        "contacts": row["contacts"],
        "lat": _r(row["lat"], 5),
        "lon": _r(row["lon"], 5),
        "fictif": row["fictif"],
        "etablissement": None,
    }
    if row.get("etab_nom") is not None:
        out["etablissement"] = {
            "finess": row["finess"],
            "nom": row["etab_nom"],
            "categorie": {"code": row["etab_categorie"], "label": row["etab_categorie_label"]},
            "adresse": row["etab_adresse"],
            "code_postal": row["etab_code_postal"],
            "ville": row["etab_ville"],
            "commune_insee": row["etab_commune"],
            "lat": _r(row["etab_lat"], 5),
            "lon": _r(row["etab_lon"], 5),
        }
    if "motif" in row:
        out["couverture"] = {
            "motif": row["motif"],
            "libelle": MOTIF_LABELS.get(row["motif"], row["motif"]),
            "partielle": row["partielle"],
        }
    if "distance_km" in row:
        out["distance_km"] = _r(row["distance_km"], 2)
    return out


def _page(limit: int, offset: int) -> tuple[int, int]:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit : entre 1 et {MAX_LIMIT}.")
    if offset < 0:
        raise InvalidInput("offset : doit être positif ou nul.")
    return limit, offset


SORTS = {
    "distance": "distance_km NULLS LAST, o.nom",
    "nom": "o.nom, distance_km NULLS LAST",
    "motif": "array_position(%(motifs)s::text[], cv.motif), distance_km NULLS LAST, o.nom",
}


def covering(
    conn: psycopg.Connection,
    code: str,
    filters: Filters | None = None,
    *,
    limit: int = 100,
    offset: int = 0,
    sort: str = "distance",
) -> dict[str, Any]:
    """Offers covering a commune: ``{"commune": {...}, "results": [...], "total": N}``."""
    filters = filters or Filters()
    limit, offset = _page(limit, offset)
    if sort not in SORTS:
        raise InvalidInput(f"tri : valeurs permises {', '.join(SORTS)}.")
    validate_filters(conn, filters)
    resolved = resolve(conn, code)
    commune = conn.execute(
        "SELECT insee, nom, type, parent_insee, departement, ST_Y(centre) AS lat, ST_X(centre) AS lon "
        "FROM geo_commune WHERE insee = %s",
        (resolved["insee"],),
    ).fetchone()
    params: dict[str, Any] = {"insee": resolved["insee"], "limit": limit, "offset": offset, "motifs": list(MOTIFS)}
    where = _where(filters, params)
    sql = f"""
        SELECT {_OFFER_COLUMNS}, cv.motif, cv.partielle,
               ST_Distance(c.centre::geography, coalesce(e.geom, o.geom)::geography) / 1000 AS distance_km,
               count(*) OVER () AS _total
          FROM couverture cv
          JOIN offre o ON o.id = cv.offre_id
          {_OFFER_JOINS}
          JOIN geo_commune c ON c.insee = cv.insee
         WHERE cv.insee = %(insee)s AND {where}
         ORDER BY {SORTS[sort]}
         LIMIT %(limit)s OFFSET %(offset)s
    """  # noqa: S608 - fragments are constants; values are bound
    rows = conn.execute(sql, params).fetchall()
    total = rows[0]["_total"] if rows else _count_covering(conn, params, where)
    commune["lat"], commune["lon"] = _r(commune["lat"], 5), _r(commune["lon"], 5)
    if resolved["code_demande"] != resolved["insee"]:
        commune["code_demande"] = resolved["code_demande"]
    return {"commune": commune, "results": [_shape(r) for r in rows], "total": total}


def _count_covering(conn: psycopg.Connection, params: dict[str, Any], where: str) -> int:
    sql = f"""
        SELECT count(*) AS n FROM couverture cv JOIN offre o ON o.id = cv.offre_id
          LEFT JOIN etablissement e ON e.id = o.etablissement_id
         WHERE cv.insee = %(insee)s AND {where}
    """  # noqa: S608 - fragments are constants
    return conn.execute(sql, params).fetchone()["n"]


def nearby(
    conn: psycopg.Connection,
    lat: float,
    lon: float,
    rayon_km: float,
    filters: Filters | None = None,
    *,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """Offers whose point lies within ``rayon_km`` of (lat, lon), nearest first."""
    filters = filters or Filters()
    limit, offset = _page(limit, offset)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInput("Coordonnées invalides : lat entre -90 et 90, lon entre -180 et 180.")
    if not 0 < rayon_km <= 100:
        raise InvalidInput("rayon_km : strictement positif et au plus 100 km.")
    validate_filters(conn, filters)
    params: dict[str, Any] = {"lat": lat, "lon": lon, "m": rayon_km * 1000, "limit": limit, "offset": offset}
    where = _where(filters, params)
    sql = f"""
        WITH p AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g)
        SELECT {_OFFER_COLUMNS},
               ST_Distance(p.g::geography, o.geom::geography) / 1000 AS distance_km,
               count(*) OVER () AS _total
          FROM offre o
          {_OFFER_JOINS}
          CROSS JOIN p
         WHERE o.geom IS NOT NULL
           AND ST_DWithin(o.geom::geography, p.g::geography, %(m)s)
           AND {where}
         ORDER BY distance_km, o.nom
         LIMIT %(limit)s OFFSET %(offset)s
    """  # noqa: S608 - fragments are constants; values are bound
    rows = conn.execute(sql, params).fetchall()
    total = rows[0]["_total"] if rows else 0
    return {"results": [_shape(r) for r in rows], "total": total}


def _public_offer(conn: psycopg.Connection, offer_id: str) -> dict[str, Any]:
    if not OFFER_ID_RE.match(offer_id):
        raise InvalidInput("Identifiant d'offre mal formé.")
    sql = f"""
        SELECT {_OFFER_COLUMNS}, o.unite_sensible, o.date_fermeture, o.date_reouverture, o.capacite,
               o.horaires, o.derniere_maj, o.source,
               {_labelled("o.modalites_accueil", "modalite_accueil")} AS modalites_accueil,
               {_labelled("o.temporalites", "temporalite_accueil")} AS temporalites,
               l.nom AS lieu_nom, l.adresse AS lieu_adresse, l.commune_insee AS lieu_commune
          FROM offre o
          {_OFFER_JOINS}
          LEFT JOIN lieu l ON l.id = o.lieu_id
         WHERE o.ror_id = %(id)s OR o.identifiant = %(id)s
         ORDER BY o.ror_id = %(id)s DESC
         LIMIT 1
    """  # noqa: S608 - fragments are constants
    row = conn.execute(sql, {"id": offer_id}).fetchone()
    if row is None or row["unite_sensible"]:
        # A sensitive unit is answered exactly like an unknown one.
        raise NotFound(f"Aucune offre publique ne porte l'identifiant {offer_id}.")
    return row


def detail(conn: psycopg.Connection, offer_id: str) -> dict[str, Any]:
    """One public offer with its declared zone, the communes it covers, and its territory as GeoJSON."""
    row = _public_offer(conn, offer_id)
    pk = row["_pk"]
    out = _shape(row)
    out.update(
        {
            "statut": row["statut"],
            "date_fermeture": row["date_fermeture"].isoformat() if row["date_fermeture"] else None,
            "date_reouverture": row["date_reouverture"].isoformat() if row["date_reouverture"] else None,
            "capacite": row["capacite"],
            "horaires": row["horaires"],
            "modalites_accueil": row["modalites_accueil"],
            "temporalites": row["temporalites"],
            "derniere_maj": row["derniere_maj"].isoformat() if row["derniere_maj"] else None,
            "source": row["source"],
            "lieu": {"nom": row["lieu_nom"], "adresse": row["lieu_adresse"], "commune_insee": row["lieu_commune"]}
            if row["lieu_nom"] or row["lieu_adresse"]
            else None,
        }
    )
    out["zone_intervention"] = zone(conn, pk)
    out["communes_couvertes"] = conn.execute(
        """
        SELECT cv.insee, c.nom, c.type, cv.motif, cv.partielle
          FROM couverture cv JOIN geo_commune c ON c.insee = cv.insee
         WHERE cv.offre_id = %s ORDER BY cv.insee
        """,
        (pk,),
    ).fetchall()
    out["territoire"] = territory_geojson(conn, pk)
    return out


def zone(conn: psycopg.Connection, pk: int) -> list[dict[str, Any]]:
    """The declared zone d'intervention, with names."""
    return conn.execute(
        """
        SELECT z.type_division, nt.label AS type_label, z.code,
               coalesce(c.nom, a.nom, d.nom, r.nom) AS nom
          FROM zone_intervention z
          LEFT JOIN nomenclature nt ON nt.name = 'type_division' AND nt.code = z.type_division
          LEFT JOIN geo_commune c ON z.type_division = '3' AND c.insee = z.code
          LEFT JOIN LATERAL (SELECT a.nom FROM geo_commune_alias a WHERE z.type_division = '3'
                              AND a.code = z.code LIMIT 1) a ON true
          LEFT JOIN geo_departement d ON z.type_division = '2' AND d.code = z.code
          LEFT JOIN geo_region r ON z.type_division = '1' AND r.code = z.code
         WHERE z.offre_id = %s
         ORDER BY z.type_division, z.code
        """,
        (pk,),
    ).fetchall()


def territory_geojson(conn: psycopg.Connection, pk: int) -> dict[str, Any]:
    """The territory for display: one Feature per declared unit (display geometry), or the polygon.

    Offers without a zone get the commune(s) of their location. No union is computed per request.
    """
    rows = conn.execute(
        """
        SELECT 'commune' AS niveau, c.insee AS code, c.nom, ST_AsGeoJSON(c.geom_simple, 5)::json AS geometry
          FROM couverture cv JOIN geo_commune c ON c.insee = cv.insee
         WHERE cv.offre_id = %(pk)s AND cv.motif IN ('commune', 'ancien_code', 'localisation', 'polygone')
           AND NOT cv.partielle
        UNION ALL
        SELECT 'departement', d.code, d.nom, ST_AsGeoJSON(d.geom_simple, 5)::json
          FROM zone_intervention z JOIN geo_departement d ON d.code = z.code
         WHERE z.offre_id = %(pk)s AND z.type_division = '2'
        UNION ALL
        SELECT 'region', r.code, r.nom, ST_AsGeoJSON(r.geom_simple, 5)::json
          FROM zone_intervention z JOIN geo_region r ON r.code = z.code
         WHERE z.offre_id = %(pk)s AND z.type_division = '1'
        UNION ALL
        SELECT 'polygone', NULL, 'Territoire déclaré', ST_AsGeoJSON(p.geom, 5)::json
          FROM zone_polygone p WHERE p.offre_id = %(pk)s
        """,
        {"pk": pk},
    ).fetchall()
    features = [
        {
            "type": "Feature",
            "properties": {"niveau": r["niveau"], "code": r["code"], "nom": r["nom"]},
            "geometry": r["geometry"],
        }
        for r in rows
        if r["geometry"] is not None
    ]
    return {"type": "FeatureCollection", "features": features}


def as_geojson(results: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """Offers as a GeoJSON FeatureCollection of points (offers without a point are left out)."""
    features = []
    for r in results:
        lon, lat = r.get("lon"), r.get("lat")
        if lon is None and r.get("etablissement"):
            lon, lat = r["etablissement"]["lon"], r["etablissement"]["lat"]
        if lon is None:
            continue
        features.append(
            {
                "type": "Feature",
                "id": r["id"],
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {k: v for k, v in r.items() if k not in ("lat", "lon")},
            }
        )
    return {"type": "FeatureCollection", "features": features, **extra}
