"""GET /api/v1/imports over a real socket: French statuses, relative sources, no server paths or raw
database text."""

from __future__ import annotations

from gis.db import connect
from gis.settings import get_settings


def test_imports_list_shows_the_geography_load_without_server_paths(http, db_url):
    with connect(db_url) as conn:
        conn.execute(
            "INSERT INTO import_run (kind, source, finished_at, status, message) VALUES "
            "('finess', %s, now(), 'echoue', 'Fichier FINESS introuvable : /home/exploitation/finess.csv')",
            (str(get_settings().resolved_data_dir() / "finess" / "etalab.csv"),),
        )
    try:
        resp = http.get("/api/v1/imports")
        assert resp.status_code == 200
        runs = resp.json()["imports"]
        geography = [r for r in runs if r["kind"] == "geography"]
        assert geography and geography[-1]["statut"] == "réussi" and geography[-1]["counts"]["communes"] == 1266
        assert geography[-1]["started_at"] < geography[-1]["finished_at"]
        finess = next(r for r in runs if r["kind"] == "finess")
        assert finess["source"] == "finess/etalab.csv" and finess["message"].endswith(": finess.csv")
        assert "/home/" not in resp.text and str(get_settings().resolved_data_dir()) not in resp.text
        detail = http.get(f"/api/v1/imports/{finess['id']}")
        assert detail.status_code == 200 and detail.json()["import"]["statut"] == "échoué"
        assert http.get("/api/v1/imports/999999").json()["detail"] == "Import inconnu : 999999."
    finally:
        with connect(db_url) as conn:
            conn.execute("DELETE FROM import_run WHERE kind = 'finess' AND source = 'finess/etalab.csv' "
                         "OR source LIKE '%%etalab.csv'")
