"""CSV and XLSX exports of offer lists, with French headers, for coordinators.

ROR data are typed by thousands of people, so every text cell is neutralised against formula
injection (OWASP "CSV injection"): a text starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return (after any leading spaces) gets a leading single quote, unless it is a plain number
(``-3``, ``+2,5``). XLSX cells are written as typed strings or numbers, never as formulas.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?$")


def neutralise(value: Any) -> Any:
    """Return a cell value that no spreadsheet will run as a formula.

    Parameters
    ----------
    value : Any
        A cell value; only strings are changed.

    Returns
    -------
    Any
        ``value`` with a leading ``'`` if it is a text whose first non-blank character is one of
        :data:`FORMULA_TRIGGERS` and that is not a plain number.

    Examples
    --------
    >>> neutralise("=cmd|' /C calc'!A0")
    "'=cmd|' /C calc'!A0"
    >>> neutralise("-3,5"), neutralise(-3.5), neutralise("Tél. +33 1 23")
    ('-3,5', -3.5, 'Tél. +33 1 23')
    """
    if not isinstance(value, str):
        return value
    head = value.lstrip(" \u00a0")
    triggered = head.startswith(FORMULA_TRIGGERS) or value.startswith(FORMULA_TRIGGERS)
    return "'" + value if triggered and not _PLAIN_NUMBER.match(value.strip()) else value

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
    ("Contact", lambda r: " | ".join(_contact(c) for c in r["contacts"])),
    ("Capacité installée", lambda r: r.get("capacite")),
    ("Nature de la capacité", lambda r: r.get("capacite_type")),
    ("Capacité mise à jour le", lambda r: r.get("capacite_maj")),
    ("Source de la capacité", lambda r: _source((r.get("provenance") or {}).get("capacite"))),
    ("Places disponibles", lambda r: r.get("capacite_disponible")),
    ("Places disponibles mises à jour le", lambda r: r.get("capacite_disponible_maj")),
    ("Disponibilité fictive", lambda r: _oui_non(r.get("disponibilite_fictive"))
        if r.get("capacite_disponible") is not None else None),
    ("Source de l'offre", lambda r: _source((r.get("provenance") or {}).get("offre"))),
    ("Latitude", lambda r: r["lat"]),
    ("Longitude", lambda r: r["lon"]),
    ("Données fictives", lambda r: _oui_non(r["fictif"])),
]


def _source(prov: dict[str, Any] | None) -> str | None:
    """'Annuaire CNSA, ≈ 2021' from a provenance entry {source, millesime}."""
    if not prov:
        return None
    return ", ".join(str(v) for v in (prov.get("source"), prov.get("millesime")) if v)


def _oui_non(value: bool | None) -> str:
    return "" if value is None else ("oui" if value else "non")


# Contact channel codes as stored by the FHIR importer (gis.importers.fhir_map), or FHIR system names.
CHANNELS = {"2": "Tél.", "3": "Fax", "4": "Courriel", "5": "Site web", "phone": "Tél.", "fax": "Fax",
            "email": "Courriel", "url": "Site web", "telephone": "Tél."}


def _contact(c: dict[str, Any]) -> str:
    channel = CHANNELS.get(str(c.get("canal") or ""), "")
    return f"{channel} {c.get('valeur') or ''}".strip()


def rows(results: list[dict[str, Any]]) -> list[list[Any]]:
    """Return the export cells of ``results`` (one list per offer, in :data:`COLUMNS` order), neutralised."""
    return [[neutralise(get(r)) for _h, get in COLUMNS] for r in results]


def to_csv(results: list[dict[str, Any]]) -> bytes:
    """Semicolon-separated UTF-8 with BOM: opens correctly in a French spreadsheet.

    Parameters
    ----------
    results : list of dict
        Offers as returned by the offers layer.

    Returns
    -------
    bytes
        The CSV; decimals with a comma; text cells neutralised against formula injection.
    """
    return table_csv([h for h, _ in COLUMNS], rows(results))


def table_csv(headers: list[str], cells: list[list[Any]]) -> bytes:
    """Any table as the CSV of :func:`to_csv` (``;``, UTF-8 with BOM, decimal comma, cells neutralised).

    Parameters
    ----------
    headers : list of str
        French column headers.
    cells : list of list
        The rows, in the order of ``headers``.

    Returns
    -------
    bytes
        The CSV.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    for row in cells:
        values = [neutralise(v) for v in row]
        writer.writerow(["" if v is None else (str(v).replace(".", ",") if isinstance(v, float) else v)
                         for v in values])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _append(ws: Any, values: list[Any]) -> None:
    """Append a row whose text cells are typed strings (openpyxl would turn ``=…`` into a formula)."""
    ws.append(values)
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def to_xlsx(results: list[dict[str, Any]], *, title: str = "Offres", source: str | None = None) -> bytes:
    """Return an Excel workbook: one sheet of offers (bold frozen header), optionally a "Sources" sheet.

    Parameters
    ----------
    results : list of dict
        Offers as returned by the offers layer.
    title : str
        Sheet name (31 characters at most).
    source : str, optional
        Text of the "Sources" sheet.

    Returns
    -------
    bytes
        The ``.xlsx`` file; text cells are neutralised and typed as strings, never formulas.
    """
    return table_xlsx([h for h, _ in COLUMNS], rows(results), title=title, source=source)


