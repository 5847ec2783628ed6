"""Cell values of an uploaded spreadsheet: headers, numbers written the French or English way, codes."""

from __future__ import annotations

import math
import re
from typing import Any

from gis.text import strip_accents

INSEE_RE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
_LOOSE_CODE_RE = re.compile(r"^(?:\d{4,5}|2[AB]\d{3})$")
_NUMBER_RE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_ZERO_DECIMALS = re.compile(r"\d+\.0+")
_FOUR_DIGITS = re.compile(r"\d{4}")

CODE_HEADERS = ("code_insee", "insee", "codgeo", "code_geo", "codegeo", "code_commune", "codecommune",
                "code_com", "codecom", "com", "depcom", "cog", "insee_com", "code_insee_commune",
                "code_commune_insee", "codeinsee", "cod_com", "code")
POSTCODE_HEADERS = ("code_postal", "codepostal", "cp", "postcode")
VALUE_HEADERS = ("valeur", "value", "val", "nombre", "nb", "total", "effectif", "taux", "montant", "indicateur")
#: Largest magnitude of a mapped value: beyond it a value is an error of the file (a date or a code read as a
#: number, an overflow…), and its class labels would be dozens of digits wide.
MAX_ABS_VALUE = 1e15
OUT_OF_RANGE = "valeur hors limites (|x| ≤ 1e15)"
MISSING = {"", "na", "n/a", "nan", "nd", "n.d.", "-", "–", "—", "s", "ns", "secret", "null", "none"}


def norm_header(text: Any) -> str:
    """Return a header reduced to ``a-z0-9_`` without accents (``"Code INSEE"`` → ``code_insee``)."""
    return re.sub(r"[^a-z0-9]+", "_", strip_accents(str(text or "")).lower()).strip("_")


def is_blank(v: Any) -> bool:
    """Return true for None and whitespace-only strings."""
    return v is None or (isinstance(v, str) and not v.strip())


def letter(i: int) -> str:
    """Spreadsheet column letters of the 0-based index ``i`` (0 → ``A``, 26 → ``AA``)."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _read_number(value: Any) -> float | None:
    """Return the number written in a cell (possibly infinite or huge), None if it is not a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return float(value) if abs(value) <= MAX_ABS_VALUE else (math.inf if value > 0 else -math.inf)
    if isinstance(value, float):
        return None if math.isnan(value) else value
    text = str(value).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("'", "")
    text = text.replace("\u2212", "-")
    if not text:
        return None
    if "," in text and "." in text:
        decimal_comma = text.rfind(",") > text.rfind(".")
        text = text.replace(".", "").replace(",", ".") if decimal_comma else text.replace(",", "")
    elif "," in text:
        text = text.replace(",", ".") if text.count(",") == 1 else text.replace(",", "")
    if not _NUMBER_RE.fullmatch(text):
        return None
    return float(text)


def out_of_range(value: Any) -> bool:
    """Return true for a cell holding a number that is infinite or beyond :data:`MAX_ABS_VALUE` (``1e308``).

    Parameters
    ----------
    value : Any
        The cell as read.

    Returns
    -------
    bool
        True when the cell is written as a number but cannot be mapped.
    """
    number = _read_number(value)
    return number is not None and not abs(number) <= MAX_ABS_VALUE


def parse_number(value: Any) -> float | None:
    """Return a number from a cell.

    Parameters
    ----------
    value : Any
        ``12,5``, ``1 234,5``, ``1.234,5``, ``12.5``, an int or float from Excel…

    Returns
    -------
    float or None
        None if the cell is not a finite number of magnitude at most :data:`MAX_ABS_VALUE`
        (see :func:`out_of_range`).

    Examples
    --------
    >>> parse_number("1\u202f234,5")
    1234.5
    >>> parse_number("n.d.") is None
    True
    >>> parse_number("1e308") is None
    True
    """
    number = _read_number(value)
    return number if number is not None and abs(number) <= MAX_ABS_VALUE else None


def code_text(value: Any) -> str:
    """Return the code (or any cell) as written, for reports: ``93066.0`` → ``93066``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def normalize_code(value: Any) -> tuple[str | None, str | None, bool]:
    """Return a 5-character candidate commune code.

    Parameters
    ----------
    value : Any
        The cell as read (``"93066"``, ``1053``, ``93066.0``, ``" 2a004 "``…).

    Returns
    -------
    code : str or None
        The candidate code, or None.
    problem : str or None
        Why there is no code (French), or None.
    padded : bool
        True if a lost leading zero was restored (``1053`` → ``01053``).
    """
    text = code_text(value).upper().replace(" ", "").replace("\u00a0", "")
    if _ZERO_DECIMALS.fullmatch(text):
        text = text.split(".")[0]
    if not text:
        return None, "code vide", False
    padded = bool(_FOUR_DIGITS.fullmatch(text))
    if padded:
        text = "0" + text
    if INSEE_RE.match(text):
        return text, None, padded
    return None, malformed_code_reason(text), False


_CODE_RULE = "un code commune a 5 caractères : 5 chiffres, ou 2A/2B suivi de 3 chiffres pour la Corse"


def malformed_code_reason(text: str) -> str:
    """Return why ``text`` is not a commune code, precisely and in French (length, or the wrong characters).

    Parameters
    ----------
    text : str
        The cleaned code (upper case, no spaces).

    Returns
    -------
    str
        ``code mal formé : …`` naming the length found or the characters that are not digits.
    """
    if len(text) != 5:
        return f"code mal formé : {len(text)} caractère{'s' if len(text) > 1 else ''} au lieu de 5 ({_CODE_RULE})"
    body = text[2:] if text[:2] in ("2A", "2B") else text
    wrong = sorted({c for c in body if not c.isdigit()})
    shown = ", ".join(f"« {c} »" for c in wrong[:3])
    return f"code mal formé : {shown} n'{'est' if len(wrong) == 1 else 'sont'} pas un chiffre ({_CODE_RULE})"


def looks_like_code(v: Any) -> bool:
    """Return true for a value that could be a commune code or a postcode (4 or 5 digits, 2A/2B…)."""
    if isinstance(v, int | float) and not isinstance(v, bool):
        return float(v).is_integer() and 1000 <= v <= 99999
    return bool(v) and isinstance(v, str) and bool(_LOOSE_CODE_RE.match(v.strip().upper()))
