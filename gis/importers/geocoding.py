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
     found arrondissement;
   - the found commune's 2018 polygon still holds a commune restored since then whose own contour is not loaded
     (``geo_commune_retablie``): the point may lie in that commune.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from psycopg import sql

from gis.db import Conn
from gis.importers.statements import one, statement
from gis.text import normalize

POSTCODE_TOLERANCE_M = 5000.0
OUTSIDE = "point hors de la région chargée"


def commune_at(conn: Conn, lat: float, lon: float) -> tuple[str | None, str | None]:
    """Return the commune and the municipal arrondissement (or None) containing a WGS84 point.

    Parameters
    ----------
    conn
        Open connection (rows as dicts).
    lat, lon
        WGS84 latitude and longitude.

    Returns
    -------
    tuple
        ``(commune INSEE, arrondissement INSEE)``; ``(None, None)`` outside the loaded geography.
    """
    rows = conn.execute(
        "SELECT insee, type, parent_insee FROM geo_commune "
        "WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) ORDER BY type, insee",
        (lon, lat),
    ).fetchall()
    arr = next((r for r in rows if r["type"] == "arrondissement-municipal"), None)
    if arr:
        return arr["parent_insee"], arr["insee"]
    com = next((r for r in rows if r["type"] == "commune"), None)
    return (com["insee"], None) if com else (None, None)


def current_commune(conn: Conn, code: str) -> str | None:
    """Return the current commune (or arrondissement) of a current, former, delegated or associated code.

    Parameters
    ----------
    conn
        Open connection.
    code
        A 5-character COG code (upper case).

    Returns
    -------
    str or None
        The INSEE code loaded in ``geo_commune``, None when the code is unknown.
    """
    row = conn.execute(
        "SELECT insee FROM geo_commune WHERE insee = %(c)s UNION ALL "
        "(SELECT a.insee FROM geo_commune_alias a JOIN geo_commune c ON c.insee = a.insee "
        " WHERE a.code = %(c)s ORDER BY c.population DESC NULLS LAST LIMIT 1) LIMIT 1",
        {"c": code},
    ).fetchone()
    return row["insee"] if row else None


def _target(ids: list[int] | None) -> tuple[sql.Composable, tuple[Any, ...]]:
    if ids is None:
        return sql.SQL("TRUE"), ()
    return sql.SQL("e.id = ANY(%s)"), (list(ids),)


def _place_without_coordinates(conn: Conn, ids: list[int] | None) -> None:
    """Commune centre for établissements without coordinates (step 1 of the module docstring)."""
    where, params = _target(ids)
    rows = conn.execute(
        sql.SQL(
            "SELECT e.id, e.code_postal, e.ville, e.commune_declaree FROM etablissement e "
            "WHERE e.geom IS NULL AND ({})"
        ).format(where),
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
    conn.execute(statement("geocoding_place"))
    conn.execute(
        "UPDATE etablissement e SET geocodage_qualite = 'aucune' "
        "FROM _geo_wanted w WHERE e.id = w.id AND e.geom IS NULL"
    )


def _set_communes(conn: Conn, where: sql.Composable, params: tuple[Any, ...]) -> None:
    """Commune and arrondissement polygons containing each point; alerts cleared."""
    conn.execute(
        sql.SQL(
            """
            UPDATE etablissement e
               SET commune_insee = (SELECT c.insee FROM geo_commune c
                                     WHERE c.type = 'commune' AND ST_Intersects(c.geom, e.geom)
                                     ORDER BY c.insee LIMIT 1),
                   arrondissement_insee = (SELECT c.insee FROM geo_commune c
                                            WHERE c.type = 'arrondissement-municipal'
                                              AND ST_Intersects(c.geom, e.geom)
                                            ORDER BY c.insee LIMIT 1),
                   geocodage_alerte = NULL
             WHERE {}
            """
        ).format(where),
        params,
    )


def _reasons(r: dict[str, Any], counts: Counter[str]) -> str:
    """French alert text of one checked row (and the counts of each kind)."""
    reasons = []
    place = r["arrondissement_insee"] or r["commune_insee"]
    if r["outside"]:
        reasons.append(OUTSIDE)
        counts["hors_region"] += 1
    if r["bad_cp"]:
        reasons.append(f"code postal déclaré {r['cp']} incohérent avec la commune du point ({r['nom']}, {place})")
        counts["alerte_code_postal"] += 1
    if r["bad_commune"]:
        known = "" if r["decl_resolved"] else " (code inconnu de la géographie chargée)"
        reasons.append(
            f"commune déclarée {r['decl']}{known} différente de la commune du point ({r['nom']}, {place})"
        )
        counts["alerte_commune"] += 1
    if r["retablies"]:
        reasons.append(f"point dans {r['nom']} ({r['commune_insee']}), dont le contour 2018 contient aussi "
                       f"{r['retablies']}, rétablie(s) depuis sans contour chargé : commune à vérifier")
        counts["alerte_commune_retablie"] += 1
    return "; ".join(reasons)


def locate_etablissements(conn: Conn, ids: list[int] | None = None) -> dict[str, int]:
    """Point-in-polygon placement and consistency flags (see the module docstring).

    Parameters
    ----------
    conn
        Open connection, inside the load's transaction.
    ids
        Restricts the work to these établissements (default: all).

    Returns
    -------
    dict
        Counts: ``localises`` (in a commune), ``centre_commune`` (placed at a commune centre),
        ``sans_position``, ``hors_region``, ``alerte_code_postal``, ``alerte_commune``,
        ``etablissements_signales`` (rows with any ``geocodage_alerte``; these are flags on the
        établissements, not rows of the import report, hence not counted in its ``alertes``).
    """
    where, params = _target(ids)
    _place_without_coordinates(conn, ids)
    _set_communes(conn, where, params)
    rows = conn.execute(statement("geocoding_checks").format(where=where), (*params, POSTCODE_TOLERANCE_M)).fetchall()
    counts: Counter[str] = Counter()
    updates = [(_reasons(r, counts), r["id"]) for r in rows]
    with conn.cursor() as cur:
        cur.executemany("UPDATE etablissement SET geocodage_alerte = %s WHERE id = %s", updates)
    counts["etablissements_signales"] = len(updates)
    stats = one(conn.execute(
        sql.SQL(
            "SELECT count(*) FILTER (WHERE e.commune_insee IS NOT NULL) AS localises, "
            "count(*) FILTER (WHERE e.geocodage_qualite = 'commune') AS centre_commune, "
            "count(*) FILTER (WHERE e.geom IS NULL) AS sans_position FROM etablissement e WHERE {}"
        ).format(where),
        params,
    ))
    counts.update(dict(stats))
    for key in ("hors_region", "alerte_code_postal", "alerte_commune"):
        counts.setdefault(key, 0)
    return dict(counts)
