"""Streaming FHIR import: an input of several batches is read one batch at a time (memory independent of its
size), references across files go through the database, and the result equals a one-batch import."""

from __future__ import annotations

import json
from datetime import date

import gis.importers.fhir as fhir
from gis.demo.national import generate_national
from gis.importers.fhir import load_fhir
from gis.importers.fhir.streaming import batches

_SNAPSHOT = (
    "SELECT o.ror_id, o.nom, o.type_offre, e.ror_id AS eg, l.ror_id AS lieu, o.contacts, "
    "       (SELECT array_agg(z.type_division || ':' || z.code ORDER BY z.type_division, z.code) "
    "          FROM zone_intervention z WHERE z.offre_id = o.id) AS zones, "
    "       (SELECT count(*) FROM couverture c WHERE c.offre_id = o.id) AS couverture "
    "  FROM offre o LEFT JOIN etablissement e ON e.id = o.etablissement_id LEFT JOIN lieu l ON l.id = o.lieu_id "
    " ORDER BY o.ror_id"
)


def _resources_per_file(folder):
    return {p.name: len(json.loads(p.read_text(encoding="utf-8"))["entry"]) for p in folder.glob("*.json")}


def test_batches_bound_the_size_and_keep_the_order(tmp_path):
    files = []
    for i, size in enumerate([10, 10, 25, 5, 5, 40]):
        path = tmp_path / f"f{i}.json"
        path.write_bytes(b" " * size)
        files.append(path)
    cut = batches(files, 20)
    assert [[p.name for p in b] for b in cut] == [["f0.json", "f1.json"], ["f2.json"], ["f3.json", "f4.json"],
                                                  ["f5.json"]]
    assert batches(files, 10_000) == [files]


def test_streaming_import_holds_one_file_at_a_time(conn, tmp_path, monkeypatch):
    generate_national(conn, tmp_path, seed=11, offers=500, per_file=60)
    per_file = _resources_per_file(tmp_path)
    assert len(per_file) > 8
    held: list[int] = []
    real_read = fhir.read_items

    def read_and_count(files, report):
        items = real_read(files, report)
        held.append(len(items))
        return items

    monkeypatch.setattr(fhir, "read_items", read_and_count)
    report = load_fhir(conn, [tmp_path], source="demo nationale", fictif=True, today=date(2026, 6, 1),
                       batch_bytes=1)
    assert report.rejected == [] and report.counts["lots_de_lecture"] == len(per_file)
    # Two passes, one file per read: never more resources held than the largest file has.
    assert len(held) == 2 * len(per_file) and max(held) == max(per_file.values())
    streamed = conn.execute(_SNAPSHOT).fetchall()
    counts = dict(report.counts)

    # The same input in one batch gives the same rows and the same counts.
    conn.execute("DELETE FROM offre; DELETE FROM lieu; DELETE FROM etablissement WHERE fictif")
    monkeypatch.setattr(fhir, "read_items", real_read)
    whole = load_fhir(conn, [tmp_path], source="demo nationale", fictif=True, today=date(2026, 6, 1))
    assert conn.execute(_SNAPSHOT).fetchall() == streamed
    assert {k: v for k, v in whole.counts.items() if k != "offres_mises_a_jour"} == {
        k: v for k, v in counts.items() if k not in ("lots_de_lecture", "offres_mises_a_jour")}


def test_streaming_reference_to_a_rejected_organisation_is_rejected_with_its_reason(conn, tmp_path):
    org = {"resourceType": "Organization", "id": "org-sans-nature", "name": "Sans nature (fictif)"}
    hs = {"resourceType": "HealthcareService", "id": "offre-orpheline", "name": "Offre (fictif)",
          "identifier": [{"system": "https://ror-gis.example/fictif", "value": "x1"}],
          "providedBy": {"reference": "Organization/org-sans-nature"},
          "category": {"coding": [{"code": "28"}]}}  # an object instead of an array: fixed, reported once
    (tmp_path / "a.json").write_text(json.dumps(org), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps(hs), encoding="utf-8")
    report = load_fhir(conn, [tmp_path], source="test", batch_bytes=1)
    motifs = {r.reference: r.motif for r in report.rejected}
    assert "Organization/org-sans-nature" in motifs
    assert "rejetée" in motifs["HealthcareService/offre-orpheline"]
    fixed = [w for w in report.warnings if w.reference == "HealthcareService/offre-orpheline"]
    assert len(fixed) == 1 and "category (objet au lieu d'un tableau)" in fixed[0].motif


def test_deleting_offers_deletes_their_coverage(conn, tmp_path):
    """couverture has no foreign key any more (migration 014): a statement trigger deletes deleted offers' rows."""
    generate_national(conn, tmp_path, seed=2, offers=300, per_file=100)
    load_fhir(conn, [tmp_path], source="demo nationale", fictif=True, today=date(2026, 6, 1))
    ids = [r["id"] for r in conn.execute(
        "SELECT DISTINCT offre_id AS id FROM couverture ORDER BY 1 LIMIT 3").fetchall()]
    assert len(ids) == 3
    conn.execute("DELETE FROM offre WHERE id = ANY (%s)", (ids,))
    assert conn.execute("SELECT count(*) AS n FROM couverture WHERE offre_id = ANY (%s)",
                        (ids,)).fetchone()["n"] == 0
    assert conn.execute("SELECT count(*) AS n FROM couverture").fetchone()["n"] > 0
