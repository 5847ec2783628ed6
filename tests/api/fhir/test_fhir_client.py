"""A FHIR client library (fhirpy, synchronous client) runs the searches against the live server."""

from __future__ import annotations

import pytest
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome, ResourceNotFound

ZONE = "https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM"


@pytest.fixture(scope="module")
def client(fhir_server) -> SyncFHIRClient:
    return SyncFHIRClient(fhir_server.url + "/fhir", extra_headers={"Accept": "application/fhir+json"})


def test_searches_with_fhirpy(client):
    offers = client.resources("HealthcareService")
    zone = offers.search(**{"intervention-zone": f"{ZONE}|93066"}).fetch_all()
    assert "cov-commune" in {r.id for r in zone}
    covering = offers.search(**{"couvre-commune": "93066"}).limit(5)
    everything = covering.fetch_all()  # follows the `next` links
    assert len(everything) == covering.count() > 5
    assert len({r.id for r in everything}) == len(everything)
    home = offers.search(**{"service-category": "30", "specialty": "293"}).fetch_all()
    assert home and all(r["category"][0]["coding"][0]["code"] == "30" for r in home)
    near = client.resources("Location").search(near="48.9601|2.8776|5|km").fetch_all()
    assert near[0].id == "lieu-cov-located"
    with_orgs = offers.search(_id="oi-offre-1").include("HealthcareService", "organization").fetch_raw()
    assert [e.resource.resourceType for e in with_orgs.entry] == ["HealthcareService", "Organization"]


def test_reads_with_fhirpy(client):
    offer = client.reference("HealthcareService", "cov-region").to_resource()
    assert offer["name"] == "Équipe régionale"
    eg = client.reference("Organization", offer["providedBy"]["reference"].split("/")[1]).to_resource()
    assert eg["identifier"][0]["value"] == "930000001"
    with pytest.raises((ResourceNotFound, OperationOutcome)):
        client.reference("HealthcareService", "cov-sensible").to_resource()
