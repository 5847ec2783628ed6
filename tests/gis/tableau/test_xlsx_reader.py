"""The streaming XLSX reader gives what openpyxl gives (types, shared and inline strings, gaps,
escaped characters, formulas' cached values), on its fast path and on its expat fallback."""

from __future__ import annotations

import io

import openpyxl
import pytest

from gis.errors import InvalidInput
from gis.tableau import read_sheet
from gis.tableau.sheet import to_sheet
from tests.gis.tableau import bombs


def _openpyxl_rows(data: bytes) -> list[tuple[int, list]]:
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    out = []
    for n, values in enumerate(wb.worksheets[0].iter_rows(values_only=True), start=1):
        cells = [v.strip() if isinstance(v, str) else v for v in values]
        while cells and cells[-1] in (None, ""):
            cells.pop()
        if cells:
            out.append((n, cells))
    wb.close()
    return out


def _workbook() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Données & co"
    ws.append(["code_insee", "Libellé <commune>", "valeur", "ok"])
    ws.append([93066, "Saint-Denis & \"Pierrefitte\"", 12.5, True])
    ws.append(["94028", "  Créteil  ", 3, False])
    ws.append([])
    ws.append(["92012", "L'Haÿ — 😀", -1e-3, None])
    ws["F7"] = "lointaine"
    wb.create_sheet("Autre").append(["ignorée"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_same_values_as_openpyxl():
    data = _workbook()
    sheet = read_sheet(data, "t.xlsx")
    assert sheet.format_label == "classeur Excel, feuille « Données & co »"
    expected = to_sheet(_openpyxl_rows(data), sheet.format_label)
    assert sheet == expected
    assert sheet.headers[:4] == ["code_insee", "Libellé <commune>", "valeur", "ok"]
    assert sheet.rows[0][:4] == [93066, 'Saint-Denis & "Pierrefitte"', 12.5, True]
    assert sheet.row_numbers == [2, 3, 5, 7]


def _xml_workbook(cells: str, *, comment: bool = False) -> bytes:
    rows = ['<row r="1"><c r="A1" t="inlineStr"><is><t>code</t></is></c><c r="B1" t="s"><v>0</v></c></row>',
            f'<row r="2">{cells}</row>']
    if comment:
        rows.insert(1, "<!-- commentaire -->")
    strings = (b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
               b'uniqueCount="2"><si><r><t>val</t></r><r><t>eur</t></r><rPh><t>PHON</t></rPh></si>'
               b'<si><t xml:space="preserve"> A &amp; B </t></si></sst>')
    return bombs.workbook(bombs.sheet(rows), strings)


CELLS = ('<c t="s" r="A2"><v>1</v></c>'  # attributes in an unusual order
         '<c r="B2"><f>SUM(1,2)</f><v>3</v></c>'  # cached formula value
         '<c r="D2" t="inlineStr"><is><r><t>x&lt;</t></r><r><t>y</t></r></is></c>'
         '<c r="E2" t="b"><v>1</v></c><c r="F2" t="e"><v>#N/A</v></c><c r="G2" s="3"/>'
         '<c r="H2" t="str"><f>A1</f><v>texte</v></c><c><v>7</v></c>')
EXPECTED = ["A & B", 3, None, "x<y", True, "#N/A", None, "texte", 7]


@pytest.mark.parametrize("comment", [False, True], ids=["rapide", "expat"])
def test_markup_variants_on_both_paths(comment):
    sheet = read_sheet(_xml_workbook(CELLS, comment=comment), "t.xlsx")
    assert sheet.headers == ["code", "valeur"] + [f"Colonne {c}" for c in "CDEFGHI"]
    assert sheet.rows == [EXPECTED]
    assert sheet.row_numbers == [2]


@pytest.mark.parametrize("comment", [False, True], ids=["rapide", "expat"])
def test_unknown_shared_string_is_malformed(comment):
    with pytest.raises(InvalidInput, match="texte partagé introuvable"):
        read_sheet(_xml_workbook('<c r="A2" t="s"><v>99</v></c>', comment=comment), "t.xlsx")


def test_not_a_workbook_and_truncated_archive():
    data = _workbook()
    with pytest.raises(InvalidInput, match="Classeur Excel illisible"):
        read_sheet(data[: len(data) // 2], "t.xlsx")
    with pytest.raises(InvalidInput, match="Classeur Excel illisible"):
        read_sheet(b"PK\x03\x04" + b"x" * 100, "t.xlsx")
