"""Features of an OGC collection: FeatureCollections and Features built by PostGIS as JSON text.

One statement per page: the number matched and the page's features (``json_build_object`` and
``ST_AsGeoJSON`` in SQL, aggregated by ``json_agg``); Python never loops over the features.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import sql

from gis.db import Conn
from gis.errors import InvalidInput, NotFound
from gis.layers.filters import CODE_RE, Filters, check_codes, validate_filters
from gis.layers.ogc import cql
from gis.layers.ogc.registry import Collection, column

MAX_LIMIT = 10_000
SRIDS = {4326: 6, 2154: 2}  # supported output CRS -> coordinate decimals
_SORT_RE = re.compile(r"^([+-]?)([A-Za-z_][A-Za-z0-9_]{0,62})$")


@dataclass
class ItemsQuery:
    """What a client asked for: paging, bbox, properties, sorting, CQL2 filter, CRS, collection params."""

    limit: int = 10
    offset: int = 0
    bbox: list[float] | None = None
    bbox_srid: int = 4326
    properties: list[str] | None = None
    sortby: list[str] = field(default_factory=list)
    filter: dict[str, Any] | None = None
    filter_srid: int = 4326
    srid: int = 4326
    args: dict[str, str] = field(default_factory=dict)
    catalog: Mapping[str, frozenset[str]] | None = None  # in-memory nomenclatures: codes checked without SQL


def check_page(limit: int, offset: int) -> None:
    """Raise InvalidInput unless ``1 <= limit <= MAX_LIMIT`` and ``offset >= 0``."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit : entre 1 et {MAX_LIMIT}.")
    if not 0 <= offset <= 10**9:
        raise InvalidInput("offset : entier positif ou nul.")


def collection_params(conn: Conn, coll: Collection, args: dict[str, str],
                      catalog: Mapping[str, frozenset[str]] | None = None) -> dict[str, Any]:
    """Hold the validated parameters of a parameterised collection (e.g. ``type_offre`` of ``couverture``).

    Raises
    ------
    InvalidInput
        A code is malformed or unknown.
    """
    params: dict[str, Any] = {}
    for p in coll.params:
        codes = [c for c in re.split(r"[,\s]+", args.get(p.name, "") or "") if c]
        if not codes:
            params[p.name] = None  # absent: no restriction (e.g. every type d'offre)
            continue
        if any(not CODE_RE.match(c) for c in codes):
            raise InvalidInput(f"{p.name} : code(s) mal formé(s).")
        if p.name == "type_offre":
            if catalog is not None:
                check_codes(Filters(type_offre=codes), catalog)
            else:
                validate_filters(conn, Filters(type_offre=codes))
        params[p.name] = codes
    return params


def _geometry(srid: int) -> sql.Composable:
    if srid == 4326:
        return sql.SQL("ST_AsGeoJSON(t.geom, 6)::json")
    return sql.SQL("ST_AsGeoJSON(ST_Transform(t.geom, {}), {}, 0)::json").format(
        sql.Literal(srid), sql.Literal(SRIDS[srid]))


def selected_props(coll: Collection, properties: list[str] | None) -> tuple[str, ...]:
    """Return the properties to output.

    Parameters
    ----------
    coll : Collection
    properties : list of str, optional
        Names asked for (``properties=`` parameter); None means every property.

    Returns
    -------
    tuple of str

    Raises
    ------
    InvalidInput
        For a name that is not a property of ``coll``.
    """
    if properties is None:
        return coll.prop_names
    unknown = [p for p in properties if coll.prop(p) is None]
    if unknown:
        raise InvalidInput(f"properties : propriété(s) inconnue(s) {', '.join(u[:40] for u in unknown)} "
                           f"(permises : {', '.join(coll.prop_names)}).")
    return tuple(properties)


def feature_sql(coll: Collection, props: tuple[str, ...], srid: int) -> sql.Composable:
    """``json_build_object`` of one GeoJSON Feature from a row ``t`` of the collection source."""
    return sql.SQL(_feature_text(coll.id, props, srid))


@lru_cache(maxsize=512)
def _feature_text(collection_id: str, props: tuple[str, ...], srid: int) -> str:
    """Return the feature expression as text, composed once per collection, property list and CRS."""
    pairs = sql.SQL(", ").join(sql.SQL("{}, {}").format(sql.Literal(p), column(p)) for p in props)
    return sql.SQL(
        "json_build_object('type', 'Feature', 'id', t.id, 'geometry', {}, 'properties', json_build_object({}))"
    ).format(_geometry(srid), pairs).as_string(None)


