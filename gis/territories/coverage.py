"""Coverage: which offers cover which commune, and why — precomputed into ``couverture``.

An offer covers commune (or municipal arrondissement) C when its zone d'intervention:

============== =================================================================== ==========
motif          rule                                                                partielle
============== =================================================================== ==========
commune        lists C                                                             no
ancien_code    lists a former, delegated or associated code of C                   no
commune_parente lists C's parent commune (C is an arrondissement of Paris/Lyon/Marseille) no
departement    lists C's département                                               no
region         lists C's région                                                    no
pays           lists France (country code 99100, type 5); another country covers nothing no
polygone       is a free-form polygon covering at least ``POLYGON_SHARE`` of C's area no
               (a city with arrondissement shapes: through its arrondissements, below)
arrondissements lists (or covers by any rule above) every arrondissement of C     no
arrondissement lists (or covers by any rule above) an arrondissement of C          yes
localisation   (offer without any zone) its location lies in C (a point of a city with
               arrondissements that falls in none of them goes to the nearest one)   no
============== =================================================================== ==========

One row per (offer, commune) is kept: the first rule in the table above that applies. Everything is
computed in SQL at load time; requests only read ``couverture``. Each row also carries whether its offer is public
(``couverture.publique``, migration 021: computed here with every row, kept true by a trigger when the offer's
visibility changes), so that the public answer counts and pages a commune's rows without reading every offer.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from gis.db import Conn
from gis.public_offer import fill_docs_sql
from gis.territories import coverage_swap

log = logging.getLogger(__name__)

#: ``work_mem`` of the session while coverage is computed and merged.
WORK_MEM = "256MB"
#: Offers whose coverage is computed and merged at once (about 1.3 M rows nationally: sorted in memory).
CHUNK = 20_000

# A free-form polygon covers a commune when it covers at least this share of the commune's area
# (measured in Lambert-93). Touching a border, or clipping a corner, is not coverage.
POLYGON_SHARE = 0.25

# INSEE codes of France as a country (COG "pays"), and the ISO forms sometimes found in zones.
FRANCE_CODES = ("99100", "FR", "FRA")

MOTIFS = (
    "commune",
    "ancien_code",
    "commune_parente",
    "departement",
    "region",
    "pays",
    "polygone",
    "arrondissements",
    "arrondissement",
    "localisation",
)

MOTIF_LABELS = {
    "commune": "La commune figure dans la zone d'intervention",
    "ancien_code": "Un ancien code ou une commune déléguée de la commune figure dans la zone",
    "commune_parente": "La commune parente (Paris, Lyon, Marseille) figure dans la zone",
    "arrondissements": "Tous les arrondissements de la commune figurent dans la zone",
    "departement": "Le département figure dans la zone d'intervention",
    "region": "La région figure dans la zone d'intervention",
    "pays": "Le pays figure dans la zone d'intervention",
    "polygone": f"Le territoire déclaré (polygone) couvre au moins {int(POLYGON_SHARE * 100)} % de la commune",
    "arrondissement": "Couverture partielle : certains arrondissements seulement",
    "localisation": "Offre sans zone d'intervention, située dans la commune",
}

# Only offers whose point changes are written (an update clears the offer's public document, migration 005).
_EFFECTIVE_POINT = """
UPDATE offre o
   SET geom = p.geom
  FROM (SELECT x.id, coalesce((SELECT l.geom FROM lieu l WHERE l.id = x.lieu_id),
                              (SELECT e.geom FROM etablissement e WHERE e.id = x.etablissement_id)) AS geom
          FROM offre x WHERE (%(ids)s::bigint[] IS NULL OR x.id = ANY (%(ids)s))) p
 WHERE o.id = p.id AND o.geom IS DISTINCT FROM p.geom
"""

# The columns of geo_commune the rules join on, without its geometries (a scan of geo_commune reads every polygon),
# with the number of arrondissements of each city: read once per refresh.
_COMMUNES = """
CREATE TEMP TABLE coverage_communes ON COMMIT DROP AS
SELECT c.insee, c.parent_insee, c.departement, c.region, c.centre,
       (SELECT count(*) FROM geo_commune s WHERE s.parent_insee = c.insee) AS arrondissements
  FROM geo_commune c
