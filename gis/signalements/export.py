"""Exports of the anomaly reports: CSV for the regional support team, FHIR R4 ``Task`` for the national ROR API.

A report becomes a ``Task`` whose ``focus`` is the offer (``HealthcareService/<ROR id>``) or the establishment
(``Organization/<ROR id>``, or an identifier reference by FINESS when the EG has no ROR id), ``code`` the category,
``description`` the text, ``status`` the mapping of :data:`TASK_STATUS`, ``authoredOn`` the date of the report and
one ``note`` per status change (author, time, comment).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from gis.export import neutralise
from gis.fhir_out.codes import FINESS_SYSTEM, ROR_GIS_SD
from gis.signalements import CATEGORIES, STATUTS

CATEGORY_SYSTEM = "https://ror-gis.example/fhir/CodeSystem/categorie-anomalie"
REPORT_ID_SYSTEM = "https://ror-gis.example/fhir/NamingSystem/signalement"
STATUS_EXTENSION = f"{ROR_GIS_SD}/ror-gis-statut-signalement"

#: ror-gis status -> FHIR Task.status
TASK_STATUS = {"nouveau": "requested", "en_cours": "in-progress", "corrige": "completed", "rejete": "rejected"}

CSV_COLUMNS: list[tuple[str, str]] = [
    ("N°", "id"), ("Date", "created_at"), ("Statut", "statut_libelle"), ("Cible", "cible_type"),
    ("Identifiant", "cible_ref"), ("Nom", "cible_nom"), ("FINESS EG", "finess_eg"),
    ("Établissement", "etablissement_nom"), ("Catégorie", "categorie_libelle"), ("Description", "description"),
    ("Courriel", "email"), ("Mis à jour", "updated_at"),
]


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    """``;``-separated UTF-8 CSV with a BOM (opens in French spreadsheets), cells neutralised against formulas."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([title for title, _key in CSV_COLUMNS])
    for row in rows:
        writer.writerow([neutralise(row.get(key)) if row.get(key) is not None else "" for _title, key in CSV_COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _focus(row: dict[str, Any]) -> dict[str, Any]:
    if row["cible_type"] == "offre":
        return {"reference": f"HealthcareService/{row['cible_ref']}", "display": row.get("cible_nom") or None}
    if row.get("etablissement_ror_id"):
        return {"reference": f"Organization/{row['etablissement_ror_id']}", "display": row.get("cible_nom") or None}
    return {"type": "Organization", "identifier": {"system": FINESS_SYSTEM, "value": row["cible_ref"]},
            "display": row.get("cible_nom") or None}


def task(row: dict[str, Any]) -> dict[str, Any]:
    """Return the FHIR R4 ``Task`` of one report (a row of :func:`gis.signalements.get_report`, with its history).

    Parameters
    ----------
    row : dict
        The report, with ``historique`` (status changes) and optionally ``etablissement_ror_id``.

    Returns
    -------
    dict
        A JSON-able Task resource.
    """
    focus = {k: v for k, v in _focus(row).items() if v is not None}
    res: dict[str, Any] = {
        "resourceType": "Task",
        "id": f"signalement-{row['id']}",
        "identifier": [{"system": REPORT_ID_SYSTEM, "value": str(row["id"])}],
        "status": TASK_STATUS[row["statut"]],
        "businessStatus": {"coding": [{"system": f"{CATEGORY_SYSTEM}-statut", "code": row["statut"],
                                       "display": STATUTS[row["statut"]]}],
                           "text": STATUTS[row["statut"]]},
        "intent": "proposal",
        "code": {"coding": [{"system": CATEGORY_SYSTEM, "code": row["categorie"],
                             "display": CATEGORIES.get(row["categorie"], row["categorie"])}],
                 "text": "Signalement d'anomalie"},
        "description": row["description"],
        "focus": focus,
        "authoredOn": row["created_at"],
        "lastModified": row["updated_at"],
    }
    if row["statut"] == "rejete":
        last = next((h for h in reversed(row.get("historique") or []) if h["statut"] == "rejete"), None)
        if last and last.get("commentaire"):
            res["statusReason"] = {"text": last["commentaire"]}
    notes = []
    if row.get("email"):
        notes.append({"text": f"Courriel du déclarant : {row['email']}"})
    for h in row.get("historique") or []:
        text = f"Statut : {STATUTS.get(h['statut'], h['statut'])}"
        if h.get("commentaire"):
            text += f" — {h['commentaire']}"
        notes.append({"authorString": f"{h['auteur']} ({h['role']})", "time": h["at"], "text": text})
    if notes:
        res["note"] = notes
    return res


def bundle(tasks: list[dict[str, Any]], *, base_url: str) -> dict[str, Any]:
    """Return a ``collection`` Bundle of Tasks (``fullUrl``: the report's API address under ``base_url``)."""
    base = base_url.rstrip("/")
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"{base}/api/v1/signalements/{t['identifier'][0]['value']}", "resource": t}
                      for t in tasks]}
