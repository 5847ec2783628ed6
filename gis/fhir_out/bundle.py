"""Searchset Bundles and OperationOutcome resources (pure functions)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from gis.fhir_out.codes import COVERAGE_MOTIF, LOCATION_DISTANCE, SUBSETTED

#: FHIR issue code and HTTP status of each kind of error.
ISSUE_STATUS = {"not-found": 404, "invalid": 400, "not-supported": 400, "exception": 500, "transient": 503,
                "processing": 422}


def operation_outcome(text: str, code: str = "invalid", severity: str = "error") -> dict[str, Any]:
    """Return an OperationOutcome with one issue (French text)."""
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": severity, "code": code, "diagnostics": text, "details": {"text": text}}]}


def distance_extension(km: float) -> dict[str, Any]:
    """Return the core ``location-distance`` extension of a search entry."""
    return {"url": LOCATION_DISTANCE, "valueDistance": {
        "value": round(km, 3), "unit": "km", "system": "http://unitsofmeasure.org", "code": "km"}}


def motif_extension(motif: str, label: str, partial: bool) -> dict[str, Any]:
    """Return the ror-gis ``ror-gis-coverage-motif`` extension: why an offer covers the commune asked for."""
    return {"url": COVERAGE_MOTIF, "extension": [
        {"url": "motif", "valueCode": motif},
        {"url": "libelle", "valueString": label},
        {"url": "partielle", "valueBoolean": partial},
    ]}


def entry(base: str, resource: dict[str, Any], mode: str, extensions: list[dict[str, Any]] | None = None
          ) -> dict[str, Any]:
    """Return a Bundle entry with ``fullUrl`` and ``search.mode``."""
    search: dict[str, Any] = {"mode": mode}
    if extensions:
        search["extension"] = extensions
    out: dict[str, Any] = {"resource": resource, "search": search}
    if resource.get("id"):
        out = {"fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}", **out}
    return out


def subset(resource: dict[str, Any], elements: list[str]) -> dict[str, Any]:
    """``_elements``: the resource with only the listed top-level elements (tagged SUBSETTED)."""
    keep = {"resourceType", "id", "meta", *elements}
    out = {k: v for k, v in resource.items() if k in keep}
    meta = dict(out.get("meta") or {})
    meta["tag"] = [*meta.get("tag", []), SUBSETTED]
    out["meta"] = meta
    return out


def links(base: str, rtype: str, items: list[tuple[str, str]], offset: int, count: int, total: int | None,
          page_size: int) -> list[dict[str, Any]]:
    """``self``, ``first``, ``previous`` and ``next`` links (offset paging with ``_offset``)."""
    kept = [(k, v) for k, v in items if k != "_offset"]

    def url(at: int | None) -> str:
        pairs = kept + ([("_offset", str(at))] if at else [])
        return f"{base}/{rtype}" + (f"?{urlencode(pairs)}" if pairs else "")

    out = [{"relation": "self", "url": url(offset)}, {"relation": "first", "url": url(0)}]
    if offset > 0 and count > 0:
        out.append({"relation": "previous", "url": url(max(0, offset - count))})
    more = page_size == count and count > 0 if total is None else offset + page_size < total
    if more:
        out.append({"relation": "next", "url": url(offset + count)})
    return out


def searchset(entries: list[dict[str, Any]], link: list[dict[str, Any]], total: int | None) -> dict[str, Any]:
    """Return a searchset Bundle."""
    out: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset"}
    if total is not None:
        out["total"] = total
    if link:
        out["link"] = link
    if entries:
        out["entry"] = entries
    return out
