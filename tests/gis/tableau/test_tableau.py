"""Spreadsheet matching (gis.tableau) against the real IDF geography: reading CSV/XLSX,
column detection, code matching rules, reasons for unmatched rows, classification."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from gis import tableau
from gis.errors import InvalidInput

FIXTURES = Path(__file__).parents[2] / "fixtures" / "tableau"


def _read(name: str) -> tableau.Sheet:
    return tableau.read_sheet((FIXTURES / name).read_bytes(), name)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12,5", 12.5), ("1 250", 1250.0), ("1\u202f234,5", 1234.5), ("1.234,5", 1234.5), ("1,234.5", 1234.5),
     ("-3", -3.0), ("0", 0.0), (7, 7.0), (2.5, 2.5), ("abc", None), ("", None), ("n.d.", None), (None, None)],
)
def test_parse_number_accepts_french_and_english_forms(text, expected):
    assert tableau.parse_number(text) == expected


@pytest.mark.parametrize(
    ("raw", "code", "problem", "padded"),
    [("93066", "93066", None, False), (" 2a004 ", "2A004", None, False), ("1053", "01053", None, True),
     (1053, "01053", None, True), (93066.0, "93066", None, False), ("93066.0", "93066", None, False),
     ("", None, "code vide", False), (None, None, "code vide", False)],
)
def test_normalize_code(raw, code, problem, padded):
    assert tableau.normalize_code(raw) == (code, problem, padded)


def test_normalize_code_rejects_malformed():
    code, problem, _ = tableau.normalize_code("93A12")
    assert code is None and problem.startswith("code mal formé")


@pytest.mark.parametrize(("raw", "says"), [
    ("9300A", "« A » n'est pas un chiffre"),  # 5 characters: never « attendu : 5 caractères » (issue #10)
    ("2C004", "« C » n'est pas un chiffre"),
    ("930661", "6 caractères au lieu de 5"),
    ("93", "2 caractères au lieu de 5"),
])
def test_malformed_code_says_precisely_what_is_wrong(raw, says):
    code, problem, _ = tableau.normalize_code(raw)
    assert code is None and problem.startswith("code mal formé : ") and says in problem
    assert "2A/2B" in problem


def test_csv_utf8_semicolon_decimal_comma_detected():
    sheet = _read("bon.csv")
    assert sheet.headers == ["code_insee", "commune", "places_installees"]
    assert "point-virgule" in sheet.format_label and "UTF-8" in sheet.format_label
    assert tableau.detect_columns(sheet) == (0, 2)
    assert sheet.row_numbers[0] == 2


def test_cp1252_tab_file_detected():
    sheet = _read("partiel_cp1252.tsv")
    assert sheet.headers[2] == "Taux d'équipement"  # decoded from Windows-1252
    assert "tabulation" in sheet.format_label and "Windows-1252" in sheet.format_label
    assert tableau.detect_columns(sheet) == (0, 2)


def test_comma_separated_with_quoted_decimal_commas():
    data = b'insee,valeur\n93066,"12,5"\n93048,"3,25"\n'
    sheet = tableau.read_sheet(data, "x.csv")
    assert "virgule" in sheet.format_label
    assert [r[1] for r in sheet.rows] == ["12,5", "3,25"]


def test_columns_detected_by_values_when_headers_unknown():
    sheet = tableau.read_sheet(b"lieu;zone;indicateur\nA;93066;4\nB;93048;5\nC;94028;6\n", "x.csv")
    assert tableau.detect_columns(sheet) == (1, 2)


def test_headerless_file_gets_letter_headers():
    sheet = tableau.read_sheet(b"93066;4\n93048;5\n", "x.csv")
    assert sheet.headers == ["Colonne A", "Colonne B"] and len(sheet.rows) == 2


def test_user_choice_of_columns_by_name_or_letter():
    sheet = tableau.read_sheet(b"insee;x;b\n93066;1;2\n93048;3;4\n", "x.csv")
    assert tableau.detect_columns(sheet, "INSEE", "b") == (0, 2)
    assert tableau.detect_columns(sheet, "A", "C") == (0, 2)  # letters when no header has that name
    assert tableau.detect_columns(sheet, "insee", "B") == (0, 2)  # a header named "b" wins over letter B
    with pytest.raises(InvalidInput, match="introuvable"):
        tableau.detect_columns(sheet, None, "population")


@pytest.mark.parametrize(
    ("name", "message"),
    [("vide.csv", "vide"), ("illisible.bin", "illisible"), ("corrompu.xlsx", "Excel illisible"),
     ("sans_code.csv", "Aucune colonne de code commune")],
)
def test_unreadable_files_raise_french_invalid_input(name, message):
    with pytest.raises(InvalidInput, match=message):
        sheet = _read(name)
        tableau.detect_columns(sheet)


def test_header_only_and_xls_are_refused():
    with pytest.raises(InvalidInput, match="aucune ligne de données"):
        tableau.read_sheet(b"code_insee;valeur\n", "x.csv")
    with pytest.raises(InvalidInput, match=r"\.xls"):
        tableau.read_sheet(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "x.xls")


def test_match_codes_one_query_rules(conn):
    m = tableau.match_codes(conn, ["93066", "93059", "78000", "95000", "99999", "77100", "01053", "75016"])
    assert m["93066"]["rank"] == 0 and m["93066"]["insees"] == ["93066"]
    assert m["93059"]["rank"] == 2 and m["93059"]["insees"] == ["93066"] and m["93059"]["kind"] == "deleguee"
    assert m["78000"]["rank"] == 1 and m["78000"]["insees"] == ["78646"]
    assert m["95000"]["rank"] == 1 and len(m["95000"]["insees"]) == 4
    assert m["99999"]["rank"] is None and not m["99999"]["departement_charge"]
    assert m["77100"]["rank"] == 0 and m["77100"]["insees"] == ["77100"]  # INSEE code wins over postcode
    assert m["01053"]["rank"] is None
    # postcode (Paris 16e arrondissement, not the whole city) before the pre-1968 code of Cachan
    assert m["75016"]["rank"] == 1 and m["75016"]["insees"] == ["75116"]


def test_analyse_partial_file_reports_every_unmatched_row(conn):
    result = tableau.analyse(conn, _read("partiel_cp1252.tsv"), filename="partiel.tsv")
    matched = {e["insee"]: e for e in result.matched}
    assert matched["93066"]["code_saisi"] == "93059" and matched["93066"]["valeur"] == 7.25
    assert "déléguée" in matched["93066"]["correspondance"]
    assert matched["78646"]["correspondance"].startswith("code postal")
    assert matched["94028"]["valeur"] == 15.75
    assert matched["77100"]["nom"] == "Le Châtelet-en-Brie"
    reasons = {(r["ligne"], r["code_saisi"]): r["motif"] for r in result.unmatched}
    assert reasons[(2, "99999")] == "99999 : code inconnu (commune hors Île-de-France ou code erroné)"
    assert reasons[(5, "95000")].startswith("code postal 95000 commun à 4 communes (")
    assert "valeur non affectée" in reasons[(5, "95000")]
    assert reasons[(6, "93048")] == "valeur manquante (« n.d. »)"
    assert reasons[(7, "(vide)")] == "code vide"
    assert reasons[(8, "1053")].startswith("01053 : code inconnu")
    assert reasons[(10, "94028")].startswith("doublon : Créteil (94028) déjà renseignée ligne 9")
    assert reasons[(12, "92012")] == "valeur non numérique (« beaucoup »)"
    assert reasons[(13, "93A12")].startswith("code mal formé")
    assert len(result.matched) + len(result.unmatched) == result.rows_read == 12
    assert result.features and all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in result.features)


def test_analyse_xlsx_with_numeric_codes_and_zero(conn):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Données"
    ws.append(["CODGEO", "Libellé", "Nombre"])
    ws.append([93066, "Saint-Denis", 12])
    ws.append([93048, "Montreuil", 0])
    ws.append(["94028", "Créteil", 3.5])
    buf = io.BytesIO()
    wb.save(buf)
    sheet = tableau.read_sheet(buf.getvalue(), "t.xlsx")
    assert "Données" in sheet.format_label
    result = tableau.analyse(conn, sheet, filename="t.xlsx", k=5)
    assert {e["insee"]: e["valeur"] for e in result.matched} == {"93066": 12.0, "93048": 0.0, "94028": 3.5}
    assert result.zero_count == 1
    # zeros are kept out of the classes; k is reduced to the number of distinct non-zero values
    assert len(result.bins) == 2 and 3.5 <= result.bins[0] < 12.0 and result.bins[-1] == 12.0


@pytest.mark.parametrize("method", ["quantiles", "seuils-naturels", "amplitudes-egales", "NaturalBreaks"])
def test_classify_methods(method):
    values = [1, 2, 3, 4, 5, 10, 20, 40, 80, 160]
    bins = tableau.classify(values, 4, tableau.method_key(method))
    assert len(bins) == 4 and bins == sorted(bins) and bins[-1] == 160


def test_unknown_method_is_refused():
    with pytest.raises(InvalidInput):
        tableau.method_key("au pif")
