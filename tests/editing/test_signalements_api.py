"""Anomaly reports over real HTTP with real tokens: anonymous creation, validation, permission boundaries, status
history, CSV and FHIR Task exports (validated with fhir.resources), and the rate limit (429 + Retry-After)."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.task import Task

from gis.db import connect
from gis.settings import Settings
from tests.conftest import LiveServer
from tests.editing.conftest import FIXTURE_FINESS, OTHER_FINESS, bearer

REPORT = {"cible_type": "offre", "cible": "cov-commune", "categorie": "coordonnees",
          "description": "Le numéro de téléphone ne répond plus.", "email": "coordinatrice@exemple.fr"}


def _post(http: httpx.Client, **changes) -> httpx.Response:
    return http.post("/api/v1/signalements", json={**REPORT, **changes})


def test_anonymous_report_is_stored_with_history(edit_http, api_tokens):
    r = _post(edit_http)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["statut"] == "nouveau" and body["cible"]["nom"] == "SAAD zone Saint-Denis"
    assert "Merci" in body["message"] and r.headers["cache-control"] == "no-store"
    detail = edit_http.get(f"/api/v1/signalements/{body['id']}", headers=bearer(api_tokens.admin)).json()
    assert detail["finess_eg"] == FIXTURE_FINESS and detail["email"] == "coordinatrice@exemple.fr"
    assert [h["statut"] for h in detail["historique"]] == ["nouveau"]
    assert detail["historique"][0]["auteur"] == "anonyme"


def test_report_on_an_establishment(edit_http):
    r = _post(edit_http, cible_type="etablissement", cible=OTHER_FINESS, categorie="localisation",
              email=None)
    assert r.status_code == 201, r.text
    assert r.json()["cible"]["ref"] == OTHER_FINESS


@pytest.mark.parametrize(("changes", "status", "words"), [
    ({"categorie": "inconnue"}, 422, "valeurs permises"),
    ({"email": "pas-une-adresse"}, 422, "Adresse électronique invalide"),
    ({"description": "  \x01\x02 ok "}, 422, "Décrivez"),
    ({"cible": "inconnue-42"}, 404, "Aucun"),
    ({"cible": "cov-sensible"}, 404, "Aucun"),  # a sensitive unit is unknown to the public
    ({"cible_type": "etablissement", "cible": "12345"}, 422, "FINESS"),
])
def test_bad_reports_get_french_errors(edit_http, changes, status, words):
    r = _post(edit_http, **changes)
    assert r.status_code == status, r.text
    assert words.lower() in r.json()["detail"].lower()


def test_listing_needs_a_role_and_respects_the_scope(edit_http, api_tokens):
    assert _post(edit_http).status_code == 201
    assert _post(edit_http, cible="edit-autre").status_code == 201
    assert edit_http.get("/api/v1/signalements").status_code == 401
    assert edit_http.get("/api/v1/signalements", headers=bearer(api_tokens.pro)).status_code == 403
    assert edit_http.get("/api/v1/signalements", headers=bearer(api_tokens.revoked)).status_code == 401
    mine = edit_http.get("/api/v1/signalements", headers=bearer(api_tokens.referent)).json()
    assert mine["total"] >= 1 and {r["finess_eg"] for r in mine["results"]} == {FIXTURE_FINESS}
    other = edit_http.get("/api/v1/signalements", headers=bearer(api_tokens.referent_autre)).json()
    assert other["total"] >= 1 and {r["finess_eg"] for r in other["results"]} == {OTHER_FINESS}
    everything = edit_http.get("/api/v1/signalements", headers=bearer(api_tokens.admin)).json()
    assert everything["total"] >= mine["total"] + other["total"]
    # a report of another EG is unknown to this référent, for reading and processing
    theirs = other["results"][0]["id"]
    assert edit_http.get(f"/api/v1/signalements/{theirs}", headers=bearer(api_tokens.referent)).status_code == 404
    r = edit_http.patch(f"/api/v1/signalements/{theirs}", json={"statut": "en_cours"},
                        headers=bearer(api_tokens.referent))
    assert r.status_code == 404


def test_status_changes_are_recorded(edit_http, api_tokens):
    report_id = _post(edit_http).json()["id"]
    ref = bearer(api_tokens.referent)
    assert edit_http.patch(f"/api/v1/signalements/{report_id}", json={"statut": "en_cours"}).status_code == 401
    r = edit_http.patch(f"/api/v1/signalements/{report_id}", json={"statut": "en_cours", "commentaire": "Je vérifie"},
                        headers=ref)
    assert r.status_code == 200, r.text
    r = edit_http.patch(f"/api/v1/signalements/{report_id}", json={"statut": "rejete"}, headers=ref)
    assert r.status_code == 422 and "rejeté" in r.json()["detail"]
    r = edit_http.patch(f"/api/v1/signalements/{report_id}",
                        json={"statut": "rejete", "commentaire": "Le numéro est correct"}, headers=ref)
    body = r.json()
    assert body["statut"] == "rejete"
    assert [(h["statut_avant"], h["statut"]) for h in body["historique"]] == [
        (None, "nouveau"), ("nouveau", "en_cours"), ("en_cours", "rejete")]
    assert body["historique"][-1]["auteur"].startswith("Référente 93 (jeton:")
    task = edit_http.get(f"/api/v1/signalements/{report_id}?format=fhir", headers=ref)
    assert task.headers["content-type"].startswith("application/fhir+json")
    parsed = Task.model_validate(task.json())
    assert parsed.status == "rejected" and parsed.statusReason.text == "Le numéro est correct"
    assert parsed.focus.reference == "HealthcareService/cov-commune"


def test_csv_and_fhir_exports(edit_http, api_tokens):
    _post(edit_http, description="=HYPERLINK(\"http://x\") formule")
    admin = bearer(api_tokens.admin)
    r = edit_http.get("/api/v1/signalements?format=csv", headers=admin)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "private" in r.headers["cache-control"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["N°", "Date", "Statut"]
    assert any(row[9].startswith("'=HYPERLINK") for row in rows[1:])  # neutralised formula
    r = edit_http.get("/api/v1/signalements?format=fhir", headers=admin)
    bundle = Bundle.model_validate(r.json())
    assert bundle.type == "collection" and bundle.entry
    statuses = {e.resource.status for e in bundle.entry}
    assert statuses <= {"requested", "in-progress", "completed", "rejected"}
    eg_task = next(e.resource for e in bundle.entry if e.resource.focus.type == "Organization")
    assert eg_task.focus.identifier.value == OTHER_FINESS


def test_rate_limit_answers_429_with_retry_after(editing_db, data_dir):
    with connect(editing_db) as conn, conn.transaction():
        conn.execute("DELETE FROM signalement")
    server = LiveServer(Settings(database_url=editing_db, data_dir=data_dir, download=False, signalement_max=2,
                                 signalement_window_s=600))
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            assert [_post(http).status_code for _ in range(2)] == [201, 201]
            r = _post(http)
            assert r.status_code == 429
            assert 0 < int(r.headers["retry-after"]) <= 600
            assert r.json()["code"] == "trop_de_signalements" and "réessayez dans" in r.json()["detail"]
            assert _post(http, cible="inconnue").status_code == 429  # checked before anything else
    finally:
        server.stop()
