"""Fictitious demo data: generated from EG rows in real IDF communes, deterministic, loadable by
load_fhir with no rejection, and visibly fictitious everywhere."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from gis.demo import DEMO_LABEL, generate
from gis.importers.fhir import load_fhir

# (FINESS, name, FINESS category, lon, lat) — points inside real communes (commune checked below).
EGS = [
    ("750099001", "EHPAD TEST VAUGIRARD", "500", 2.3000, 48.8417),      # Paris 15e
    ("920099002", "EHPAD TEST BOULOGNE", "500", 2.2400, 48.8353),       # Boulogne-Billancourt
    ("780099003", "EHPAD TEST VERSAILLES", "500", 2.1204, 48.8049),     # Versailles
    ("930099004", "SESSAD TEST BOBIGNY", "182", 2.4400, 48.9030),       # Bobigny
    ("920099005", "SAVS TEST BOIS-COLOMBES", "446", 2.2690, 48.9180),   # Bois-Colombes
    ("750099006", "SAMSAH TEST PARIS 12", "445", 2.3950, 48.8400),      # Paris 12e
    ("750099007", "CH TEST PARIS 14", "355", 2.3260, 48.8300),          # Paris 14e
]


@pytest.fixture
def with_egs(conn):
    for finess, nom, cat, lon, lat in EGS:
        conn.execute(
            """
            INSERT INTO etablissement (finess, nom, categorie, geom, geocodage_qualite, source, commune_insee,
                                       arrondissement_insee)
            SELECT %(f)s, %(n)s, %(c)s, p, 'source', 'test',
                   COALESCE((SELECT parent_insee FROM geo_commune WHERE type = 'arrondissement-municipal'
                              AND ST_Intersects(geom, p)),
                            (SELECT insee FROM geo_commune WHERE type = 'commune' AND ST_Intersects(geom, p))),
                   (SELECT insee FROM geo_commune WHERE type = 'arrondissement-municipal' AND ST_Intersects(geom, p))
              FROM (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS p) s
            """,
            {"f": finess, "n": nom, "c": cat, "lon": lon, "lat": lat},
        )
    communes = conn.execute("SELECT finess, commune_insee FROM etablissement ORDER BY finess").fetchall()
    assert all(r["commune_insee"] for r in communes)
    return conn


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _resources(folder: Path) -> list[dict]:
    out = []
    for path in sorted(folder.glob("*.json")):
        bundle = json.loads(path.read_text(encoding="utf-8"))
        assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
        out.extend(e["resource"] for e in bundle["entry"])
    return out


def test_generation_is_deterministic(with_egs, tmp_path):
    first = generate(with_egs, tmp_path / "a", seed=7)
    second = generate(with_egs, tmp_path / "b", seed=7)
    assert first == second
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    other = generate(with_egs, tmp_path / "c", seed=8)
    assert other["offres"] > 0 and _files(tmp_path / "c") != _files(tmp_path / "a")


def test_everything_generated_says_it_is_fictitious(with_egs, tmp_path):
    summary = generate(with_egs, tmp_path)
    readme = (tmp_path / "LISEZMOI.txt").read_text(encoding="utf-8")
    assert "FICTIVES" in readme and "(fictif)" in readme
    resources = _resources(tmp_path)
    assert sum(r["resourceType"] == "HealthcareService" for r in resources) == summary["offres"]
    for res in resources:
        assert "(fictif)" in res["name"], res["id"]
        assert res["meta"]["tag"][0]["display"] == DEMO_LABEL
        assert res["meta"]["source"]
    # Invented establishments carry no FINESS, only the fictitious identifier system.
    for org in (r for r in resources if r["resourceType"] == "Organization"):
        assert [i["system"] for i in org["identifier"]] == ["https://ror-gis.example/fictif"]
    real_names = {nom for _, nom, *_ in EGS}
    assert not any(r.get("name") in real_names for r in resources)


def test_demo_loads_without_rejection_and_covers_the_scenarios(with_egs, tmp_path):
    summary = generate(with_egs, tmp_path)
    real_before = with_egs.execute(
        "SELECT finess, nom, ror_id, fictif FROM etablissement ORDER BY finess"
    ).fetchall()
    report = load_fhir(with_egs, [tmp_path], source="demo", fictif=True, today=date(2026, 6, 1))
    assert report.rejected == []
    assert report.counts["offres"] == summary["offres"]
    conn = with_egs
    assert conn.execute("SELECT count(*) AS n FROM offre WHERE NOT fictif").fetchone()["n"] == 0
    assert conn.execute("SELECT count(*) AS n FROM offre WHERE nom NOT LIKE '%%(fictif)'").fetchone()["n"] == 0
    # Real EGs are referenced by FINESS and left untouched.
    assert conn.execute(
        "SELECT finess, nom, ror_id, fictif FROM etablissement WHERE finess IS NOT NULL ORDER BY finess"
    ).fetchall() == real_before
    ehpad_units = conn.execute(
        "SELECT o.type_offre, count(*) AS n FROM offre o JOIN etablissement e ON e.id = o.etablissement_id "
        "WHERE e.categorie = '500' GROUP BY 1"
    ).fetchall()
    assert {r["type_offre"] for r in ehpad_units} >= {"21", "23"}
    # Invented home services are new fictitious EGs without FINESS.
    invented = conn.execute(
        "SELECT categorie, count(*) AS n FROM etablissement WHERE fictif AND finess IS NULL GROUP BY 1"
    ).fetchall()
    assert {r["categorie"] for r in invented} >= {"460", "354", "209", "606"}
    zones = conn.execute("SELECT type_division, code FROM zone_intervention").fetchall()
    pairs = {(z["type_division"], z["code"]) for z in zones}
    deps = {r["code"] for r in conn.execute("SELECT code FROM geo_departement")}
    assert {("2", d) for d in deps} <= pairs  # one DAC per département
    assert ("1", "11") in pairs  # région-wide offers
    assert ("3", "78524") in pairs and ("3", "93059") in pairs  # delegated codes
    assert any(code.startswith("751") for t, code in pairs if t == "3")  # Paris arrondissements
    no_zone = conn.execute(
        "SELECT count(*) AS n FROM offre o "
        "WHERE NOT EXISTS (SELECT 1 FROM zone_intervention z WHERE z.offre_id = o.id) "
        "AND NOT EXISTS (SELECT 1 FROM zone_polygone p WHERE p.offre_id = o.id)"
    ).fetchone()["n"]
    assert no_zone > 0
    assert conn.execute("SELECT count(*) AS n FROM zone_polygone WHERE ST_IsValid(geom)").fetchone()["n"] == 2
    assert conn.execute("SELECT count(*) AS n FROM offre WHERE unite_sensible").fetchone()["n"] >= 1
    levels = conn.execute(
        "SELECT DISTINCT c->>'confidentialite' AS level FROM offre, jsonb_array_elements(contacts) c ORDER BY 1"
    ).fetchall()
    assert [r["level"] for r in levels] == ["1", "2", "3"]
    home = conn.execute("SELECT count(*) AS n FROM offre WHERE '05' = ANY (modalites_accueil)").fetchone()["n"]
    assert home > 0
    # Loading again changes nothing (upsert by id).
    again = load_fhir(with_egs, [tmp_path], source="demo", fictif=True, today=date(2026, 6, 1))
    assert again.counts["offres_mises_a_jour"] == summary["offres"] and again.rejected == []