"""

# Every (offer, commune) row of the offers in %(ids)s, with the distance couverture_distance() measures (migration
# 012) computed in one join: written into the temporary table that _merge merges into couverture, or straight into
# couverture in the order of its primary key when these offers have no row yet (see _insert_first).
_ROWS = """
SELECT x.offre_id, x.insee, x.motif, x.partielle, ST_DistanceSphere(c.centre, p.geom) AS distance_m, p.publique
  FROM (
WITH target AS (
    SELECT id FROM offre WHERE id BETWEEN %(lo)s AND %(hi)s AND id = ANY (%(ids)s)
), zone AS (
    SELECT z.* FROM zone_intervention z JOIN target t ON t.id = z.offre_id
), direct AS (
    -- listed communes or arrondissements
    SELECT z.offre_id, c.insee, 'commune' AS motif
      FROM zone z JOIN pg_temp.coverage_communes c ON c.insee = z.code
     WHERE z.type_division = '3'
    UNION ALL
    -- former, delegated or associated codes
    SELECT z.offre_id, a.insee, 'ancien_code'
      FROM zone z JOIN geo_commune_alias a ON a.code = z.code
     WHERE z.type_division = '3'
    UNION ALL
    -- parent commune listed: each of its arrondissements
    SELECT z.offre_id, c.insee, 'commune_parente'
      FROM zone z JOIN pg_temp.coverage_communes c ON c.parent_insee = z.code
     WHERE z.type_division = '3'
    UNION ALL
    SELECT z.offre_id, c.insee, 'departement'
      FROM zone z JOIN pg_temp.coverage_communes c ON c.departement = z.code
     WHERE z.type_division = '2'
    UNION ALL
    SELECT z.offre_id, c.insee, 'region'
      FROM zone z JOIN pg_temp.coverage_communes c ON c.region = z.code
     WHERE z.type_division = '1'
    UNION ALL
    SELECT z.offre_id, c.insee, 'pays'
      FROM zone z CROSS JOIN pg_temp.coverage_communes c
     WHERE z.type_division = '5' AND upper(z.code) = ANY (%(france)s)
    UNION ALL
    -- free-form polygon: a substantial share of the commune's area
    SELECT p.offre_id, c.insee, 'polygone'
      FROM zone_polygone p JOIN target t ON t.id = p.offre_id
      JOIN geo_commune c ON c.geom_l93 && p.geom_l93
     WHERE ST_Intersects(c.geom_l93, p.geom_l93)
       AND ST_Area(ST_Intersection(c.geom_l93, p.geom_l93)) >= %(share)s * ST_Area(c.geom_l93)
       -- a city with arrondissement shapes is covered through them (fully or in part: see parents)
       AND NOT EXISTS (SELECT 1 FROM geo_commune a WHERE a.parent_insee = c.insee AND a.geom IS NOT NULL)
), located AS (
    -- offers with no zone at all: the commune (and arrondissement) of their point
    SELECT o.id AS offre_id, c.insee, 'localisation' AS motif
      FROM offre o JOIN target t ON t.id = o.id
      JOIN geo_commune c ON ST_Intersects(c.geom, o.geom)
     WHERE o.geom IS NOT NULL
       -- the most specific unit: an arrondissement rather than its city (when arrondissements have shapes)
       AND NOT EXISTS (SELECT 1 FROM geo_commune a WHERE a.parent_insee = c.insee AND a.geom IS NOT NULL)
       AND NOT EXISTS (SELECT 1 FROM zone_intervention z WHERE z.offre_id = o.id)
       AND NOT EXISTS (SELECT 1 FROM zone_polygone p WHERE p.offre_id = o.id)
), located_between AS (
    -- a point inside a city with arrondissements but in none of their polygons (gaps, rivers, the border of the
    -- simplified shapes): the nearest arrondissement
    SELECT o.id AS offre_id, near.insee, 'localisation' AS motif
      FROM offre o JOIN target t ON t.id = o.id
      JOIN geo_commune city ON ST_Intersects(city.geom, o.geom)
      CROSS JOIN LATERAL (SELECT a.insee FROM geo_commune a
                           WHERE a.parent_insee = city.insee AND a.geom IS NOT NULL
                           ORDER BY a.geom <-> o.geom LIMIT 1) near
     WHERE o.geom IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM located l WHERE l.offre_id = o.id)
       AND NOT EXISTS (SELECT 1 FROM zone_intervention z WHERE z.offre_id = o.id)
       AND NOT EXISTS (SELECT 1 FROM zone_polygone p WHERE p.offre_id = o.id)
), base AS (
    SELECT offre_id, insee, motif, false AS partielle FROM direct
    UNION ALL
    SELECT offre_id, insee, motif, false FROM located
    UNION ALL
    SELECT offre_id, insee, motif, false FROM located_between
), parents AS (
    -- arrondissements covered (by any rule) cover their parent commune: fully when all of them are covered,
    -- partially otherwise
    SELECT b.offre_id, c.parent_insee AS insee,
           CASE WHEN bool_and(b.motif = 'localisation') THEN 'localisation'
                WHEN count(DISTINCT b.insee) = min(p.arrondissements) THEN 'arrondissements'
                ELSE 'arrondissement' END AS motif,
           count(DISTINCT b.insee) < min(p.arrondissements) AS partielle
      FROM base b JOIN pg_temp.coverage_communes c ON c.insee = b.insee
      JOIN pg_temp.coverage_communes p ON p.insee = c.parent_insee
     GROUP BY b.offre_id, c.parent_insee
)
SELECT DISTINCT ON (offre_id, insee) offre_id, insee, motif, partielle
  FROM (SELECT * FROM base UNION ALL SELECT * FROM parents) x
 ORDER BY offre_id, insee, array_position(%(motifs)s::text[], motif), partielle
) x
  -- the point of each offer of the chunk, computed once and hashed, not looked up for each of its rows (OFFSET 0:
  -- not pulled up into the join, whose row estimate is 100 times too low)
  JOIN (SELECT o.id, coalesce(e.geom, o.geom) AS geom, offre_publique(o.unite_sensible, o.statut) AS publique
          FROM offre o LEFT JOIN etablissement e ON e.id = o.etablissement_id
         WHERE o.id BETWEEN %(lo)s AND %(hi)s AND o.id = ANY (%(ids)s) OFFSET 0) p ON p.id = x.offre_id
  JOIN pg_temp.coverage_communes c ON c.insee = x.insee
