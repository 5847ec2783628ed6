"""Demo ids are stable per establishment, and a demo reload replaces the previous demo set exactly
(issue #10)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from gis.demo import DEMO_SOURCE_NAME, generate, load_demo
from tests.gis.demo.test_generate import _resources, with_egs  # noqa: F401 - fixture

EXTRA = [  # (FINESS, name, category, lon, lat): a second load brings more establishments
    ("750099000", "EHPAD TEST PARIS 6", "500", 2.3320, 48.8490),
    ("940099008", "SESSAD TEST VITRY", "182", 2.3920, 48.7870),
    ("750099009", "CH TEST PARIS 13", "355", 2.3600, 48.8300),
]


def _add_extra_egs(conn) -> None:
    for finess, nom, cat, lon, lat in EXTRA:
        conn.execute(
            "INSERT INTO etablissement (finess, nom, categorie, geom, geocodage_qualite, source) "
            "VALUES (%s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326), 'source', 'test')",
            (finess, nom, cat, lon, lat),
        )
    conn.execute(
        "UPDATE etablissement e SET commune_insee = COALESCE(c.parent_insee, c.insee), "
        "arrondissement_insee = CASE WHEN c.parent_insee IS NOT NULL THEN c.insee END "
        "FROM geo_commune c WHERE e.finess = ANY(%s) AND ST_Intersects(c.geom, e.geom) "
        "AND (c.type = 'arrondissement-municipal' OR NOT EXISTS (SELECT 1 FROM geo_commune k "
        "WHERE k.parent_insee = c.insee))",
        ([e[0] for e in EXTRA],),
    )


def _where(resources: list[dict]) -> dict[str, str]:
    """id → where it is: the provider of an offer, the INSEE code of an invented EG or a place."""
    out = {}
    for r in resources:
        if r["resourceType"] == "HealthcareService":
            provider = r["providedBy"]
            out[r["id"]] = provider.get("reference") or provider["identifier"]["value"]
        elif r["resourceType"] == "Organization":
            out[r["id"]] = r["address"][0]["extension"][0]["valueCoding"]["code"]
        else:
            out[r["id"]] = r["extension"][0]["valueCodeableConcept"]["coding"][0]["code"]
    return out


def test_ids_are_stable_per_establishment_across_loads(with_egs, tmp_path: Path):  # noqa: F811
    generate(with_egs, tmp_path / "a")
    first = _where(_resources(tmp_path / "a"))
    _add_extra_egs(with_egs)
    generate(with_egs, tmp_path / "b")
    second = _where(_resources(tmp_path / "b"))
    assert set(second) > set(first)  # the new establishments add offers…
    assert {rid: second[rid] for rid in first} == first  # …and no id moved
    invented = [rid for rid in second if rid.startswith(("demo-eg-saad-", "demo-eg-ssiad-", "demo-eg-sad-as-"))
                and not rid.endswith(("-lieu", "-offre"))]
    assert invented and all(rid.endswith(second[rid].lower()) for rid in invented)  # named after its commune


def test_demo_reload_replaces_the_previous_set_exactly(with_egs, tmp_path: Path):  # noqa: F811
    conn = with_egs
    _add_extra_egs(conn)
    first, _ = load_demo(conn, tmp_path, seed=1, today=date(2026, 6, 1))
    conn.execute("DELETE FROM etablissement WHERE finess = ANY(%s)", ([e[0] for e in EXTRA],))
    summary, report = load_demo(conn, tmp_path, seed=2, today=date(2026, 6, 1))
    assert report.rejected == [] and report.counts["offres_supprimees"] > 0
    expected = {r["id"] for r in _resources(tmp_path) if r["resourceType"] == "HealthcareService"}
    loaded = {r["ror_id"] for r in conn.execute("SELECT ror_id FROM offre WHERE source = %s", (DEMO_SOURCE_NAME,))}
    assert loaded == expected and len(loaded) == summary["offres"] != first["offres"]
    places = {r["id"] for r in _resources(tmp_path) if r["resourceType"] == "Location"}
    lieux = conn.execute("SELECT ror_id FROM lieu WHERE source = %s", (DEMO_SOURCE_NAME,))
    assert {r["ror_id"] for r in lieux} == places
    invented = {r["id"] for r in _resources(tmp_path) if r["resourceType"] == "Organization"}
    assert {r["ror_id"] for r in conn.execute(
        "SELECT ror_id FROM etablissement WHERE source = %s AND fictif", (DEMO_SOURCE_NAME,)
    )} == invented
    assert conn.execute("SELECT count(*) AS n FROM couverture c JOIN offre o ON o.id = c.offre_id "
                        "WHERE o.source = %s AND NOT (o.ror_id = ANY(%s))",
                        (DEMO_SOURCE_NAME, list(expected))).fetchone()["n"] == 0
    assert len(list(tmp_path.glob("*.json"))) == len(summary["fichiers"])
