"""CSV encodings: UTF-8 (with or without BOM) and clean Windows-1252 are read; anything else is
refused with a French 422 that says so, never decoded into mojibake."""

from __future__ import annotations

import pytest

from gis.errors import InvalidInput
from gis.tableau import read_sheet

TEXT = "code_insee;commune;valeur\n93066;Saint-Denis;1\n94028;Créteil;2\n92040;Issy-les-Moulineaux;3\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [(TEXT.encode("utf-8"), "UTF-8"), (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "UTF-8"),
     (TEXT.encode("cp1252"), "Windows-1252"), (TEXT.replace("Créteil", "Créteil – 5 €").encode("cp1252"),
                                               "Windows-1252"),
     (TEXT.encode("utf-16"), "UTF-16")],
)
def test_accepted_encodings(data, encoding):
    sheet = read_sheet(data, "x.csv")
    assert encoding in sheet.format_label
    assert sheet.rows[1][1].startswith("Créteil")


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (TEXT.encode("utf-8") + "Évry;4\n".encode("cp1252"), "UTF-8 et Windows-1252 mélangés"),
        (TEXT.replace("Créteil", "Crèche é").encode("mac_roman"), "octet 0x8F inconnu en Windows-1252"),
        (TEXT.replace("Créteil", "Créteil").encode("mac_roman"), "caractère inattendu près de « s;1 94028;CrŽteil"),
        (TEXT.replace("Créteil", "Crèche").encode("cp850"), "caractère inattendu"),
        (TEXT.encode("cp1252") + b"\x81", "octet 0x81 inconnu"),
        (TEXT.encode("cp1252").replace(b"Cr\xe9teil", b"Cr\xe9teil\x02"), "caractère inattendu"),
    ],
    ids=["utf8+cp1252", "mac-roman", "mac-roman-e", "dos-850", "octet-indefini", "controle"],
)
def test_unknown_encodings_are_refused_in_french(data, detail):
    with pytest.raises(InvalidInput) as info:
        read_sheet(data, "x.csv")
    assert info.value.message.startswith("Encodage du fichier non reconnu : enregistrez le CSV en UTF-8")
    assert detail in info.value.message


def test_trailing_empty_columns_are_not_counted_as_columns():
    data = b"code_insee;valeur" + b";" * 500 + b"\n93066;1" + b";" * 500 + b"\n"
    sheet = read_sheet(data, "x.csv")
    assert sheet.rows == [["93066", "1"]]


def test_unclosed_quote_is_malformed_in_french():
    data = b'code_insee;valeur\n93066;"1\n' + b"x\n" * 200_000
    with pytest.raises(InvalidInput) as info:
        read_sheet(data, "x.csv")
    assert "mal formé" in info.value.message or "trop" in info.value.message
    assert "field" not in info.value.message
