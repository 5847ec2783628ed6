"""End to end (import → live API over a real socket): a unit whose sensitive flag is not a clear
false is never published; a clear false is (issue #9, fail closed)."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

from gis.db import connect
from gis.importers.fhir import load_fhir

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fhir"
SENSITIVE_URL = "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition/ror-healthcareservice-sensitive-unit"
VARIANTS = {"oui": {"valueBoolean": "oui"}, "un": {"valueInteger": 1}, "texte-true": {"valueString": "true"},
            "vide": {}, "non": {"valueString": "non"}, "faux": {"valueBoolean": False}}
PUBLISHED = {"non", "faux"}


def _bundle(tmp_path: Path) -> Path:
    bundle = json.loads((FIXTURES / "collection.json").read_text(encoding="utf-8"))
    template = next(e for e in bundle["entry"] if e["resource"].get("id") == "hs-fixture-1")
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "HealthcareService"]
    for name, value in VARIANTS.items():
        entry = copy.deepcopy(template)
        res = entry["resource"]
        res.update(id=f"hs-sensible-{name}", identifier=[{"value": f"11/SENSIBLE-{name}"}])
        res["extension"] = [e for e in res.get("extension", []) if not e["url"].endswith("sensitive-unit")]
        res["extension"].append({"url": SENSITIVE_URL, **value})
        entry["fullUrl"] = f"https://example.org/fhir/HealthcareService/hs-sensible-{name}"
        bundle["entry"].append(entry)
    path = tmp_path / "sensibles.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


def test_unclear_sensitive_flags_are_not_published(http, db_url, tmp_path):
    with connect(db_url) as conn:
        report = load_fhir(conn, [_bundle(tmp_path)], source="test-sensibles", today=date(2026, 6, 1))
    try:
        assert report.rejected == []
        for name in VARIANTS:
            status = http.get(f"/api/v1/services/hs-sensible-{name}").status_code
            assert status == (200 if name in PUBLISHED else 404), name
    finally:
        with connect(db_url) as conn:
            conn.execute("DELETE FROM offre WHERE source = 'test-sensibles'")
            conn.execute("DELETE FROM lieu WHERE source = 'test-sensibles'")
            conn.execute("DELETE FROM organisation_interne WHERE source = 'test-sensibles'")
            conn.execute("DELETE FROM etablissement WHERE source = 'test-sensibles'")
            conn.execute("DELETE FROM entite_juridique WHERE source = 'test-sensibles'")
            conn.execute("DELETE FROM import_run WHERE source = 'test-sensibles'")
