"""What the /fhir API tests share: GET with status, media type and R4B validation of the body."""

from __future__ import annotations

from typing import Any

import httpx
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.healthcareservice import HealthcareService
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.searchparameter import SearchParameter

MODELS = {"Bundle": Bundle, "CapabilityStatement": CapabilityStatement, "HealthcareService": HealthcareService,
          "Location": Location, "OperationOutcome": OperationOutcome, "Organization": Organization,
          "SearchParameter": SearchParameter}


def get(client: httpx.Client, path: str, status: int = 200, **kw: Any) -> dict[str, Any]:
    """GET, check status and media type, and validate the body with its R4B model."""
    r = client.get(path, **kw)
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"].startswith("application/fhir+json")
    body = r.json()
    MODELS[body["resourceType"]].model_validate(body)
    return body
