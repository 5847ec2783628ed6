"""Exports (gis.export) against formula injection: hostile values come out as inert text in CSV
and XLSX; the XLSX holds no formula element at all; plain numbers are left alone."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import openpyxl
import pytest

from gis.export import COLUMNS, neutralise, to_csv, to_xlsx

HOSTILE = ["=cmd|' /C calc'!A0", "+HYPERLINK(\"http://x\",\"clic\")", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd",
           "\t=1+1", "\r=1+1", " =1+1", "\u00a0=1+1", "=1+1\n=2"]


def _offer(text: str) -> dict:
    """An offer as the offers layer returns it, with ``text`` in every free-text field."""
    label = {"code": text, "label": text}
    return {
        "id": "x", "nom": text, "identifiant": text, "type_offre": label, "activites": [label], "publics": [label],
        "age_min": -3, "age_max": 18.5,
        "etablissement": {"nom": text, "finess": text, "categorie": label, "adresse": text, "code_postal": text,
                          "ville": text},
        "couverture": {"libelle": text, "partielle": True}, "distance_km": -1.5,
        "contacts": [{"canal": "2", "valeur": text}], "lat": 48.9, "lon": -2.3, "fictif": False,
    }


@pytest.mark.parametrize("value", HOSTILE)
def test_neutralise_hostile(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["-3", "+2,5", "-0.5", "12", "Tél. +33 1 23 45 67 89", "Saint-Denis", "", None, 7,
                                   -2.5])
def test_plain_values_unchanged(value):
    assert neutralise(value) == value


def test_csv_export_neutralises_every_text_cell():
    data = to_csv([_offer(v) for v in HOSTILE])
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [h for h, _ in COLUMNS]
    numeric = {"Âge minimum", "Âge maximum", "Distance (km)", "Latitude", "Longitude"}
    for row in rows[1:]:
        for header, cell in zip(rows[0], row, strict=True):
            if header in numeric:
                assert re.fullmatch(r"-?\d+(,\d+)?", cell), (header, cell)  # numbers stay numbers
            elif cell and header not in ("Couverture partielle", "Données fictives", "Contact",
                                         "Activités", "Publics"):
                assert cell.startswith("'"), (header, cell)
    assert rows[1][COLUMNS.index(("Âge minimum", COLUMNS[6][1]))] == "-3"


def test_xlsx_export_has_no_formula_and_typed_cells():
    data = to_xlsx([_offer(v) for v in HOSTILE], source="=1+1")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/"):
                xml = zf.read(name).decode()
                assert "<f>" not in xml and "<f " not in xml, name
                assert not re.search(r'<c [^>]*t="(?:str|e)"', xml)  # only strings, numbers, booleans
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["Offres"]
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type in ("s", "n"), (cell.coordinate, cell.data_type, cell.value)
            if isinstance(cell.value, str) and cell.value:
                assert not cell.value.lstrip(" \u00a0").startswith(("=", "+", "-", "@", "\t", "\r")), cell.value
    assert ws.cell(2, 1).value == "'" + HOSTILE[0]
    assert ws.cell(2, 7).value == -3  # Âge minimum: a number
    assert wb["Sources"].cell(1, 2).value == "'=1+1"
