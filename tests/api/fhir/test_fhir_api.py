"""/fhir over a real socket: CapabilityStatement, reads, searches, Bundles, errors, paging, cache; every resource
and Bundle parses with the R4B models of fhir.resources."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.fhir.client_support import MODELS, get
from tests.fhir_support import CNSA_OFFER, ROR_OFFER_CNSA_FIGURE, ROR_PLACE_WITHOUT_LINES

COMMUNE = "https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM"
MOTIF = "https://ror-gis.example/fhir/StructureDefinition/ror-gis-coverage-motif"


def ids(bundle: dict[str, Any], mode: str = "match") -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == mode]


def test_metadata_lists_resources_and_custom_search_parameters(fhir):
    cs = get(fhir, "/metadata")
    rest = {r["type"]: r for r in cs["rest"][0]["resource"]}
    assert set(rest) >= {"HealthcareService", "Location", "Organization", "SearchParameter"}
    names = {p["name"] for p in rest["HealthcareService"]["searchParam"]}
    assert names >= {"intervention-zone", "couvre-commune", "service-category", "specialty", "characteristic",
                     "organization", "_lastUpdated", "location.near"}
    couvre = next(p for p in rest["HealthcareService"]["searchParam"] if p["name"] == "couvre-commune")
    sp = get(fhir, "/SearchParameter/" + couvre["definition"].rsplit("/", 1)[-1])
    assert sp["code"] == "couvre-commune" and sp["base"] == ["HealthcareService"]


def test_read_offer_in_ror_shape_with_public_contacts_only(fhir):
    hs = get(fhir, "/HealthcareService/cov-commune")
    assert hs["meta"]["profile"][0].endswith("/ror-healthcareservice")
    zone = [e for e in hs["extension"] if e["url"].endswith("/ror-territorial-division")]
    assert zone[0]["extension"][1]["valueCodeableConcept"]["coding"][0] == {"system": COMMUNE, "code": "93066"}
    contacts = [e for e in hs["extension"] if e["url"].endswith("/ror-healthcareservice-contact")]
    assert len(contacts) == 1 and "01 00 00 00 01" in str(contacts) and "06 00" not in str(hs)
    assert hs["providedBy"]["reference"] == "Organization/eg-930000001"
    eg = get(fhir, "/Organization/eg-930000001")
    assert eg["identifier"][0]["value"] == "930000001"


@pytest.mark.parametrize("path", ["/HealthcareService/cov-sensible", "/HealthcareService/cov-fermee",
                                  "/HealthcareService/nope", "/Location/nope", "/Organization/nope"])
def test_hidden_and_unknown_resources_are_404_operation_outcomes(fhir, path):
    oo = get(fhir, path, 404)
    assert oo["issue"][0]["code"] == "not-found" and "introuvable" in oo["issue"][0]["diagnostics"]


def test_organisations_internes_chain_and_includes(fhir):
    b = get(fhir, "/HealthcareService", params=[("_id", "oi-offre-1"), ("_include", "HealthcareService:organization"),
                                               ("_include:iterate", "Organization:partof")])
    assert ids(b) == ["oi-offre-1"]
    assert ids(b, "include") == ["oi-svc-1", "oi-pole-1", "eg-750099007", "ej-test-1"]
    hs = b["entry"][0]["resource"]
    assert hs["availableTime"][0]["daysOfWeek"] == ["mon"]
    assert all(e["fullUrl"].endswith(f"/{e['resource']['resourceType']}/{e['resource']['id']}") for e in b["entry"])


def test_intervention_zone_is_exact_and_couvre_commune_matches_the_json_api(fhir, fhir_server):
    exact = get(fhir, "/HealthcareService", params={"intervention-zone": f"{COMMUNE}|93066"})
    assert "cov-commune" in ids(exact) and "cov-region" not in ids(exact)
    assert not {"cov-sensible", "cov-fermee"} & set(ids(exact))
    covered = get(fhir, "/HealthcareService", params={"couvre-commune": "93066", "_count": "1000"})
    api = httpx.get(f"{fhir_server.url}/api/v1/communes/93066/services", params={"limit": 1000}).json()
    assert sorted(ids(covered)) == sorted(r["id"] for r in api["results"])
    assert covered["total"] == api["total"] > len(ids(exact))
    motifs = {e["resource"]["id"]: e["search"]["extension"][0] for e in covered["entry"]}
    assert motifs["cov-region"]["url"] == MOTIF
    assert {"url": "motif", "valueCode": "region"} in motifs["cov-region"]["extension"]
    former = get(fhir, "/HealthcareService", params={"couvre-commune": "93059", "_count": "1000"})
    assert "cov-ancien" in ids(former)


def test_token_parameters(fhir):
    b = get(fhir, "/HealthcareService", params=[("service-category", "30"), ("specialty", "293")])
    assert "cov-commune" in ids(b) and all(e["resource"]["category"][0]["coding"][0]["code"] == "30"
                                           for e in b["entry"])
    b = get(fhir, "/HealthcareService", params=[("characteristic", "https://mos.esante.gouv.fr/NOS/TRE_R210-"
                                                 "ActeSpecifique/FHIR/TRE-R210-ActeSpecifique|0784")])
    assert set(ids(b)) >= {"oi-offre-1", "oi-offre-2"}
    b = get(fhir, "/HealthcareService", params=[("organization", "Organization/oi-svc-1"), ("age-range-low", "ge70")])
    assert ids(b) == ["oi-offre-1", "oi-offre-2"]
    assert get(fhir, "/HealthcareService", params={"_lastUpdated": "ge2999-01-01"})["total"] == 0
    assert get(fhir, "/HealthcareService", params={"_lastUpdated": "le2999-01-01", "_summary": "count"})["total"] > 10


def test_paging_walks_every_offer_once(fhir):
    total = get(fhir, "/HealthcareService", params={"_summary": "count"})["total"]
    seen: list[str] = []
    url: str | None = "/HealthcareService?_count=7"
    while url:
        b = get(fhir, url.replace(str(fhir.base_url).rstrip("/"), ""))
        seen += ids(b)
        url = next((link["url"] for link in b["link"] if link["relation"] == "next"), None)
    assert len(seen) == len(set(seen)) == total
    second = get(fhir, "/HealthcareService", params={"_count": "7", "_offset": "7", "_total": "none"})
    assert "total" not in second and any(link["relation"] == "previous" for link in second["link"])


def test_near_returns_the_distance_as_the_national_api_does(fhir):
    b = get(fhir, "/Location", params={"near": "48.9601|2.8776|5|km"})
    assert "lieu-cov-located" in ids(b)
    ext = b["entry"][0]["search"]["extension"][0]
    assert ext["url"] == "http://hl7.org/fhir/StructureDefinition/location-distance"
    assert ext["valueDistance"]["unit"] == "km" and ext["valueDistance"]["value"] < 0.01
    hs = get(fhir, "/HealthcareService", params=[("location.near", "48.9601|2.8776|5|km"),
                                                ("_include", "HealthcareService:location")])
    assert "cov-located" in ids(hs)
    included = [e for e in hs["entry"] if e["search"]["mode"] == "include"]
    assert included and included[0]["search"]["extension"][0]["valueDistance"]["value"] < 0.01


@pytest.mark.parametrize("params", [{"_count": "abc"}, {"near": "x|y"}, {"_lastUpdated": "hier"},
                                    {"_include": "Patient:link"}, {"service-category": "a b"}])
def test_bad_values_are_400_operation_outcomes_in_french(fhir, params):
    resource = "Location" if "near" in params else "HealthcareService"
    oo = get(fhir, f"/{resource}", 400, params=params)
    assert oo["issue"][0]["code"] == "invalid" and "Paramètre" in oo["issue"][0]["diagnostics"]


def test_unknown_parameters_follow_prefer_handling(fhir):
    strict = get(fhir, "/HealthcareService", 400, params={"foo": "1"}, headers={"Prefer": "handling=strict"})
    assert "foo" in strict["issue"][0]["diagnostics"]
    r = fhir.get("/HealthcareService", params={"foo": "1", "_count": "1"}, headers={"Prefer": "handling=lenient"})
    assert r.status_code == 200 and "public" not in r.headers.get("cache-control", "")
    outcome = [e for e in r.json()["entry"] if e["search"]["mode"] == "outcome"]
    assert "foo" in outcome[0]["resource"]["issue"][0]["diagnostics"]
    assert all("foo" not in link["url"] for link in r.json()["link"])
    get(fhir, "/Patient", 404)


def test_couvre_commune_goes_through_the_response_cache(fhir):
    params = {"couvre-commune": "93066", "service-category": "30"}
    first = fhir.get("/HealthcareService", params=params)
    assert first.headers["cache-control"] == "public, max-age=60"
    second = fhir.get("/HealthcareService", params=params)
    assert second.headers.get("x-ror-cache") == "hit" and second.content == first.content


def test_elements_subsets(fhir):
    b = get(fhir, "/HealthcareService", params={"_elements": "id", "_count": "3"})
    assert all(set(e["resource"]) == {"resourceType", "id", "meta"} for e in b["entry"])
    assert b["entry"][0]["resource"]["meta"]["tag"][0]["code"] == "SUBSETTED"


def test_chained_location_and_organization_parameters(fhir):
    located = get(fhir, "/Location/lieu-cov-located")
    assert located["position"]["latitude"] == pytest.approx(48.9601)
    by_insee = get(fhir, "/HealthcareService", params={"location.near-insee-code": "77284|5|km"})
    assert "cov-located" in ids(by_insee)  # Meaux
    lieu = get(fhir, "/Location/lieu-oi-1")
    assert lieu["address"] == {"line": ["1 rue de Test"], "city": "Paris", "postalCode": "75014"}
    assert ids(get(fhir, "/Location", params={"commune-cog": "|75114"})) == ["lieu-oi-1"]
    assert ids(get(fhir, "/Location", params={"address-postalcode": "75014"})) == ["lieu-oi-1"]
    chained = get(fhir, "/HealthcareService", params={"location.commune-cog": "75114",
                                                     "_include": "HealthcareService:location"})
    assert ids(chained) == ["oi-offre-1"] and ids(chained, "include") == ["lieu-oi-1"]
    assert ids(get(fhir, "/HealthcareService", params={"location.address-postalcode": "75014"})) == ["oi-offre-1"]
    typed = get(fhir, "/HealthcareService", params={"organization.type": "460", "_count": "1000"})
    assert "cov-commune" in ids(typed) and "oi-offre-1" not in ids(typed)
    assert "oi-offre-1" in ids(get(fhir, "/HealthcareService", params={"age-range-high": "ge120", "_count": "1000"}))
    assert "oi-offre-1" not in ids(get(fhir, "/HealthcareService", params={"age-range-low": "lt60", "_count": "1000"}))


def test_organization_search(fhir):
    egs = get(fhir, "/Organization", params={"identifier": "930000001"})
    assert ids(egs) == ["eg-930000001"]
    parts = get(fhir, "/Organization", params={"partof": "oi-pole-1"})
    assert ids(parts) == ["oi-svc-1"]
    count = get(fhir, "/Organization", params={"_summary": "count"})
    assert count["total"] >= 8 and "entry" not in count and "link" not in count


def test_the_national_scenario_7_query_runs_as_written(fhir):
    """IG specifications_techniques_3 scenario 7 (home help whose zone contains a commune), with our commune."""
    nos = "https://mos.esante.gouv.fr/NOS"
    query = (f"intervention-zone={nos}/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM|93066"
             f"&specialty={nos}/TRE_R211-ActiviteOperationnelle/FHIR/TRE-R211-ActiviteOperationnelle|293"
             f"&service-category={nos}/TRE_R244-CategorieOrganisation/FHIR/TRE-R244-CategorieOrganisation|30"
             "&_include=HealthcareService:organization&_include:iterate=Organization:partof"
             "&_include=HealthcareService:location&_revinclude=PractitionerRole:service"
             "&_include=PractitionerRole:practitioner")
    r = fhir.get("/HealthcareService?" + query, headers={"Prefer": "handling=strict"})
    assert r.status_code == 200 and r.headers["cache-control"] == "public, max-age=60"
    MODELS["Bundle"].model_validate(r.json())
    assert "cov-commune" in ids(r.json()) and "eg-930000001" in ids(r.json(), "include")
    assert all(e["resource"]["resourceType"] != "PractitionerRole" for e in r.json()["entry"])


def test_source_region_tag(fhir):
    hs = get(fhir, "/HealthcareService/oi-offre-1")
    assert hs["meta"]["tag"] == [{"system": "https://mos.esante.gouv.fr/NOS/TRE_R30-RegionOM/FHIR/TRE-R30-RegionOM",
                                  "code": "11"}]
    tagged = get(fhir, "/HealthcareService", params={"_tag": "11", "_count": "1000"})
    assert "oi-offre-1" in ids(tagged) and "cov-commune" not in ids(tagged)  # no ROR identifier there
    assert get(fhir, "/HealthcareService", params={"_tag": "24", "_summary": "count"})["total"] == 0


def test_an_offer_without_place_publishes_its_capacity_on_a_derived_location(fhir):
    """A CNSA unit (capacity, no ROR Location): a Location derived from it carries the capacity and its source."""
    hs = get(fhir, f"/HealthcareService/{CNSA_OFFER}")
    lid = f"offre-{CNSA_OFFER}-lieu"
    assert hs["location"] == [{"reference": f"Location/{lid}"}]
    loc = get(fhir, f"/Location/{lid}")
    assert loc["identifier"] == [{"system": "https://ror-gis.example/fhir/lieu-deduit-offre", "value": CNSA_OFFER}]
    assert loc["managingOrganization"] == {"reference": "Organization/eg-750099001"}
    assert loc["position"] == {"longitude": 2.3, "latitude": 48.8417}  # the EG's point (tests.fhir_support.EGS)
    cog = next(e for e in loc["extension"] if e["url"].endswith("/ror-commune-cog"))
    assert cog["valueCodeableConcept"]["coding"][0]["code"] == "75115"  # the EG's arrondissement, not Paris (75056)
    (cap,) = [e for e in loc["extension"] if e["url"].endswith("/ror-location-supported-capacity")]
    sub = {s["url"]: s.get("valueInteger", s.get("valueCodeableConcept", {}).get("coding", [{}])[0].get("code"))
           for s in cap["extension"]}
    assert sub == {"nbCapacity": 80, "capacityStatus": "01", "capacityType": "02", "temporalityCapacity": "01"}
    (prov,) = [e for e in loc["extension"] if e["url"].endswith("/ror-gis-capacity-provenance")]
    assert {s["url"]: next(v for k, v in s.items() if k.startswith("value")) for s in prov["extension"]} == {
        "champ": "capacite", "source": "Annuaire CNSA", "millesime": "≈ 2021"}
    both = get(fhir, "/HealthcareService", params=[("_id", CNSA_OFFER), ("_include", "HealthcareService:location")])
    assert ids(both) == [CNSA_OFFER] and ids(both, "include") == [lid]
    assert [e["resource"] for e in both["entry"] if e["search"]["mode"] == "include"] == [loc]
    # Location searches find it (tests/api/fhir/test_fhir_search_edges.py); an offer with a place keeps its own
    assert lid in ids(get(fhir, "/Location", params={"near": "48.8417|2.3|1|km"}))
    assert get(fhir, "/HealthcareService/oi-offre-1")["location"] == [{"reference": "Location/lieu-oi-1"}]
    get(fhir, "/Location/offre-oi-offre-2-lieu", status=404)  # no capacity: no derived Location
    # a ROR offer that kept a CNSA figure on a place without capacity lines: its place, then the derived Location
    other = f"offre-{ROR_OFFER_CNSA_FIGURE}-lieu"
    assert get(fhir, f"/HealthcareService/{ROR_OFFER_CNSA_FIGURE}")["location"] == [
        {"reference": f"Location/{ROR_PLACE_WITHOUT_LINES}"}, {"reference": f"Location/{other}"}]
    assert "ror-location-supported-capacity" not in str(get(fhir, f"/Location/{ROR_PLACE_WITHOUT_LINES}"))
    assert '"nbCapacity", "valueInteger": 12' in str(get(fhir, f"/Location/{other}")).replace("'", '"')
