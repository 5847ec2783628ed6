"""National fictitious demo set at small scale (IDF geography of the test database): deterministic, visibly
fictitious, every département represented, files bounded, loadable without rejection."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from gis.demo import DEMO_LABEL
from gis.demo.national import circle, generate_national
from gis.importers.fhir import load_fhir


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _bundles(folder: Path) -> dict[str, list[dict]]:
    out = {}
    for path in sorted(folder.glob("*.json")):
        bundle = json.loads(path.read_text(encoding="utf-8"))
        assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
        out[path.name] = [e["resource"] for e in bundle["entry"]]
    return out


def test_national_set_is_deterministic_bounded_and_fictitious(conn, tmp_path):
    first = generate_national(conn, tmp_path / "a", seed=5, offers=1500, per_file=200)
    second = generate_national(conn, tmp_path / "b", seed=5, offers=1500, per_file=200)
    assert first == second and _files(tmp_path / "a") == _files(tmp_path / "b")
    generate_national(conn, tmp_path / "c", seed=6, offers=1500, per_file=200)
    assert _files(tmp_path / "c") != _files(tmp_path / "a")

    assert 1200 <= first["offres"] <= 2200
    bundles = _bundles(tmp_path / "a")
    assert len(bundles) == first["fichiers"] > 5
    deps = {r["code"] for r in conn.execute("SELECT code FROM geo_departement")}
    assert first["departements"] == len(deps)
    seen_deps: set[str] = set()
    ids: set[str] = set()
    for name, resources in bundles.items():
        offers = [r for r in resources if r["resourceType"] == "HealthcareService"]
        assert len(offers) <= 200, name
        for res in resources:
            assert res["name"].endswith("(fictif)"), res["id"]
            assert res["meta"]["tag"][0]["display"] == DEMO_LABEL
            assert (res["resourceType"], res["id"]) not in ids
            ids.add((res["resourceType"], res["id"]))
            if res["resourceType"] == "Organization":
                assert [i["system"] for i in res["identifier"]] == ["https://ror-gis.example/fictif"]
                seen_deps.add(res["address"][0]["extension"][0]["valueCoding"]["code"][:2])
    assert {d[:2] for d in deps} == seen_deps
    assert "FICTIVES" in (tmp_path / "a" / "LISEZMOI.txt").read_text(encoding="utf-8")
    # The DAC establishments are in the first file, their offers in the others (references across files).
    assert all(r["id"].startswith("demo-nat-dac-") for r in bundles["national-0000-dac.json"])
    kinds = first["offres_par_type"]
    assert {"ehpad_hp", "dac", "emgp", "empp"} <= set(kinds) and first["zones"] > first["offres"]


def test_national_set_loads_without_rejection(conn, tmp_path):
    summary = generate_national(conn, tmp_path, seed=3, offers=600, per_file=100)
    report = load_fhir(conn, [tmp_path], source="demo nationale", fictif=True, today=date(2026, 6, 1))
    assert report.rejected == []
    assert report.counts["offres"] == summary["offres"]
    assert conn.execute("SELECT count(*) AS n FROM etablissement WHERE fictif").fetchone()["n"] == (
        summary["etablissements_fictifs"])
    # Every DAC offer found its establishment written from another file.
    assert conn.execute(
        "SELECT count(*) AS n FROM offre o JOIN etablissement e ON e.id = o.etablissement_id "
        "WHERE o.ror_id LIKE 'demo-nat-dac-%%'").fetchone()["n"] == summary["offres_par_type"]["dac"]
    # Paris is served by its arrondissements (zones list them).
    assert conn.execute(
        "SELECT count(*) AS n FROM zone_intervention WHERE code LIKE '751%%'").fetchone()["n"] > 0


def test_circle_is_a_closed_ring():
    ring = circle(48.85, 2.35, 5000)["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 25
