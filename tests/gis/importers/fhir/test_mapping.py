"""Pure FHIR mapping (no database): organisations, places, offers, zones."""

from __future__ import annotations

from datetime import date

from gis.importers.fhir.mapping import finess_of, location_fields, organization_kind
from gis.importers.fhir.offer_mapping import ages_of, offer_fields, status_of
from gis.importers.fhir.zone_mapping import zone_geometries, zones_of

FINESS = "http://finess.esante.gouv.fr"
R66 = "https://mos.esante.gouv.fr/NOS/TRE_R66-CategorieEtablissement/FHIR/TRE-R66-CategorieEtablissement"
R201 = "https://mos.esante.gouv.fr/NOS/TRE_R201-TypeDivisionTerritoriale/FHIR/TRE-R201-TypeDivisionTerritoriale"


def test_finess_of_uses_the_one_rule():
    assert finess_of({"identifier": [{"system": FINESS, "value": "750099992"}]}) == "750099992"
    assert finess_of({"identifier": [{"system": FINESS, "value": "9D0000001"}]}) is None
    assert finess_of({"identifier": [{"system": "urn:oid:1.2.250.1.71.4.2.2", "value": "1750099992"}]}) == "750099992"


def test_organization_kind_from_type_identifiers_and_parent():
    assert organization_kind({"type": [{"coding": [{"system": R66, "code": "500"}]}]}, None) == "EG"
    assert organization_kind({"identifier": [{"system": FINESS, "value": "750099991"}]}, None) == "EJ"
    with_parent = {"identifier": [{"system": FINESS, "value": "750099992"}], "partOf": {"reference": "x"}}
    assert organization_kind(with_parent, None) == "EG"
    assert organization_kind({"name": "?"}, "EG") == "OI"
    assert organization_kind({"name": "?"}, None) is None


def test_location_position_and_invalid_position():
    fields, warnings = location_fields({"position": {"latitude": 48.85, "longitude": 2.35}, "name": " A  b "})
    assert fields["point"] == (48.85, 2.35) and fields["nom"] == "A b" and warnings == []
    fields, warnings = location_fields({"position": {"latitude": 148.0, "longitude": 2.35}})
    assert fields["point"] is None and len(warnings) == 1


def test_status_and_ages():
    hs = {"notAvailable": [{"during": {"start": "2026-01-01", "end": "2026-12-31"}}]}
    assert status_of(hs, date(2026, 6, 1))["statut"] == "fermee_temporairement"
    assert status_of(hs, date(2027, 6, 1))["statut"] == "ouverte"
    assert status_of({"active": False}, date(2026, 6, 1))["statut"] == "fermee"
    ages = {"extension": [{"url": "x/ror-healthcareservice-patient-type", "extension": [
        {"url": "ageRange", "valueRange": {"low": {"value": 18, "code": "mo"}, "high": {"value": 60}}}]}]}
    assert ages_of(ages) == ([], 1, 60)


def test_offer_fields_warn_on_inverted_ages_and_unqualified_contacts():
    hs = {
        "identifier": [{"value": "11/1"}], "name": "Offre",
        "telecom": [{"system": "phone", "value": "01 99 00 00 00"}],
        "extension": [{"url": "x/ror-healthcareservice-patient-type", "extension": [
            {"url": "ageRange", "valueRange": {"low": {"value": 60}, "high": {"value": 18}}}]}],
    }
    fields, warnings = offer_fields(hs, date(2026, 6, 1))
    assert (fields["age_min"], fields["age_max"], fields["unite_sensible"]) == (None, None, False)
    assert any("Âge minimum" in w for w in warnings) and any("confidentialité" in w for w in warnings)


def test_zones_and_polygons():
    hs = {"extension": [
        {"url": "x/ror-territorial-division", "extension": [
            {"url": "typeTerritorialDivision", "valueCodeableConcept": {"coding": [{"system": R201, "code": "3"}]}},
            {"url": "codeTerritorialDivision", "valueCodeableConcept": {"coding": [{"code": "93066"}]}}]},
        {"url": "x/ror-territorial-division", "extension": [
            {"url": "codeTerritorialDivision", "valueCodeableConcept": {"coding": [{"code": "93"}]}}]},
        {"url": "x/ror-gis-intervention-zone-geometry",
         "valueString": '{"type": "Polygon", "coordinates": [[[2, 48], [2.1, 48], [2.1, 48.1], [2, 48]]]}'},
        {"url": "x/ror-gis-intervention-zone-geometry", "valueString": '{"type": "Point", "coordinates": [2, 48]}'},
    ]}
    zones, warnings = zones_of(hs)
    assert [(k, c) for k, c, _ in zones] == [("3", "93066"), ("2", "93")] and "déduit" in warnings[0]
    geoms, warnings = zone_geometries(hs)
    assert [g["type"] for g in geoms] == ["Polygon"] and len(warnings) == 1