def where_sql(conn: Conn, coll: Collection, q: ItemsQuery,
              params: dict[str, Any]) -> sql.Composable:
    """Return the WHERE condition (on alias ``t``) of the collection parameters, ``bbox`` and ``filter``.

    Parameters
    ----------
    conn : Conn
        Used to check the codes of a parameterised collection.
    coll : Collection
    q : ItemsQuery
    params : dict
        Named parameters of the statement, completed in place (every value is bound).

    Returns
    -------
    psycopg.sql.Composable
    """
    params.update(collection_params(conn, coll, q.args, q.catalog))
    conditions: list[sql.Composable] = [sql.SQL("TRUE")]
    if q.bbox is not None:
        if len(q.bbox) not in (4, 6):
            raise InvalidInput("bbox : 4 nombres attendus (ouest, sud, est, nord).")
        box = [q.bbox[0], q.bbox[1], q.bbox[3], q.bbox[4]] if len(q.bbox) == 6 else q.bbox
        params.update({"bx0": box[0], "by0": box[1], "bx1": box[2], "by1": box[3], "bsrid": q.bbox_srid})
        env: sql.Composable = sql.SQL("ST_MakeEnvelope(%(bx0)s, %(by0)s, %(bx1)s, %(by1)s, %(bsrid)s)")
        if q.bbox_srid != 4326:
            env = sql.SQL("ST_Transform({}, 4326)").format(env)
        conditions.append(sql.SQL("ST_Intersects(t.geom, {})").format(env))
    if q.filter is not None:
        conditions.append(cql.to_sql(q.filter, coll, params, srid=q.filter_srid))
    return sql.SQL(" AND ").join(conditions)


def order_sql(coll: Collection, sortby: list[str]) -> sql.Composable:
    """Return the ORDER BY keys of ``sortby``, always ending with the id so that pages are stable.

    Parameters
    ----------
    coll : Collection
    sortby : list of str
        ``nom``, ``+nom`` (ascending) or ``-population`` (descending); empty for the collection's default.

    Returns
    -------
    psycopg.sql.Composable

    Raises
    ------
    InvalidInput
        For an unknown property.
    """
    return sql.SQL(_order_text(coll, tuple(item.strip() for item in sortby)))


@lru_cache(maxsize=1024)
def _order_text(coll: Collection, sortby: tuple[str, ...]) -> str:
    keys: list[sql.Composable] = []
    names = []
    for item in sortby:
        m = _SORT_RE.match(item)
        if not m or (m.group(2) != "id" and coll.prop(m.group(2)) is None):
            raise InvalidInput(f"sortby : propriété inconnue « {item[:40]} » "
                               f"(permises : {', '.join(coll.prop_names)}).")
        names.append(m.group(2))
        direction = sql.SQL("DESC NULLS LAST" if m.group(1) == "-" else "ASC NULLS LAST")
        keys.append(sql.SQL("{} {}").format(column(m.group(2)), direction))
    for name in (*(() if sortby else coll.default_sort), "id"):
        if name not in names:
            keys.append(column(name))
            names.append(name)
    return sql.SQL(", ").join(keys).as_string(None)


_WHERE = "\x00where\x00"
WHERE_SLOT = sql.SQL(_WHERE)  # stands for the WHERE condition in a cached statement template


def with_where(template: str, where: sql.Composable) -> sql.Composed:
    """Return a cached statement template (text with :data:`WHERE_SLOT`) with the request's condition put in.

    Composing identifiers and literals costs milliseconds per request; templates are composed once.
    """
    parts = template.split(_WHERE)
    out: list[sql.Composable] = [sql.SQL(parts[0])]
    for part in parts[1:]:
        out += [where, sql.SQL(part)]
    return sql.Composed(out)


def run_checked(conn: Conn, query: sql.Composable, params: dict[str, Any],
                filtered: bool, *, binary: bool = False) -> list[dict[str, Any]]:
    """Run ``query``; with a client filter, a data or geometry error of PostgreSQL is the client's (422).

    ``binary`` asks for results in binary format (bytea without hex decoding, e.g. MVT tiles).
    """
    try:
        with conn.cursor(binary=binary) as cur:
            rows: list[dict[str, Any]] = cur.execute(query, params).fetchall()  # type: ignore[call-overload]
            return rows
    except (psycopg.errors.DataException, psycopg.errors.InternalError_) as exc:
        if not filtered:
            raise
        raise InvalidInput("Géométrie ou valeur du filtre invalide.") from exc


