"""Place établissements in the reference geography and flag disagreements with what they declare.

``locate_etablissements`` works in SQL (PostGIS point-in-polygon), never by looping over geometries
in Python. For each établissement it:

1. gives a position to those without coordinates but with a declared commune (INSEE code, former
   codes resolved through ``geo_commune_alias``) or a postcode: the ``centre`` of that commune
   (or Paris arrondissement), ``geocodage_qualite = 'commune'`` (approximate). With a postcode
   shared by several communes, the one whose normalised name equals the declared city is taken,
   else the first by code. Without anything usable: ``geocodage_qualite = 'aucune'``;
2. sets ``commune_insee`` (polygon of type 'commune' containing the point) and
   ``arrondissement_insee`` (municipal arrondissement polygon containing it, Paris);
3. sets ``geocodage_alerte`` (French, several reasons joined by « ; ») when:
   - the point is in no loaded commune: « point hors de la région chargée »;
   - the declared postcode is not a postcode of the found commune or arrondissement **and** either
     its département (first 2 digits, 20 for Corsica, 3 digits overseas) differs from the commune's,
     or it is the ordinary postcode of some commune(s) none of which lies within 5 km of the point.
     A postcode that belongs to no commune at all in the same département is a CEDEX or special
     distribution code (e.g. 78011 VERSAILLES CEDEX, 75738 PARIS CEDEX 15): it cannot be checked
     more precisely and is not flagged. A neighbouring commune's postcode within 5 km is tolerated
     too (points on a boundary, postcode areas crossing commune limits);
   - the declared commune (resolved through former codes) is neither the found commune nor the
     found arrondissement.
"""

from __future__ import annotations

from collections import Counter

import psycopg

from gis.text import normalize

POSTCODE_TOLERANCE_M = 5000.0
OUTSIDE = "point hors de la région chargée"


def _target(ids: list[int] | None) -> tuple[str, tuple]:
    if ids is None:
        return "TRUE", ()
    return "e.id = ANY(%s)", (list(ids),)


def _place_without_coordinates(conn: psycopg.Connection, ids: list[int] | None) -> None:
    """Commune centre for établissements without coordinates (step 1 of the module docstring)."""
    where, params = _target(ids)
    rows = conn.execute(
        f"SELECT e.id, e.code_postal, e.ville, e.commune_declaree FROM etablissement e "  # noqa: S608
        f"WHERE e.geom IS NULL AND ({where})",
        params,
    ).fetchall()
    if not rows:
        return
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS _geo_wanted (id bigint, cp text, ville_norm text, decl text) "
        "ON COMMIT DROP"
    )
    conn.execute("DELETE FROM _geo_wanted")
    with conn.cursor().copy("COPY _geo_wanted (id, cp, ville_norm, decl) FROM STDIN") as copy:
        for r in rows:
            copy.write_row((r["id"], r["code_postal"], normalize(r["ville"] or ""), r["commune_declaree"]))
    conn.execute(
        """
        UPDATE etablissement e
           SET geom = x.centre, geocodage_qualite = 'commune',
               geocodage_source = 'centre de la commune ' || x.insee
          FROM (SELECT w.id,
                       COALESCE(
                         (SELECT c.insee FROM geo_commune c WHERE c.insee = w.decl),
                         (SELECT a.insee FROM geo_commune_alias a WHERE a.code = w.decl ORDER BY a.insee LIMIT 1),
                         (SELECT c.insee FROM geo_commune c
                           WHERE w.cp = ANY(c.codes_postaux)
                             AND (c.type = 'arrondissement-municipal'
                                  OR NOT EXISTS (SELECT 1 FROM geo_commune k
                                                  WHERE k.parent_insee = c.insee AND w.cp = ANY(k.codes_postaux)))
                           ORDER BY (c.nom_norm = w.ville_norm) DESC, c.insee LIMIT 1)
                       ) AS insee
                  FROM _geo_wanted w) f
          JOIN geo_commune x ON x.insee = f.insee
         WHERE e.id = f.id AND x.centre IS NOT NULL
        """
    )
    conn.execute(
        "UPDATE etablissement e SET geocodage_qualite = 'aucune' "
        "FROM _geo_wanted w WHERE e.id = w.id AND e.geom IS NULL"
    )


