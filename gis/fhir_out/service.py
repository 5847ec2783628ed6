"""The FHIR read and search operations: SQL for the page, then rows → resources → Bundle."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from gis.access import PUBLIC_VISIBILITY, Visibility
from gis.db import Conn
from gis.errors import NotFound
from gis.fhir_out import bundle, derived, resources, rows
from gis.fhir_out.search import OFFER_PLACE_POINTS, Query, known, parse
from gis.layers.filters import visible_offer
from gis.territories.coverage import MOTIF_LABELS

SUPPORTED = ("HealthcareService", "Location", "Organization")

# Every organisation as one relation g (EJ, EG, visible OI) for the Organization search.
_ORGS_SQL = sql.SQL("""{visible}, g AS (
    SELECT 'ej' AS kind, j.id AS pk, {ej_id} AS fhir_id, j.finess AS identifiant, j.statut_juridique AS type_code,
           NULL::text AS part_of, j.updated_at FROM entite_juridique j
    UNION ALL
    SELECT 'eg', e.id, {eg_id}, e.finess, e.categorie,
           (SELECT {ej_id} FROM entite_juridique j WHERE j.id = e.ej_id), e.updated_at FROM etablissement e
    UNION ALL
    SELECT 'oi', oi.id, oi.ror_id, oi.ror_id, oi.type_oi,
           coalesce(p.ror_id, (SELECT {eg_id} FROM etablissement e WHERE e.id = oi.etablissement_id)), oi.updated_at
      FROM organisation_interne oi LEFT JOIN organisation_interne p ON p.id = oi.parent_id
     WHERE oi.id IN (SELECT id FROM vis)
)""")


def _orgs(vis: Visibility) -> sql.Composable:
    return _ORGS_SQL.format(visible=rows.visible_oi(vis), ej_id=rows.EJ_ID, eg_id=rows.EG_ID)


def read(conn: Conn, rtype: str, lid: str, vis: Visibility = PUBLIC_VISIBILITY) -> dict[str, Any]:
    """One resource by logical id, as ``vis`` may see it.

    Raises
    ------
    NotFound
        Unknown type or id, or a resource that is not public (answered exactly like an unknown one).
    """
    found: list[dict[str, Any]] = []
    if rtype == "HealthcareService":
        pk = conn.execute("SELECT id FROM offre WHERE ror_id = %s", (lid,)).fetchone()
        found = [resources.healthcare_service(r) for r in rows.offers(conn, [pk["id"]] if pk else [], vis)]
    elif rtype == "Location":
        found = [resources.location(r) for r in rows.locations(conn, ror_id=lid, vis=vis)]
        offer = derived.offer_of(lid) if not found else None
        if offer is not None:
            found = [derived.location(r) for r in derived.derived_rows(conn, offer_id=offer, vis=vis)]
    elif rtype == "Organization":
        found = _organization(conn, lid, vis)
    if not found:
        raise NotFound(f"Ressource {rtype}/{lid} introuvable.")
    return found[0]


def _organization(conn: Conn, lid: str, vis: Visibility) -> list[dict[str, Any]]:
    found = [resources.internal_organisation(r) for r in rows.internal_organisations(conn, ror_id=lid, vis=vis)]
    found = found or [resources.establishment(r) for r in rows.establishments(conn, fhir_id=lid)]
    return found or [resources.legal_entity(r) for r in rows.legal_entities(conn, fhir_id=lid)]


def search(conn: Conn, rtype: str, items: list[tuple[str, str]], base: str,
           vis: Visibility = PUBLIC_VISIBILITY) -> tuple[dict[str, Any], Query]:
    """Return a searchset Bundle for the (name, value) pairs of the URL (as ``vis`` may see), and the parsed query.

    Raises
    ------
    InvalidInput
        Malformed or unsupported parameter values.
    """
    q = parse(rtype, items)
    frm, order, distances = _plan(q, vis)
    with_ = _orgs(vis) if rtype == "Organization" else sql.SQL("")
    total = None
    if q.total != "none" or q.summary_count:
        total = conn.execute(sql.SQL("{} SELECT count(*) AS n FROM {} WHERE {}").format(with_, frm, q.where()),
                             q.values).fetchone()["n"]  # type: ignore[index]  # count(*): always one row
    if q.summary_count:
        return bundle.searchset([], [], total), q
    page = conn.execute(sql.SQL("{} SELECT {} AS pk, {} FROM {} WHERE {} ORDER BY {} LIMIT {} OFFSET {}").format(
        with_, _pk(rtype), distances, frm, q.where(), order, q.count, q.offset), q.values).fetchall()
    pks = [r["pk"] for r in page]
    dist = {r["pk"]: r for r in page}
    entries = _entries(conn, q, pks, dist, base, vis)
    if q.unknown:
        text = "Paramètre(s) inconnu(s) ignoré(s) : " + ", ".join(sorted(q.unknown)) + "."
        entries.append({"resource": bundle.operation_outcome(text, "not-supported", "warning"),
                        "search": {"mode": "outcome"}})
    used = [(name, value) for name, value in items if known(rtype, name)]  # the ignored ones are not claimed
    link = bundle.links(base, rtype, used, q.offset, q.count, total, len(pks))
    return bundle.searchset(entries, link, total), q


def _pk(rtype: str) -> sql.Composable:
    return {"HealthcareService": sql.SQL("o.id"), "Location": sql.SQL("l.kind || ':' || l.pk"),
            "Organization": sql.SQL("g.kind || ':' || g.pk")}[rtype]


def _plan(q: Query, vis: Visibility) -> tuple[sql.Composable, sql.Composable, sql.Composable]:
    """(FROM, ORDER BY, distance columns) of a search; adds the visibility rule to the conditions.

    The distance columns (km, NULL without ``near`` / ``near-insee-code``): ``d`` of the row (for an offer, to its
    nearest Location), and for an offer ``d_place`` to its place and ``d_derived`` to its derived Location.
    """
    none = sql.SQL("NULL::float8 AS d, NULL::float8 AS d_place, NULL::float8 AS d_derived")
    if q.rtype == "Organization":
        return sql.SQL("g"), sql.SQL("g.fhir_id"), none
    frm: sql.Composable
    if q.rtype == "HealthcareService":
        q.conditions.insert(0, visible_offer(vis))
        frm, key = rows.OFFER_FROM, sql.SQL("o.ror_id")
    else:  # places and derived Locations, each as visible as the offers using it
        frm, key = derived.locations_from(vis), sql.SQL("l.ror_id")
    per_point = _distances_km(q)
    if per_point is None:
        return frm, key, none
    nearest = sql.SQL("least({})").format(sql.SQL(", ").join(per_point))
    place, derived_ = (*per_point, sql.SQL("NULL::float8"))[:2]
    columns = sql.SQL("{} AS d, {} AS d_place, {} AS d_derived").format(nearest, place, derived_)
    return frm, sql.SQL("{} NULLS LAST, {}").format(nearest, key), columns


def _distances_km(q: Query) -> list[sql.Composable] | None:
    """Distances in km from the ``near`` / ``near-insee-code`` centre to each Location of a row (None without).

    An offer's Locations are its place and the one derived from it (NULL when it has none: ``least`` skips it).
    """
    centre: sql.Composable
    if q.near is not None:
        lat, lon, _km = q.near
        centre = sql.SQL("ST_SetSRID(ST_MakePoint({}, {}), 4326)").format(q.bind(lon), q.bind(lat))
    elif q.near_insee is not None:
        centre = sql.SQL("(SELECT c.centre FROM geo_commune c WHERE c.insee = {})").format(q.bind(q.near_insee[0]))
    else:
        return None
    points = OFFER_PLACE_POINTS if q.rtype == "HealthcareService" else [sql.SQL("l.geom")]
    return [sql.SQL("ST_DistanceSphere({}, {}) / 1000").format(point, centre) for point in points]


def _entries(conn: Conn, q: Query, pks: list[Any], dist: dict[Any, Any], base: str,
             vis: Visibility) -> list[dict[str, Any]]:
    if q.rtype == "Location":
        return [bundle.entry(base, _shape(q, res), "match", _distance(dist[pk]["d"]))
                for pk, res in _locations(conn, pks, vis)]
    if q.rtype == "Organization":
        keys = [(k.split(":")[0], int(k.split(":")[1])) for k in pks]
        return [bundle.entry(base, _shape(q, res), "match") for res in _organizations(conn, keys, vis)]
    offer_rows = rows.offers(conn, pks, vis)
    motifs = _motifs(conn, q, pks)
    out = [bundle.entry(base, _shape(q, resources.healthcare_service(r)), "match", motifs.get(r["id"]))
           for r in offer_rows]
    return out + _included(conn, q, offer_rows, dist, base, vis)


def _locations(conn: Conn, keys: list[str], vis: Visibility) -> list[tuple[str, dict[str, Any]]]:
    """(key, Location) for ``lieu:<pk>`` (places) and ``offre:<pk>`` (derived) keys, in order (hidden ones left out)."""
    pks = {kind: [int(k.split(":")[1]) for k in keys if k.startswith(kind + ":")] for kind in ("lieu", "offre")}
    found = {f"lieu:{r['id']}": resources.location(r) for r in rows.locations(conn, pks=pks["lieu"], vis=vis)}
    if pks["offre"]:
        found.update({f"offre:{r['id']}": derived.location(r)
                      for r in derived.derived_rows(conn, pks=pks["offre"], vis=vis)})
    return [(k, found[k]) for k in keys if k in found]


def _ordered(found: list[dict[str, Any]], pks: list[Any]) -> list[dict[str, Any]]:
    by_pk = {r["id"]: r for r in found}
    return [by_pk[pk] for pk in pks if pk in by_pk]


def _distance(km: float | None) -> list[dict[str, Any]] | None:
    return [bundle.distance_extension(km)] if km is not None else None


def _shape(q: Query, resource: dict[str, Any]) -> dict[str, Any]:
    return bundle.subset(resource, q.elements) if q.elements is not None else resource


def _motifs(conn: Conn, q: Query, pks: list[int]) -> dict[int, list[dict[str, Any]]]:
    if q.couvre is None or not pks:
        return {}
    commune = rows.CURRENT_COMMUNE.format(c=sql.Placeholder("c"))
    found = conn.execute(sql.SQL("SELECT offre_id, motif, partielle FROM couverture WHERE insee = {} "
                                 "AND offre_id = ANY (%(pks)s)").format(commune),
                         {"c": q.couvre, "pks": pks}).fetchall()
    return {r["offre_id"]: [bundle.motif_extension(r["motif"], MOTIF_LABELS.get(r["motif"], str(r["motif"])),
                                                    r["partielle"])] for r in found}


def _included(conn: Conn, q: Query, offer_rows: list[dict[str, Any]], dist: dict[Any, Any], base: str,
              vis: Visibility) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if "location" in q.includes:
        lieu_pks = list(dict.fromkeys(r["lieu_pk"] for r in offer_rows if r["lieu_pk"] is not None))
        km = {r["lieu_pk"]: dist[r["id"]]["d_place"] for r in offer_rows}
        for row in _ordered(rows.locations(conn, pks=lieu_pks, vis=vis), lieu_pks):
            out.append(bundle.entry(base, _shape(q, resources.location(row)), "include", _distance(km.get(row["id"]))))
        own = [r["id"] for r in offer_rows if r["lieu_derive"]]
        for row in _ordered(derived.derived_rows(conn, pks=own, vis=vis), own) if own else []:
            km_derived = _distance(dist[row["id"]]["d_derived"])
            out.append(bundle.entry(base, _shape(q, derived.location(row)), "include", km_derived))
    if "organization" in q.includes:
        keys = list(dict.fromkeys(("oi", r["oi_pk"]) if r["oi_pk"] else ("eg", r["eg_pk"])
                                  for r in offer_rows if r["oi_pk"] or r["eg_pk"]))
        seen = set(keys)
        frontier = set(keys)
        while q.iterate_partof and frontier:
            frontier = rows.parents(conn, frontier) - seen
            keys.extend(sorted(frontier))
            seen |= frontier
        out += [bundle.entry(base, _shape(q, res), "include") for res in _organizations(conn, keys, vis)]
    return out


def _organizations(conn: Conn, keys: list[tuple[str, int]], vis: Visibility) -> list[dict[str, Any]]:
    """Organizations for (kind, pk) keys, in order (an OI that is not visible is left out)."""
    by_key: dict[tuple[str, int], dict[str, Any]] = {}
    oi_pks = [pk for k, pk in keys if k == "oi"]
    if oi_pks:
        by_key.update({("oi", r["id"]): resources.internal_organisation(r)
                       for r in rows.internal_organisations(conn, pks=oi_pks, vis=vis)})
    for kind, fetch, build in (("eg", rows.establishments, resources.establishment),
                               ("ej", rows.legal_entities, resources.legal_entity)):
        pks = [pk for k, pk in keys if k == kind]
        if pks:
            by_key.update({(kind, r["id"]): build(r) for r in fetch(conn, pks=pks)})
    return [by_key[k] for k in keys if k in by_key]


def check_type(rtype: str) -> None:
    """Raise NotFound for a resource type this server does not serve."""
    if rtype not in SUPPORTED:
        raise NotFound(f"Type de ressource « {rtype[:40]} » non pris en charge (types servis : "
                       f"{', '.join(SUPPORTED)}).")


__all__ = ["SUPPORTED", "check_type", "read", "search"]
