"""The table read from an uploaded file, whatever its format."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gis.errors import InvalidInput
from gis.tableau.values import CODE_HEADERS, POSTCODE_HEADERS, is_blank, letter, looks_like_code, norm_header


@dataclass
class Sheet:
    """A table read from a file: headers, data rows (cells as str/float/int/None), row numbers."""

    headers: list[str]
    rows: list[list[Any]]
    row_numbers: list[int]  # file line (CSV) or row (XLSX) number of each data row
    format_label: str


def to_sheet(numbered: list[tuple[int, list[Any]]], label: str) -> Sheet:
    """Build a :class:`Sheet` from ``(row number, cells)`` pairs.

    Parameters
    ----------
    numbered : list of (int, list)
        Rows with their number in the file; blank rows are dropped here.
    label : str
        French description of the format (shown on the page).

    Returns
    -------
    Sheet
        Rows padded to the same width; the first row is the header unless it looks like data
        (then columns are named ``Colonne A``, ``Colonne B``…).

    Raises
    ------
    InvalidInput
        If the file has no data row.
    """
    numbered = [(n, r) for n, r in numbered if any(not is_blank(v) for v in r)]
    if not numbered:
        raise InvalidInput("Le fichier est vide.")
    width = max(len(r) for _, r in numbered)
    header: list[Any] = list(numbered[0][1]) + [None] * (width - len(numbered[0][1]))
    data = numbered[1:]
    has_header = not any(looks_like_code(v) for v in header) or any(
        norm_header(h) in CODE_HEADERS + POSTCODE_HEADERS for h in header)
    if not has_header:  # first line is data: name the columns A, B, C…
        data = numbered
        header = [None] * width
    headers = [str(h).strip() if not is_blank(h) else f"Colonne {letter(i)}" for i, h in enumerate(header)]
    sheet = Sheet(headers, [list(r) + [None] * (width - len(r)) for _, r in data], [n for n, _ in data], label)
    if not sheet.rows:
        raise InvalidInput("Le fichier ne contient que la ligne d'en-tête : aucune ligne de données.")
    return sheet
