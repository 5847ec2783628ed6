"""Access-control fields fail closed (issue #9): a sensitive-unit flag that is not a clear false, or a
confidentiality level that is not 1/2/3, gives the most restrictive value and a warning row."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import pytest

from gis.importers.fhir import load_fhir
from gis.importers.fhir.mapping import level_of
from gis.importers.fhir.offer_mapping import contacts_of, flag_value, sensitive_unit

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "fhir"
SENSITIVE_URL = "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition/ror-healthcareservice-sensitive-unit"
LEVEL_URL = "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition/ror-confidentiality-level"
R283 = "https://mos.esante.gouv.fr/NOS/TRE_R283-NiveauConfidentialite/FHIR/TRE-R283-NiveauConfidentialite"


def _hs(*extensions: dict) -> dict:
    return {"resourceType": "HealthcareService", "id": "x", "extension": list(extensions)}


# (extension as written, sensitive?, warning expected?)
SENSITIVE_CASES = [
    ({"valueBoolean": True}, True, False),
    ({"valueBoolean": False}, False, False),
    ({"valueBoolean": "oui"}, True, True),
    ({"valueBoolean": "non"}, False, True),
    ({"valueInteger": 1}, True, True),
    ({"valueInteger": 0}, False, True),
    ({"valueInteger": 2}, True, True),
    ({"valueString": "true"}, True, True),
    ({"valueString": "false"}, False, True),
    ({"valueString": " FAUX "}, False, True),
    ({"valueString": "peut-être"}, True, True),
    ({"valueString": ""}, True, True),
    ({"valueCode": "Y"}, True, True),
    ({"valueCodeableConcept": {"coding": [{"code": "false"}]}}, True, True),
    ({}, True, True),  # extension without value
]


@pytest.mark.parametrize(("value", "sensitive", "warned"), SENSITIVE_CASES)
def test_sensitive_unit_fails_closed(value, sensitive, warned):
    warnings: list[str] = []
    assert sensitive_unit(_hs({"url": SENSITIVE_URL, **value}), warnings) is sensitive
    assert bool(warnings) is warned
    if warned and sensitive and flag_value(next(iter(value.values()), None)) is None:
        assert "traitée comme unité sensible" in warnings[0]


def test_no_extension_means_not_sensitive_and_any_unclear_flag_wins():
    assert sensitive_unit(_hs(), []) is False
    both = _hs({"url": SENSITIVE_URL, "valueBoolean": False}, {"url": SENSITIVE_URL, "valueString": "?"})
    assert sensitive_unit(both, []) is True


@pytest.mark.parametrize(
    ("code", "level", "warned"),
    [("1", "1", False), ("01", "1", False), ("2", "2", False), ("3", "3", False), ("4", "3", True),
     ("0", "3", True), ("X", "3", True), (None, "3", True)],
)
def test_confidentiality_level_fails_closed(code, level, warned):
    value = {"valueCodeableConcept": {"coding": [{"system": R283, "code": code}]}} if code else {}
    node = {"extension": [{"url": LEVEL_URL, **value}]}
    warnings: list[str] = []
    assert level_of(node, warnings) == level
    assert bool(warnings) is warned


def test_no_level_is_none_and_contact_stored_as_very_restricted():
    assert level_of({"extension": []}, []) is None
    hs = {"telecom": [{"system": "phone", "value": "01 99 00 00 00"}]}
    contacts, unqualified = contacts_of(hs)
    assert unqualified == 1 and contacts[0]["confidentialite"] == "3"


def _variant_bundle(tmp_path: Path) -> Path:
    """The collection fixture with one offer per sensitive-flag variant, and one unknown-level contact."""
    bundle = json.loads((FIXTURES / "collection.json").read_text(encoding="utf-8"))
    template = next(e for e in bundle["entry"] if e["resource"].get("id") == "hs-fixture-1")
    for i, (value, _sensitive, _warned) in enumerate(SENSITIVE_CASES):
        entry = copy.deepcopy(template)
        res = entry["resource"]
        res["id"] = f"hs-variant-{i}"
        res["identifier"] = [{"value": f"11/VARIANT{i}"}]
        res["extension"] = [e for e in res.get("extension", []) if not e["url"].endswith("sensitive-unit")]
        res["extension"].append({"url": SENSITIVE_URL, **value})
        entry["fullUrl"] = f"https://example.org/fhir/HealthcareService/hs-variant-{i}"
        bundle["entry"].append(entry)
    unknown = copy.deepcopy(template)
    unknown["resource"].update(id="hs-level-4", identifier=[{"value": "11/LEVEL4"}],
                               telecom=[{"system": "phone", "value": "01 99 00 00 44", "extension": [
                                   {"url": LEVEL_URL, "valueCodeableConcept": {"coding": [{"system": R283,
                                                                                            "code": "4"}]}}]}])
    unknown["fullUrl"] = "https://example.org/fhir/HealthcareService/hs-level-4"
    bundle["entry"].append(unknown)
    path = tmp_path / "variants.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


def test_each_variant_is_stored_fail_closed_with_a_warning_row(conn, tmp_path):
    report = load_fhir(conn, [_variant_bundle(tmp_path)], source="test-fail-closed", today=date(2026, 6, 1))
    assert report.rejected == []
    run_rows = conn.execute(
        "SELECT reference, motif FROM import_rejet WHERE run_id = %s AND gravite = 'alerte'", (report.run_id,)
    ).fetchall()
    for i, (_value, sensitive, warned) in enumerate(SENSITIVE_CASES):
        row = conn.execute("SELECT unite_sensible FROM offre WHERE ror_id = %s", (f"hs-variant-{i}",)).fetchone()
        assert row["unite_sensible"] is sensitive, SENSITIVE_CASES[i]
        motifs = [r["motif"] for r in run_rows if r["reference"] == f"HealthcareService/hs-variant-{i}"]
        assert any("Unité sensible" in m for m in motifs) is warned, (SENSITIVE_CASES[i], motifs)
    contacts = conn.execute("SELECT contacts FROM offre WHERE ror_id = 'hs-level-4'").fetchone()["contacts"]
    assert [c["confidentialite"] for c in contacts if c["valeur"] == "01 99 00 00 44"] == ["3"]
    assert any("Niveau de confidentialité « 4 » inconnu" in r["motif"] for r in run_rows
               if r["reference"] == "HealthcareService/hs-level-4")
