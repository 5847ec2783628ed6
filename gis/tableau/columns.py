"""Finding the code and value columns of a sheet: by name or letter when given, else detected."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from gis.errors import InvalidInput
from gis.tableau.sheet import Sheet
from gis.tableau.values import (
    CODE_HEADERS,
    POSTCODE_HEADERS,
    VALUE_HEADERS,
    is_blank,
    letter,
    looks_like_code,
    norm_header,
    parse_number,
)

_SAMPLE = 500


def column_index(sheet: Sheet, wanted: str, what: str) -> int:
    """Index of the column named ``wanted`` (header, normalised header, or letter ``A``…``ZZ``).

    Parameters
    ----------
    sheet : Sheet
        The table.
    wanted : str
        Name or letter typed by the user.
    what : str
        French description for the error message (``du code commune``, ``de la valeur``).

    Returns
    -------
    int

    Raises
    ------
    InvalidInput
        If no column matches (the message lists the columns of the file).
    """
    w = wanted.strip()
    norm = norm_header(w)
    for i, h in enumerate(sheet.headers):
        if h.strip() == w or norm_header(h) == norm:
            return i
    if re.fullmatch(r"[A-Za-z]{1,2}", w):
        for i in range(len(sheet.headers)):
            if letter(i) == w.upper():
                return i
    available = ", ".join(f"« {h} »" for h in sheet.headers[:20])
    raise InvalidInput(f"Colonne {what} « {w[:50]} » introuvable. Colonnes du fichier : {available}.")


def _share(sample: list[list[Any]], i: int, test: Callable[[Any], bool]) -> float:
    values = [r[i] for r in sample if not is_blank(r[i])]
    return sum(1 for v in values if test(v)) / len(values) if values else 0.0


def _detect_code_column(sheet: Sheet, sample: list[list[Any]]) -> int:
    normed = [norm_header(h) for h in sheet.headers]
    for names in (CODE_HEADERS, POSTCODE_HEADERS):
        for name in names:
            if name in normed and _share(sample, normed.index(name), looks_like_code) >= 0.3:
                return normed.index(name)
    for i, h in enumerate(normed):
        if "insee" in h and _share(sample, i, looks_like_code) >= 0.3:
            return i
    scores = [_share(sample, i, looks_like_code) for i in range(len(normed))]
    best = max(range(len(normed)), key=lambda i: scores[i])
    if scores[best] >= 0.6:
        return best
    raise InvalidInput("Aucune colonne de code commune trouvée (en-tête attendu : code_insee, insee, "
                       "codgeo, code commune… ou des codes à 5 chiffres). Indiquez la colonne à utiliser.")


def _detect_value_column(sheet: Sheet, sample: list[list[Any]], code_idx: int) -> int:
    candidates = [i for i in range(len(sheet.headers))
                  if i != code_idx and _share(sample, i, lambda v: parse_number(v) is not None) >= 0.6]
    if not candidates:
        raise InvalidInput("Aucune colonne de valeurs numériques trouvée. Indiquez la colonne à utiliser.")
    normed = [norm_header(h) for h in sheet.headers]
    named = [i for i in candidates if any(normed[i].startswith(v) for v in VALUE_HEADERS)]
    not_codes = [i for i in candidates if _share(sample, i, looks_like_code) < 0.6]
    return (named or not_codes or candidates)[0]


def detect_columns(sheet: Sheet, code_column: str | None = None, value_column: str | None = None) -> tuple[int, int]:
    """Indexes of the code and value columns.

    Parameters
    ----------
    sheet : Sheet
        The table.
    code_column, value_column : str, optional
        Names or letters chosen by the user; detected when empty (known headers first, then the
        share of code-like or numeric values in the first 500 rows).

    Returns
    -------
    tuple of int
        ``(code index, value index)``.

    Raises
    ------
    InvalidInput
        A chosen column does not exist, both are the same, or nothing suitable was found.
    """
    sample = sheet.rows[:_SAMPLE]
    if code_column and code_column.strip():
        code_idx = column_index(sheet, code_column, "du code commune")
    else:
        code_idx = _detect_code_column(sheet, sample)
    if value_column and value_column.strip():
        value_idx = column_index(sheet, value_column, "de la valeur")
        if value_idx == code_idx:
            raise InvalidInput("La colonne de la valeur doit être différente de la colonne du code.")
    else:
        value_idx = _detect_value_column(sheet, sample, code_idx)
    return code_idx, value_idx
