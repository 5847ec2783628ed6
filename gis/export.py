"""CSV and XLSX exports of offer lists, with French headers, for coordinators."""

from __future__ import annotations

import csv
import io
from typing import Any

COLUMNS: list[tuple[str, Any]] = [
    ("Offre", lambda r: r["nom"]),
    ("Identifiant ROR", lambda r: r["identifiant"] or r["id"]),
    ("Type d'offre", lambda r: r["type_offre"]["label"] or r["type_offre"]["code"]),
    ("Code type d'offre", lambda r: r["type_offre"]["code"]),
    ("Activités", lambda r: " | ".join(a["label"] or a["code"] for a in r["activites"])),
    ("Publics", lambda r: " | ".join(a["label"] or a["code"] for a in r["publics"])),
    ("Âge minimum", lambda r: r["age_min"]),
    ("Âge maximum", lambda r: r["age_max"]),
    ("Établissement", lambda r: (r["etablissement"] or {}).get("nom")),
    ("FINESS", lambda r: (r["etablissement"] or {}).get("finess")),
    ("Catégorie", lambda r: ((r["etablissement"] or {}).get("categorie") or {}).get("label")),
    ("Adresse", lambda r: (r["etablissement"] or {}).get("adresse")),
    ("Code postal", lambda r: (r["etablissement"] or {}).get("code_postal")),
    ("Ville", lambda r: (r["etablissement"] or {}).get("ville")),
    ("Motif de couverture", lambda r: (r.get("couverture") or {}).get("libelle")),
    ("Couverture partielle", lambda r: _oui_non((r.get("couverture") or {}).get("partielle"))),
    ("Distance (km)", lambda r: r.get("distance_km")),
    ("Contact public", lambda r: " | ".join(_contact(c) for c in r["contacts"])),
    ("Latitude", lambda r: r["lat"]),
    ("Longitude", lambda r: r["lon"]),
    ("Données fictives", lambda r: _oui_non(r["fictif"])),
]


def _oui_non(value: bool | None) -> str:
    return "" if value is None else ("oui" if value else "non")


# Contact channel codes as stored by the FHIR importer (gis.importers.fhir_map), or FHIR system names.
CHANNELS = {"2": "Tél.", "3": "Fax", "4": "Courriel", "5": "Site web", "phone": "Tél.", "fax": "Fax",
            "email": "Courriel", "url": "Site web", "telephone": "Tél."}


def _contact(c: dict[str, Any]) -> str:
    channel = CHANNELS.get(str(c.get("canal") or ""), "")
    return f"{channel} {c.get('valeur') or ''}".strip()


def rows(results: list[dict[str, Any]]) -> list[list[Any]]:
    return [[get(r) for _h, get in COLUMNS] for r in results]


def to_csv(results: list[dict[str, Any]]) -> bytes:
    """Semicolon-separated UTF-8 with BOM: opens correctly in a French spreadsheet."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow([h for h, _ in COLUMNS])
    for row in rows(results):
        writer.writerow(["" if v is None else (str(v).replace(".", ",") if isinstance(v, float) else v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(results: list[dict[str, Any]], *, title: str = "Offres", source: str | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append([h for h, _ in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows(results):
        ws.append(row)
    ws.freeze_panes = "A2"
    for col, (header, _) in zip(ws.columns, COLUMNS, strict=False):
        width = max([len(header)] + [len(str(c.value)) for c in col[1:200] if c.value is not None])
        ws.column_dimensions[col[0].column_letter].width = min(60, width + 2)
    if source:
        info = wb.create_sheet("Sources")
        info.append(["Sources", source])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
