"""The packed form of a spreadsheet (links and the export form): only the matched rows for the export, the
larger limit of a posted token, bounded rows and decompressed size."""

from __future__ import annotations

import base64
import json
import zlib

import pytest

from gis.errors import InvalidInput
from gis.tableau import Sheet, share


def _sheet(n: int) -> Sheet:
    return Sheet(["code_insee", "valeur"], [[f"{93000 + i % 100:05d}", i] for i in range(n)],
                 list(range(2, n + 2)), "CSV")


def test_export_token_keeps_only_the_given_rows_and_the_larger_limit():
    sheet = _sheet(20_000)
    assert share.pack(sheet, filename="f.csv", code_column=None, value_column=None) is None  # too long for a URL
    token = share.pack(sheet, filename="f.csv", code_column=None, value_column=None,
                       max_chars=share.MAX_EXPORT_TOKEN, only_rows={2, 3, 500})
    assert token is not None
    with pytest.raises(InvalidInput):
        share.unpack(token + "A" * share.MAX_TOKEN)  # a URL token has the small limit
    back, filename = share.unpack(token, share.MAX_EXPORT_TOKEN)
    assert back.row_numbers == [2, 3, 500] and back.rows[2] == ["93098", 498] and filename == "f.csv"


def test_forged_token_with_too_many_rows_is_refused():
    doc = {"v": 1, "f": "x", "fmt": "CSV", "h": ["c", "v"], "r": [[i, "93066", 1] for i in range(60_000)]}
    token = base64.urlsafe_b64encode(zlib.compress(json.dumps(doc).encode(), 9)).decode().rstrip("=")
    with pytest.raises(InvalidInput, match="trop de lignes"):
        share.unpack(token, share.MAX_EXPORT_TOKEN)