def locate_etablissements(conn: psycopg.Connection, ids: list[int] | None = None) -> dict[str, int]:
    """Point-in-polygon placement and consistency flags (see module docstring).

    ``ids`` restricts the work to those établissements (default: all). Returns counts:
    ``localises`` (in a commune), ``centre_commune`` (placed at a commune centre), ``sans_position``,
    ``hors_region``, ``alerte_code_postal``, ``alerte_commune``, ``alertes`` (rows with any alert).
    """
    where, params = _target(ids)
    _place_without_coordinates(conn, ids)
    conn.execute(
        f"""
        UPDATE etablissement e
           SET commune_insee = (SELECT c.insee FROM geo_commune c
                                 WHERE c.type = 'commune' AND ST_Intersects(c.geom, e.geom)
                                 ORDER BY c.insee LIMIT 1),
               arrondissement_insee = (SELECT c.insee FROM geo_commune c
                                        WHERE c.type = 'arrondissement-municipal'
                                          AND ST_Intersects(c.geom, e.geom)
                                        ORDER BY c.insee LIMIT 1),
               geocodage_alerte = NULL
         WHERE {where}
        """,  # noqa: S608 - fixed fragments, values bound
        params,
    )
    rows = conn.execute(
        f"""
        WITH t AS (
            SELECT e.id, e.geom, e.code_postal AS cp, e.commune_declaree AS decl,
                   e.commune_insee, e.arrondissement_insee, c.departement, c.nom,
                   c.codes_postaux || COALESCE(ar.codes_postaux, '{{}}') AS cps
              FROM etablissement e
              LEFT JOIN geo_commune c ON c.insee = e.commune_insee
              LEFT JOIN geo_commune ar ON ar.insee = e.arrondissement_insee
             WHERE e.geom IS NOT NULL AND ({where})
        ), checks AS (
            SELECT t.id,
                   t.commune_insee IS NULL AS outside,
                   (t.commune_insee IS NOT NULL AND t.cp ~ '^[0-9]{{5}}$' AND NOT (t.cp = ANY(t.cps)) AND (
                        CASE WHEN left(t.cp, 2) = '97' THEN left(t.cp, 3)
                             WHEN left(t.cp, 2) = '20' THEN '20' ELSE left(t.cp, 2) END
                        <> CASE WHEN t.departement IN ('2A', '2B') THEN '20' ELSE t.departement END
                        OR (EXISTS (SELECT 1 FROM geo_commune k WHERE t.cp = ANY(k.codes_postaux))
                            AND NOT EXISTS (SELECT 1 FROM geo_commune k
                                             WHERE t.cp = ANY(k.codes_postaux)
                                               AND ST_DWithin(k.geom_l93, ST_Transform(t.geom, 2154), %s)))
                   )) AS bad_cp,
                   (SELECT COALESCE((SELECT c.insee FROM geo_commune c WHERE c.insee = t.decl),
                                    (SELECT a.insee FROM geo_commune_alias a WHERE a.code = t.decl
                                      ORDER BY a.insee LIMIT 1))) AS decl_resolved,
                   t.decl, t.cp, t.commune_insee, t.arrondissement_insee, t.nom
              FROM t
        )
        SELECT id, outside, bad_cp, decl, cp, commune_insee, arrondissement_insee, nom,
               (decl IS NOT NULL AND commune_insee IS NOT NULL
                AND decl_resolved IS DISTINCT FROM commune_insee
                AND decl_resolved IS DISTINCT FROM arrondissement_insee) AS bad_commune,
               decl_resolved
          FROM checks
         WHERE outside OR bad_cp
            OR (decl IS NOT NULL AND commune_insee IS NOT NULL
                AND decl_resolved IS DISTINCT FROM commune_insee
                AND decl_resolved IS DISTINCT FROM arrondissement_insee)
        """,  # noqa: S608 - fixed fragments, values bound
        (*params, POSTCODE_TOLERANCE_M),
    ).fetchall()

    counts: Counter = Counter()
    updates = []
    for r in rows:
        reasons = []
        if r["outside"]:
            reasons.append(OUTSIDE)
            counts["hors_region"] += 1
        if r["bad_cp"]:
            place = r["arrondissement_insee"] or r["commune_insee"]
            reasons.append(
                f"code postal déclaré {r['cp']} incohérent avec la commune du point ({r['nom']}, {place})"
            )
            counts["alerte_code_postal"] += 1
        if r["bad_commune"]:
            known = "" if r["decl_resolved"] else " (code inconnu de la géographie chargée)"
            place = r["arrondissement_insee"] or r["commune_insee"]
            reasons.append(
                f"commune déclarée {r['decl']}{known} différente de la commune du point ({r['nom']}, {place})"
            )
            counts["alerte_commune"] += 1
        updates.append(("; ".join(reasons), r["id"]))
    with conn.cursor() as cur:
        cur.executemany("UPDATE etablissement SET geocodage_alerte = %s WHERE id = %s", updates)
    counts["alertes"] = len(updates)

    stats = conn.execute(
        f"""
        SELECT count(*) FILTER (WHERE e.commune_insee IS NOT NULL) AS localises,
               count(*) FILTER (WHERE e.geocodage_qualite = 'commune') AS centre_commune,
               count(*) FILTER (WHERE e.geom IS NULL) AS sans_position
          FROM etablissement e WHERE {where}
        """,  # noqa: S608 - fixed fragments, values bound
        params,
    ).fetchone()
    counts.update({k: v for k, v in stats.items()})
    for key in ("hors_region", "alerte_code_postal", "alerte_commune"):
        counts.setdefault(key, 0)
    return dict(counts)