def table_xlsx(headers: list[str], cells: list[list[Any]], *, title: str, source: str | None = None) -> bytes:
    """Any table as the workbook of :func:`to_xlsx` (bold frozen header, cells neutralised, typed strings).

    Parameters
    ----------
    headers : list of str
        French column headers.
    cells : list of list
        The rows, in the order of ``headers``.
    title : str
        Sheet name (31 characters at most).
    source : str, optional
        Text of the "Sources" sheet.

    Returns
    -------
    bytes
        The ``.xlsx`` file.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None  # a new workbook has one sheet
    ws.title = title[:31]
    _append(ws, list(headers))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in cells:
        _append(ws, [neutralise(v) for v in row])
    ws.freeze_panes = "A2"
    for col, header in zip(ws.columns, headers, strict=False):
        width = max([len(header)] + [len(str(c.value)) for c in col[1:200] if c.value is not None])
        letter = col[0].column_letter  # type: ignore[union-attr]  # row 1 is never merged
        ws.column_dimensions[letter].width = min(60, width + 2)
    if source:
        info = wb.create_sheet("Sources")
        _append(info, ["Sources", neutralise(source)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# Coverage by commune (planners): header -> property of a feature of gis.layers.territoires.coverage_by_commune.
COVERAGE_COLUMNS: list[tuple[str, str]] = [
    ("Code INSEE", "insee"), ("Commune", "nom"), ("Département", "departement"), ("Population", "population"),
    ("Offres", "offres"), ("Offres pour 10 000 habitants", "pour_10000"),
]


def coverage_rows(features: list[dict[str, Any]]) -> list[list[Any]]:
    """Return the export cells of the coverage features (one list per commune), neutralised, plus "zone blanche"."""
    out = []
    for f in features:
        props = f["properties"]
        out.append([neutralise(props.get(key)) for _h, key in COVERAGE_COLUMNS]
                   + ["oui" if props.get("offres") == 0 else "non"])
    return out


def coverage_csv(features: list[dict[str, Any]]) -> bytes:
    """Return the coverage table as French CSV (:func:`table_csv`), with a "Zone blanche" column."""
    return table_csv([h for h, _ in COVERAGE_COLUMNS] + ["Zone blanche"], coverage_rows(features))


def coverage_xlsx(features: list[dict[str, Any]], *, source: str | None = None) -> bytes:
    """Return the coverage table as an Excel workbook (:func:`table_xlsx`, sheet "Couverture")."""
    return table_xlsx([h for h, _ in COVERAGE_COLUMNS] + ["Zone blanche"], coverage_rows(features),
                      title="Couverture", source=source)
