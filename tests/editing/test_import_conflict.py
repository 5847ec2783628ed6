"""A later ROR FHIR import meets a zone edited locally: the override is kept, an unchanged ROR zone is only counted,
a changed one is reported as a conflict (alerte in the import report, stored on the override)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from gis.db import connect
from gis.importers.fhir import load_fhir
from gis.territories import editing

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fhir"
SOURCE = "test-surcharge"


def _bundle(tmp_path: Path, commune: str | None = None) -> Path:
    bundle = json.loads((FIXTURES / "collection.json").read_text(encoding="utf-8"))
    if commune:
        hs = next(e["resource"] for e in bundle["entry"] if e["resource"].get("id") == "hs-fixture-2")
        for ext in hs["extension"]:
            coding = ext.get("extension", [{}, {}])[-1].get("valueCodeableConcept", {}).get("coding", [{}])[0]
            if ext["url"].endswith("ror-territorial-division") and coding.get("code") == "78524":
                coding["code"] = commune
    path = tmp_path / f"ror-{commune or 'initial'}.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


def _zone(conn) -> list[str]:
    return [r["code"] for r in conn.execute(
        "SELECT z.code FROM zone_intervention z JOIN offre o ON o.id = z.offre_id WHERE o.ror_id = 'hs-fixture-2' "
        "ORDER BY z.code")]


def test_import_keeps_the_override_and_reports_the_conflict(editing_db, tmp_path):
    try:
        with connect(editing_db) as conn:
            first = load_fhir(conn, [_bundle(tmp_path)], source=SOURCE, today=date(2026, 6, 1))
            assert first.rejected == [] and "78524" in _zone(conn)
            ref = editing.offer_ref(conn, "hs-fixture-2")
            etag = editing.zone_state(conn, ref)["etag"]
            editing.save_zone(conn, ref, editing.ZoneEdit(divisions=[("3", "75112"), ("3", "75113")]),
                              if_match=etag, auteur="Référente test", role="referent")
            assert _zone(conn) == ["75112", "75113"]

            same = load_fhir(conn, [_bundle(tmp_path)], source=SOURCE, today=date(2026, 6, 2))
            assert _zone(conn) == ["75112", "75113"]  # the override is kept
            assert same.counts["zones_surchargees"] == 1 and same.counts["conflits_zone"] == 0
            assert not [w for w in same.warnings if "Conflit" in w.motif]

            changed = load_fhir(conn, [_bundle(tmp_path, commune="78646")], source=SOURCE, today=date(2026, 6, 3))
            assert _zone(conn) == ["75112", "75113"]
            assert changed.counts["conflits_zone"] == 1
            conflict = [w for w in changed.warnings if "Conflit de zone" in w.motif]
            assert len(conflict) == 1 and "Référente test" in conflict[0].motif
            stored = conn.execute("SELECT conflit FROM zone_surcharge s JOIN offre o ON o.id = s.offre_id "
                                  "WHERE o.ror_id = 'hs-fixture-2'").fetchone()["conflit"]
            assert {"type_division": "3", "code": "78646"} in stored["zone"]
            # the report is kept in the import history (rejets / alertes)
            kept = conn.execute("SELECT motif FROM import_rejet WHERE run_id = %s AND gravite = 'alerte'",
                                (changed.run_id,)).fetchall()
            assert any("Conflit de zone" in k["motif"] for k in kept)
    finally:
        with connect(editing_db) as conn:
            for table in ("offre", "lieu", "organisation_interne", "etablissement", "entite_juridique"):
                conn.execute(f"DELETE FROM {table} WHERE source = %s", (SOURCE,))


def test_offers_of_a_fhir_load_keep_their_public_documents(editing_db, tmp_path):
    """After a FHIR load and the upkeep the CLI runs (after_load), no offer is left without its public document, so
    the first territory edit does not have to rebuild every document (issue #14: coverage refreshed in ≤ 200 ms)."""
    from gis.maintenance import after_load

    try:
        with connect(editing_db) as conn:
            load_fhir(conn, [_bundle(tmp_path)], source=SOURCE, today=date(2026, 6, 1))
            after_load(conn, coverage_done=True)
            missing = conn.execute("SELECT count(*) AS n FROM offre WHERE doc_public IS NULL").fetchone()["n"]
            assert missing == 0
    finally:
        with connect(editing_db) as conn:
            for table in ("offre", "lieu", "organisation_interne", "etablissement", "entite_juridique"):
                conn.execute(f"DELETE FROM {table} WHERE source = %s", (SOURCE,))
