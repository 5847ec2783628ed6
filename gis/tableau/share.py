"""A spreadsheet map as a shareable URL, with no server-side storage.

The two columns used (code and value as written, with their row numbers), the file name and the column names are
packed into one URL parameter (JSON, zlib, base64url). Opening the URL runs the same analysis again, so the link
shows the same map as long as the geography is the same. Files too large for a URL (see :data:`MAX_TOKEN`) get
no link; their page carries the same token in a form posted back for the CSV/XLSX of the result (up to
:data:`MAX_EXPORT_TOKEN`), so that any instance of the service can answer with nothing stored.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Collection
from typing import Any

from gis.errors import InvalidInput
from gis.tableau.columns import detect_columns
from gis.tableau.limits import UploadLimits
from gis.tableau.sheet import Sheet

MAX_TOKEN = 12_000  # characters: the URL stays under the 16 KB request-line limit of common servers
MAX_EXPORT_TOKEN = 4_000_000  # characters of a token posted back by the export form (under the body limit)
_MAX_JSON = {MAX_TOKEN: 2_000_000, MAX_EXPORT_TOKEN: 40_000_000}  # decompressed bytes, by token limit
_VERSION = 1


def _cell(value: Any) -> str | float | int | None:
    if value is None or isinstance(value, str | int | float):
        return value
    return str(value)


def pack(sheet: Sheet, *, filename: str, code_column: str | None, value_column: str | None,
         max_chars: int = MAX_TOKEN, only_rows: Collection[int] | None = None) -> str | None:
    """Return the URL token of the sheet's code and value columns, or None when it would be too long.

    Parameters
    ----------
    sheet : Sheet
        The table read from the upload.
    filename : str
        Shown on the page.
    code_column, value_column : str, optional
        The columns chosen by the user (detected when None, as the analysis does).
    max_chars : int
        :data:`MAX_TOKEN` (a link) or :data:`MAX_EXPORT_TOKEN` (the export form).
    only_rows : collection of int, optional
        Row numbers to keep (the export form needs only the matched rows); all rows when None.

    Returns
    -------
    str or None
        A base64url token (at most ``max_chars`` characters).
    """
    code_idx, value_idx = detect_columns(sheet, code_column, value_column)
    doc = {"v": _VERSION, "f": filename, "fmt": sheet.format_label,
           "h": [sheet.headers[code_idx], sheet.headers[value_idx]],
           "r": [[n, _cell(r[code_idx]), _cell(r[value_idx])] for n, r in zip(sheet.row_numbers, sheet.rows,
                                                                               strict=True)
                 if only_rows is None or n in only_rows]}
    raw = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    token = base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")
    return token if len(token) <= max_chars else None


def unpack(token: str, max_chars: int = MAX_TOKEN) -> tuple[Sheet, str]:
    """Return the sheet (two columns) and the file name packed by :func:`pack`.

    Parameters
    ----------
    token : str
        The token of a link or of the export form.
    max_chars : int
        :data:`MAX_TOKEN` or :data:`MAX_EXPORT_TOKEN` (which also bounds the decompressed size).

    Returns
    -------
    tuple of (Sheet, str)
        The sheet and the file name.

    Raises
    ------
    InvalidInput
        A damaged or truncated link (French message).
    """
    if len(token) > max_chars:
        raise InvalidInput("Lien de carte trop long ou abîmé.")
    max_json = _MAX_JSON.get(max_chars, _MAX_JSON[MAX_TOKEN])
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = zlib.decompressobj().decompress(raw, max_json)
        doc = json.loads(data)
        if doc.get("v") != _VERSION:
            raise ValueError
        rows = [(int(n), [c, v]) for n, c, v in doc["r"]]
        headers = [str(h) for h in doc["h"]][:2]
        sheet = Sheet(headers, [r for _, r in rows], [n for n, _ in rows], str(doc.get("fmt") or "tableau"))
        filename = str(doc.get("f") or "fichier")[:120]
    except (ValueError, TypeError, KeyError, binascii.Error, zlib.error):
        raise InvalidInput("Lien de carte abîmé : chargez à nouveau le fichier.") from None
    if len(sheet.rows) > UploadLimits.from_settings().max_rows:
        raise InvalidInput("Lien de carte abîmé : trop de lignes, chargez à nouveau le fichier.")
    if not sheet.rows or len(headers) != 2:
        raise InvalidInput("Lien de carte abîmé : chargez à nouveau le fichier.")
    return sheet, filename
