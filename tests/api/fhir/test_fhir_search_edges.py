"""/fhir searches at their edges, over a real socket: impossible dates, the Locations derived from offers without a
place in the place-based searches, the identifiers the service publishes, unknown parameters and the links."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.fhir.client_support import get
from tests.fhir_support import (
    CNSA_EG_ARRONDISSEMENT,
    CNSA_EG_POSTCODE,
    CNSA_IDENTIFIER,
    CNSA_OFFER,
    CNSA_SENSITIVE,
    ROR_OFFER_CNSA_FIGURE,
    ROR_PLACE_WITHOUT_LINES,
)

DERIVED = f"offre-{CNSA_OFFER}-lieu"
HIDDEN = f"offre-{CNSA_SENSITIVE}-lieu"
NEAR_EG = "48.8417|2.3|1|km"  # the EG of the CNSA units (tests.fhir_support.EGS)


def ids(bundle: dict[str, Any], mode: str = "match") -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == mode]


def walk(client: httpx.Client, path: str, params: list[tuple[str, str]]) -> tuple[list[str], int]:
    """Every match over the ``next`` links, and the total of the first page."""
    b = get(client, path, params=params)
    total, seen = b["total"], ids(b)
    while nxt := next((link["url"] for link in b["link"] if link["relation"] == "next"), None):
        b = get(client, nxt.replace(str(client.base_url).rstrip("/"), ""))
        seen += ids(b)
    return seen, total


@pytest.mark.parametrize("resource", ["HealthcareService", "Location", "Organization"])
@pytest.mark.parametrize("value", ["gt2026-02-30", "2026-13", "lt2026-01-01T25:00:00Z", "ge2026-01-01T10:00:00+99:00",
                                  "0000", "eq2026-00-10", "2026-04-31T10:00"])
def test_impossible_dates_are_400_operation_outcomes_in_french(fhir, resource, value):
    oo = get(fhir, f"/{resource}", 400, params={"_lastUpdated": value})
    assert oo["issue"][0]["code"] == "invalid"
    assert "Paramètre « _lastUpdated » : date impossible" in oo["issue"][0]["diagnostics"]


def test_possible_dates_still_work(fhir):
    for value in ("gt2026-02-28", "lt2028-02-29", "ge2026-01-01T10:00:00+14:00", "le2999-12"):
        get(fhir, "/Location", params={"_lastUpdated": value})


def test_offer_searches_by_place_find_the_derived_location(fhir):
    """An offer without a place is found by its derived Location's commune, postcode, point and id."""
    by_cog = get(fhir, "/HealthcareService", params={"location.commune-cog": CNSA_EG_ARRONDISSEMENT, "_count": "1000"})
    assert {CNSA_OFFER, ROR_OFFER_CNSA_FIGURE} <= set(ids(by_cog)) and CNSA_SENSITIVE not in ids(by_cog)
    by_cp = get(fhir, "/HealthcareService", params={"location.address-postalcode": CNSA_EG_POSTCODE,
                                                   "_count": "1000"})
    assert CNSA_OFFER in ids(by_cp) and CNSA_SENSITIVE not in ids(by_cp)
    near = get(fhir, "/HealthcareService", params=[("location.near", NEAR_EG), ("_count", "1000"),
                                                  ("_include", "HealthcareService:location")])
    assert CNSA_OFFER in ids(near) and DERIVED in ids(near, "include") and CNSA_SENSITIVE not in ids(near)
    km = {e["resource"]["id"]: e["search"]["extension"][0]["valueDistance"]["value"] for e in near["entry"]
          if e["search"]["mode"] == "include"}
    assert km[DERIVED] == 0  # at the EG's point
    # an offer with a place and a derived Location: each included Location carries its own distance (here the same
    # point: the derived Location of an offer that has a point is at that point)
    assert km[ROR_PLACE_WITHOUT_LINES] == km[f"offre-{ROR_OFFER_CNSA_FIGURE}-lieu"] == pytest.approx(0.013, abs=0.002)
    assert ids(get(fhir, "/HealthcareService", params={"location": f"Location/{DERIVED}"})) == [CNSA_OFFER]
    by_insee = get(fhir, "/HealthcareService", params={"location.near-insee-code": f"{CNSA_EG_ARRONDISSEMENT}|3|km",
                                                      "_count": "1000"})
    assert CNSA_OFFER in ids(by_insee)
    assert CNSA_OFFER not in ids(get(fhir, "/HealthcareService", params={"location.commune-cog": "75114",
                                                                         "_count": "1000"}))