"""
_REFRESH_ROWS = "INSERT INTO pg_temp.couverture_fresh (offre_id, insee, motif, partielle, distance_m, publique)" + _ROWS
_INSERT_ROWS = ("INSERT INTO couverture (offre_id, insee, motif, partielle, distance_m, publique)" + _ROWS
                + " ORDER BY x.offre_id, x.insee")
_LOAD_ROWS = ("INSERT INTO couverture_load (offre_id, insee, motif, partielle, distance_m, publique)" + _ROWS
              + " ORDER BY x.offre_id, x.insee")


def refresh(conn: Conn, offre_ids: list[int] | None = None) -> int:
    """Recompute coverage rows for the given offers (all offers when None). Returns their number.

    The offers are taken by chunks of ``CHUNK`` (their sorts and joins stay in memory, ``work_mem`` being raised to
    ``WORK_MEM`` meanwhile); the rows of a chunk are computed into a temporary table and merged: only what changed is
    deleted, updated or inserted. Offers without any row yet are inserted directly, and a large first load
    (:data:`gis.territories.coverage_swap.SWAP_FROM` offers) is written into a new table swapped in at the end.

    Also refreshes each offer's effective map point (its Location, else its EG), stores each row's distance from the
    commune's centre (``couverture.distance_m``, migration 012), then fills every missing public
    document of an offer (``offre.doc_public``, see :mod:`gis.public_offer`). Runs inside the caller's transaction
    when there is one.
    """
    params: dict[str, Any] = {"ids": offre_ids, "motifs": list(MOTIFS), "share": POLYGON_SHARE,
                              "france": list(FRANCE_CODES)}
    with conn.transaction():
        previous = conn.execute("SELECT current_setting('work_mem') AS v").fetchone()
        conn.execute("SELECT set_config('work_mem', %s, true)", (WORK_MEM,))
        started = time.perf_counter()
        conn.execute(_EFFECTIVE_POINT, params)
        ids = offre_ids if offre_ids is not None else [r["id"] for r in conn.execute("SELECT id FROM offre")]
        ids = sorted(set(ids))
        conn.execute("DROP TABLE IF EXISTS pg_temp.coverage_communes")
        conn.execute(_COMMUNES)
        conn.execute("ANALYZE pg_temp.coverage_communes")
        conn.execute("DROP TABLE IF EXISTS pg_temp.couverture_fresh")
        conn.execute("CREATE TEMP TABLE couverture_fresh ON COMMIT DROP AS "
                     "SELECT offre_id, insee, motif, partielle, distance_m, publique FROM couverture WITH NO DATA")
        swap = len(ids) >= coverage_swap.SWAP_FROM and not _has_rows(conn, {"ids": ids, "lo": ids[0], "hi": ids[-1]})
        if swap:
            coverage_swap.begin(conn)
        rows, changed = _write_chunks(conn, ids, params, swap=swap)
        conn.execute("DROP TABLE pg_temp.couverture_fresh")
        conn.execute("DROP TABLE pg_temp.coverage_communes")
        merged = time.perf_counter()
        docs = fill_public_docs(conn)
        documents = time.perf_counter()
        if swap:  # readers wait from here to the commit
            coverage_swap.finish(conn)
            log.info("couverture : index construits et table remplacée en %.1f s", time.perf_counter() - documents)
        if offre_ids is None:  # rows of offers that no longer exist
            changed += conn.execute("DELETE FROM couverture c WHERE NOT EXISTS "
                                    "(SELECT 1 FROM offre o WHERE o.id = c.offre_id)").rowcount
        if previous is not None:
            conn.execute("SELECT set_config('work_mem', %s, true)", (previous["v"],))
        log.info("couverture : %d ligne(s) calculée(s), %d modifiée(s) en %.1f s, %d document(s) public(s) en %.1f s",
                 rows, changed, merged - started, docs, documents - merged)
        return rows


def _write_chunks(conn: Conn, ids: list[int], params: dict[str, Any], *, swap: bool) -> tuple[int, int]:
    """Compute and write the rows of ``ids`` by chunks; return the rows computed and the rows changed."""
    rows = changed = 0
    for i in range(0, len(ids), CHUNK):
        part = ids[i:i + CHUNK]
        chunk = {**params, "ids": part, "lo": part[0], "hi": part[-1]}
        inserted = conn.execute(_LOAD_ROWS, chunk).rowcount if swap else _insert_first(conn, chunk)
        if inserted is None:
            conn.execute("TRUNCATE pg_temp.couverture_fresh")
            rows += conn.execute(_REFRESH_ROWS, chunk).rowcount
            changed += _merge(conn, chunk)
        else:
            rows += inserted
            changed += inserted
    return rows, changed


def _insert_first(conn: Conn, params: dict[str, Any]) -> int | None:
    """Insert the rows of offers ``ids`` that have none yet (a first load); None when some have rows."""
    if _has_rows(conn, params):
        return None
    # Other writers wait (readers do not) until the commit, so that no row of these offers appears meanwhile.
    conn.execute("LOCK TABLE couverture IN SHARE ROW EXCLUSIVE MODE")
    if _has_rows(conn, params):
        return None
    return conn.execute(_INSERT_ROWS, params).rowcount


def _merge(conn: Conn, params: dict[str, Any]) -> int:
    """Merge ``couverture_fresh`` into the rows of the offers ``ids``; return the rows deleted, updated or inserted."""
    conn.execute("DROP TABLE IF EXISTS pg_temp.couverture_diff")
    conn.execute(_DIFF, params)
    return sum(conn.execute(statement_text).rowcount for statement_text in _APPLY)


def _has_rows(conn: Conn, params: dict[str, Any]) -> bool:
    row = conn.execute("SELECT EXISTS (SELECT 1 FROM couverture WHERE offre_id BETWEEN %(lo)s AND %(hi)s "
                       "AND offre_id = ANY (%(ids)s)) AS e", params).fetchone()
    return bool(row and row["e"])


# The fresh rows are merged, not swapped in wholesale: rows that did not change are not rewritten (they keep their row
# version), so a full rebuild neither doubles the table nor leaves it to be vacuumed, and readers (MVCC) see the old
# rows until the commit. One join finds what changed; the statements then touch those rows only.
_DIFF = """
CREATE TEMP TABLE couverture_diff ON COMMIT DROP AS
SELECT coalesce(f.offre_id, c.offre_id) AS offre_id, coalesce(f.insee, c.insee) AS insee,
       CASE WHEN c.offre_id IS NULL THEN 'i' WHEN f.offre_id IS NULL THEN 'd' ELSE 'u' END AS op,
       f.motif, f.partielle, f.distance_m, f.publique
  FROM pg_temp.couverture_fresh f
  FULL JOIN (SELECT * FROM couverture WHERE offre_id BETWEEN %(lo)s AND %(hi)s AND offre_id = ANY (%(ids)s)) c
         ON c.offre_id = f.offre_id AND c.insee = f.insee
 WHERE c.offre_id IS NULL OR f.offre_id IS NULL
    OR (c.motif, c.partielle, c.distance_m, c.publique)
       IS DISTINCT FROM (f.motif, f.partielle, f.distance_m, f.publique)
