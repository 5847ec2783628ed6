"""A spreadsheet map as a shareable URL, with no server-side storage.

The two columns used (code and value as written, with their row numbers), the file name and the column names are
packed into one URL parameter (JSON, zlib, base64url). Opening the URL runs the same analysis again, so the link
shows the same map as long as the geography is the same. Files too large for a URL (see :data:`MAX_TOKEN`) get
no link.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from typing import Any

from gis.errors import InvalidInput
from gis.tableau.columns import detect_columns
from gis.tableau.sheet import Sheet

MAX_TOKEN = 12_000  # characters: the URL stays under the 16 KB request-line limit of common servers
_VERSION = 1


def _cell(value: Any) -> str | float | int | None:
    if value is None or isinstance(value, str | int | float):
        return value
    return str(value)


def pack(sheet: Sheet, *, filename: str, code_column: str | None, value_column: str | None) -> str | None:
    """Return the URL token of the sheet's code and value columns, or None when it would be too long.

    Parameters
    ----------
    sheet : Sheet
        The table read from the upload.
    filename : str
        Shown on the page.
    code_column, value_column : str, optional
        The columns chosen by the user (detected when None, as the analysis does).

    Returns
    -------
    str or None
        A base64url token (at most :data:`MAX_TOKEN` characters).
    """
    code_idx, value_idx = detect_columns(sheet, code_column, value_column)
    doc = {"v": _VERSION, "f": filename, "fmt": sheet.format_label,
           "h": [sheet.headers[code_idx], sheet.headers[value_idx]],
           "r": [[n, _cell(r[code_idx]), _cell(r[value_idx])] for n, r in zip(sheet.row_numbers, sheet.rows,
                                                                               strict=True)]}
    raw = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    token = base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")
    return token if len(token) <= MAX_TOKEN else None


def unpack(token: str) -> tuple[Sheet, str]:
    """Return the sheet (two columns) and the file name packed by :func:`pack`.

    Raises
    ------
    InvalidInput
        A damaged or truncated link (French message).
    """
    if len(token) > MAX_TOKEN:
        raise InvalidInput("Lien de carte trop long ou abîmé.")
    try:
        data = zlib.decompressobj().decompress(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)), 2_000_000)
        doc = json.loads(data)
        if doc.get("v") != _VERSION:
            raise ValueError
        rows = [(int(n), [c, v]) for n, c, v in doc["r"]]
        headers = [str(h) for h in doc["h"]][:2]
        sheet = Sheet(headers, [r for _, r in rows], [n for n, _ in rows], str(doc.get("fmt") or "tableau"))
        filename = str(doc.get("f") or "fichier")[:120]
    except (ValueError, TypeError, KeyError, binascii.Error, zlib.error):
        raise InvalidInput("Lien de carte abîmé : chargez à nouveau le fichier.") from None
    if not sheet.rows or len(headers) != 2:
        raise InvalidInput("Lien de carte abîmé : chargez à nouveau le fichier.")
    return sheet, filename