def test_location_searches_return_derived_locations_as_read(fhir):
    near = get(fhir, "/Location", params={"near": NEAR_EG, "_count": "1000"})
    assert {DERIVED, ROR_PLACE_WITHOUT_LINES, f"offre-{ROR_OFFER_CNSA_FIGURE}-lieu"} <= set(ids(near))
    assert HIDDEN not in ids(near)
    entry = next(e for e in near["entry"] if e["resource"]["id"] == DERIVED)
    assert entry["resource"] == get(fhir, f"/Location/{DERIVED}")
    assert entry["fullUrl"].endswith(f"/Location/{DERIVED}")
    distances = [e["search"]["extension"][0]["valueDistance"]["value"] for e in near["entry"]]
    assert distances == sorted(distances) and distances[0] < 0.01
    cog = next(e for e in entry["resource"]["extension"] if e["url"].endswith("/ror-commune-cog"))
    assert cog["valueCodeableConcept"]["coding"][0]["code"] == CNSA_EG_ARRONDISSEMENT
    assert DERIVED in ids(get(fhir, "/Location", params={"commune-cog": CNSA_EG_ARRONDISSEMENT, "_count": "1000"}))
    assert DERIVED not in ids(get(fhir, "/Location", params={"commune-cog": "75056", "_count": "1000"}))
    assert DERIVED in ids(get(fhir, "/Location", params={"address-postalcode": "7501", "_count": "1000"}))
    assert ids(get(fhir, "/Location", params={"_id": DERIVED})) == [DERIVED]
    get(fhir, f"/Location/{HIDDEN}", 404)
    assert ids(get(fhir, "/Location", params={"_id": HIDDEN})) == []


def test_location_paging_and_totals_stay_exact_with_derived_locations(fhir):
    everything, total = walk(fhir, "/Location", [("_count", "7")])
    assert len(everything) == len(set(everything)) == total
    assert get(fhir, "/Location", params={"_summary": "count"})["total"] == total
    assert DERIVED in everything and HIDDEN not in everything and ROR_PLACE_WITHOUT_LINES in everything
    near, near_total = walk(fhir, "/Location", [("near", NEAR_EG), ("_count", "2")])
    assert len(near) == len(set(near)) == near_total >= 3
    offers, offers_total = walk(fhir, "/HealthcareService", [("location.near", NEAR_EG), ("_count", "2")])
    assert len(offers) == len(set(offers)) == offers_total and CNSA_OFFER in offers


def test_every_published_identifier_is_searchable(fhir):
    offers = get(fhir, "/HealthcareService", params={"_elements": "identifier", "_count": "1000"})
    published = {e["resource"]["id"]: e["resource"]["identifier"][0]["value"] for e in offers["entry"]}
    assert published[CNSA_OFFER] == CNSA_IDENTIFIER
    for lid, value in published.items():
        escaped = value.replace(",", "\\,").replace("|", "\\|")
        for query in (escaped, f"|{escaped}", f"urn:example|{escaped}"):
            assert lid in ids(get(fhir, "/HealthcareService", params={"identifier": query, "_count": "1000"})), query
    orgs = get(fhir, "/Organization", params={"_count": "1000"})
    for org in (e["resource"] for e in orgs["entry"]):
        for ident in org.get("identifier", []):
            query = f"{ident['system']}|{ident['value']}"
            assert org["id"] in ids(get(fhir, "/Organization", params={"identifier": query, "_count": "1000"}))
    both = get(fhir, "/HealthcareService", params={"identifier": f"{CNSA_IDENTIFIER},11/oi-offre-1"})
    assert sorted(ids(both)) == sorted([CNSA_OFFER, "oi-offre-1"])


@pytest.mark.parametrize("value", ["x" * 201, "a\x00b", "11/1\n2", "|", "bad system|11/1"])
def test_hostile_identifiers_are_400_in_french(fhir, value):
    oo = get(fhir, "/HealthcareService", 400, params={"identifier": value})
    assert oo["issue"][0]["code"] == "invalid" and "Paramètre « identifier »" in oo["issue"][0]["diagnostics"]


def test_unknown_parameters_are_not_claimed_in_the_links(fhir):
    b = get(fhir, "/HealthcareService", params=[("foo", "bar"), ("_count", "2"), ("service-category", "30"),
                                               ("name:contains", "x")])
    links = {link["relation"]: link["url"] for link in b["link"]}
    assert all("foo" not in url and "name" not in url for url in links.values())
    assert "service-category=30" in links["self"] and "_count=2" in links["self"] and "_offset=2" in links["next"]
    outcome = [e["resource"] for e in b["entry"] if e["search"]["mode"] == "outcome"]
    assert "foo" in outcome[0]["issue"][0]["diagnostics"]  # ignored, and said so
    counted = get(fhir, "/HealthcareService", params={"service-category": "30", "_summary": "count"})
    assert counted["total"] == b["total"]
    strict = get(fhir, "/Location", 400, params={"foo": "bar"}, headers={"Prefer": "handling=strict"})
    assert "foo" in strict["issue"][0]["diagnostics"]
