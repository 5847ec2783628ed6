"""Query parameters of the OGC items and tiles requests, read once from the query string."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from api.routers.ogc.render import parse_crs
from gis.errors import InvalidInput
from gis.layers.ogc import cql
from gis.layers.ogc.features import MAX_LIMIT, ItemsQuery
from gis.layers.ogc.registry import Collection

RESERVED = frozenset({"f", "limit", "offset", "bbox", "bbox-crs", "crs", "properties", "sortby", "filter",
                      "filter-lang", "filter-crs", "datetime"})
DEFAULT_LIMIT = 10


def _int(request: Request, name: str, default: int, lowest: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"{name} : un entier est attendu.") from None
    if value < lowest:
        raise InvalidInput(f"{name} : doit être supérieur ou égal à {lowest}.")
    return value


def _floats(raw: str, name: str) -> list[float]:
    try:
        values = [float(v) for v in raw.split(",")]
    except ValueError:
        raise InvalidInput(f"{name} : nombres séparés par des virgules attendus.") from None
    if len(values) not in (4, 6) or any(v != v or v in (float("inf"), float("-inf")) for v in values):
        raise InvalidInput(f"{name} : 4 nombres attendus (ouest, sud, est, nord).")
    return values


def _names(raw: str | None) -> list[str] | None:
    if raw is None:
        return None
    return [p.strip() for p in raw.split(",") if p.strip()]


def _equalities(request: Request, coll: Collection) -> list[dict[str, Any]]:
    """``?nom=…&type=…``: equality on queryable properties (OGC Features Part 1, §7.15.8)."""
    out = []
    for name, value in request.query_params.multi_items():
        if name in RESERVED or any(p.name == name for p in coll.params):
            continue
        if name == "id" or coll.prop(name) is not None:
            out.append({"op": "=", "args": [{"property": name}, value]})
    return out


def items_query(request: Request, coll: Collection) -> ItemsQuery:
    """The :class:`ItemsQuery` of the request (InvalidInput on malformed parameters)."""
    qp = request.query_params
    conditions = _equalities(request, coll)
    if qp.get("filter"):
        conditions.append(cql.parse(qp["filter"], qp.get("filter-lang")))
    elif qp.get("filter-lang") and qp["filter-lang"].lower() not in ("cql2-text", "cql2-json"):
        raise InvalidInput("filter-lang : valeurs permises cql2-text, cql2-json.")
    expr = None
    if conditions:
        expr = conditions[0] if len(conditions) == 1 else {"op": "and", "args": conditions}
    bbox = _floats(qp["bbox"], "bbox") if qp.get("bbox") else None
    sortby = _names(qp.get("sortby")) or []
    return ItemsQuery(
        limit=min(_int(request, "limit", DEFAULT_LIMIT, 1), MAX_LIMIT),
        offset=min(_int(request, "offset", 0, 0), 10**9),
        bbox=bbox,
        bbox_srid=parse_crs(qp.get("bbox-crs"), "bbox-crs"),
        properties=_names(qp.get("properties")),
        sortby=sortby,
        filter=expr,
        filter_srid=parse_crs(qp.get("filter-crs"), "filter-crs"),
        srid=parse_crs(qp.get("crs")),
        args={p.name: qp.get(p.name, "") for p in coll.params},
        catalog=getattr(getattr(request.app.state, "data", None), "catalog", None),
    )
