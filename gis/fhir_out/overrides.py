"""Local overrides of zones d'intervention as a FHIR Bundle for the ROR support (pure functions).

Each overridden offer becomes a partial ``HealthcareService`` (id, identifier, name, the **local** zone as
``ror-territorial-division`` extensions, the polygon as the ror-gis geometry extension) tagged as a local override,
with an extension giving its provenance (the ROR source, who edited it and when) and the zone the ROR had sent. The
Bundle is a ``collection``: the support applies it to the ROR, it is not a transaction on the national server.
"""

from __future__ import annotations

from typing import Any

from gis.fhir_out.codes import EXT, ROR_GIS_SD, ZONE_GEOMETRY, ZONE_SYSTEM
from gis.fhir_out.resources import cc

OVERRIDE_EXTENSION = f"{ROR_GIS_SD}/ror-gis-zone-local-override"
OVERRIDE_TAG = {"system": "https://ror-gis.example/fhir/CodeSystem/tag", "code": "surcharge-zone-locale",
                "display": "Zone d'intervention modifiée localement (ror-gis)"}


def _division(kind: str, code: str) -> dict[str, Any]:
    system = ZONE_SYSTEM.get(kind)
    coding = {"system": system, "code": code} if system else {"code": code}
    return {"url": EXT["ror-territorial-division"], "extension": [
        {"url": "typeTerritorialDivision", "valueCodeableConcept": cc("type_division", kind)},
        {"url": "codeTerritorialDivision", "valueCodeableConcept": {"coding": [coding]}},
    ]}


def override_service(row: dict[str, Any]) -> dict[str, Any]:
    """Return the partial HealthcareService of one override row (:func:`gis.territories.editing.overrides`)."""
    provenance: list[dict[str, Any]] = [
        {"url": "source", "valueString": row["source_ror"]},
        {"url": "modifiePar", "valueString": row["modifie_par"]},
        {"url": "modifieLe", "valueDateTime": row["modifie_le"]},
        *({"url": "zoneRor", "extension": [
            {"url": "typeTerritorialDivision", "valueCode": d["type_division"]},
            {"url": "codeTerritorialDivision", "valueCode": d["code"]}]} for d in row["zone_ror"]),
    ]
    if row.get("polygone_ror"):
        provenance.append({"url": "polygoneRor", "valueString": row["polygone_ror"]})
    if row.get("conflit"):
        provenance.append({"url": "conflitImport", "valueString": f"zone différente reçue le {row['conflit']['le']}"})
    ext = [_division(k, c) for k, c in row["zones"]]
    if row.get("polygone"):
        ext.append({"url": ZONE_GEOMETRY, "valueString": row["polygone"]})
    ext.append({"url": OVERRIDE_EXTENSION, "extension": provenance})
    return {
        "resourceType": "HealthcareService",
        "id": row["ror_id"],
        "meta": {"tag": [OVERRIDE_TAG]},
        "identifier": [{"value": row.get("identifiant") or row["ror_id"]}],
        "name": row["nom"],
        "extension": ext,
    }


def overrides_bundle(rows: list[dict[str, Any]], *, base_url: str) -> dict[str, Any]:
    """Return a ``collection`` Bundle of the overridden offers' zones (``fullUrl`` under ``base_url``/fhir)."""
    base = base_url.rstrip("/")
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"{base}/fhir/HealthcareService/{r['ror_id']}", "resource": override_service(r)}
                      for r in rows]}