"""

_APPLY = (
    """DELETE FROM couverture c USING pg_temp.couverture_diff d
        WHERE d.op = 'd' AND c.offre_id = d.offre_id AND c.insee = d.insee""",
    """UPDATE couverture c
          SET motif = d.motif, partielle = d.partielle, distance_m = d.distance_m, publique = d.publique
         FROM pg_temp.couverture_diff d
        WHERE d.op = 'u' AND c.offre_id = d.offre_id AND c.insee = d.insee""",
    # ON CONFLICT: a row inserted meanwhile by another load is left as it is.
    """INSERT INTO couverture (offre_id, insee, motif, partielle, distance_m, publique)
       SELECT d.offre_id, d.insee, d.motif, d.partielle, d.distance_m, d.publique
         FROM pg_temp.couverture_diff d WHERE d.op = 'i'
       ON CONFLICT (offre_id, insee) DO NOTHING""",
)

def fill_public_docs(conn: Conn) -> int:
    """Fill every missing public document of an offer (``offre.doc_public``, see :mod:`gis.public_offer`).

    Parameters
    ----------
    conn : Conn
        An open connection (the caller's transaction, if any, is used).

    Returns
    -------
    int
        Number of documents written.
    """
    return conn.execute(fill_docs_sql()).rowcount


def unresolved_zones(conn: Conn) -> list[dict[str, Any]]:
    """Zone entries that match no loaded commune, département or région (for the data stewards)."""
    return conn.execute(
        """
        SELECT o.ror_id, z.type_division, z.code
          FROM zone_intervention z JOIN offre o ON o.id = z.offre_id
         WHERE (z.type_division = '3' AND NOT EXISTS (SELECT 1 FROM geo_commune c WHERE c.insee = z.code)
                                     AND NOT EXISTS (SELECT 1 FROM geo_commune_alias a WHERE a.code = z.code))
            OR (z.type_division = '2' AND NOT EXISTS (SELECT 1 FROM geo_departement d WHERE d.code = z.code))
            OR (z.type_division = '1' AND NOT EXISTS (SELECT 1 FROM geo_region r WHERE r.code = z.code))
            OR z.type_division NOT IN ('1', '2', '3', '5')
         ORDER BY o.ror_id, z.type_division, z.code
        """
    ).fetchall()