def items(conn: Conn, coll: Collection, q: ItemsQuery) -> tuple[int, int, str]:
    """One page of features.

    Parameters
    ----------
    conn : Conn
    coll : Collection
    q : ItemsQuery

    Returns
    -------
    tuple
        ``(number_matched, number_returned, features)``, ``features`` being the JSON text of the array of
        GeoJSON Features, built by PostgreSQL.
    """
    check_page(q.limit, q.offset)
    params: dict[str, Any] = {"limit": q.limit, "offset": q.offset}
    where = where_sql(conn, coll, q, params)
    order = order_sql(coll, q.sortby).as_string(None)
    template = _items_text(coll, selected_props(coll, q.properties), q.srid, order)
    query = with_where(template, where)
    row = run_checked(conn, query, params, q.filter is not None or q.bbox is not None)[0]
    return int(row["matched"]), int(row["returned"]), row["features"]


@lru_cache(maxsize=512)
def _items_text(coll: Collection, props: tuple[str, ...], srid: int, order: str) -> str:
    return sql.SQL("""
        SELECT m.matched, p.returned, p.features
          FROM (SELECT count(*) AS matched FROM ({src}) t WHERE {where}) m,
               (SELECT count(*) AS returned, coalesce(json_agg(x.f), '[]')::text AS features
                  FROM (SELECT {feature} AS f FROM ({src}) t WHERE {where}
                         ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s) x) p
    """).format(src=sql.SQL(coll.source), where=WHERE_SLOT, order=sql.SQL(order),
                feature=feature_sql(coll, props, srid)).as_string(None)


def item(conn: Conn, coll: Collection, feature_id: str, q: ItemsQuery) -> str:
    """One GeoJSON Feature as JSON text.

    Raises
    ------
    NotFound
        When the collection has no feature with that id.
    """
    params: dict[str, Any] = {"fid": feature_id[:200]}
    params.update(collection_params(conn, coll, q.args, q.catalog))
    query = sql.SQL(_item_text(coll, selected_props(coll, q.properties), q.srid))
    row = conn.execute(query, params).fetchone()
    if row is None:
        raise NotFound(f"Aucune entité « {feature_id[:60]} » dans la collection {coll.id}.")
    return str(row["f"])


@lru_cache(maxsize=512)
def _item_text(coll: Collection, props: tuple[str, ...], srid: int) -> str:
    return sql.SQL("SELECT {feature}::text AS f FROM ({src}) t WHERE t.id = %(fid)s LIMIT 1").format(
        feature=feature_sql(coll, props, srid), src=sql.SQL(coll.source)).as_string(None)


def all_features(conn: Conn, coll: Collection, q: ItemsQuery) -> str:
    """Every matching feature (no paging), for downloads.

    Parameters
    ----------
    conn : Conn
    coll : Collection
    q : ItemsQuery
        ``bbox``, ``filter``, ``properties``, ``sortby``, ``srid`` and the collection parameters apply.

    Returns
    -------
    str
        A GeoJSON FeatureCollection built by PostgreSQL.
    """
    params: dict[str, Any] = {}
    where = where_sql(conn, coll, q, params)
    query = sql.SQL("""
        SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(x.f), '[]'))::text AS fc
          FROM (SELECT {feature} AS f FROM ({src}) t WHERE {where} ORDER BY {order}) x
    """).format(feature=feature_sql(coll, selected_props(coll, q.properties), q.srid),
                src=sql.SQL(coll.source), where=where, order=order_sql(coll, q.sortby))
    return str(run_checked(conn, query, params, q.filter is not None or q.bbox is not None)[0]["fc"])


def extent(conn: Conn, coll: Collection) -> list[float] | None:
    """Spatial extent of a collection.

    Parameters
    ----------
    conn : Conn
    coll : Collection

    Returns
    -------
    list of float or None
        ``[minx, miny, maxx, maxy]`` in CRS84, or None when the collection is empty.
    """
    row = conn.execute(sql.SQL(
        "SELECT ARRAY[ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)] AS b FROM ({}) x"
    ).format(sql.SQL(coll.extent_sql))).fetchone()
    if not row or not row["b"] or row["b"][0] is None:
        return None
    return [round(v, 6) for v in row["b"]]
