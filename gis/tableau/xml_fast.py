"""Fast scanners of the worksheet and shared-string parts of an XLSX (compiled regular expressions).

Callback-driven XML parsing (expat) costs several microseconds per cell in Python callbacks: about
3 s of CPU for 200,000 cells, too slow to answer every upload in under 2 s. These scanners work on
complete ``<row>``/``<si>`` elements, found in the decompressed stream, with C-level regular
expressions. They read the regular markup that Excel, LibreOffice and openpyxl write. A part that
holds comments, CDATA, a DOCTYPE or processing instructions beyond the XML declaration (``<!`` or
``<?``) is handed to the exact expat parsers of :mod:`gis.tableau.xml_parts` instead (same limits),
which refuse any DOCTYPE or entity declaration.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from gis.errors import InvalidInput
from gis.tableau import xml_parts
from gis.tableau.limits import Counter, fr_int, too_large
from gis.tableau.xml_parts import CORRUPT

MAX_PENDING = 4 * 1024 * 1024  # one row or one shared string, as XML
_P = rb"(?:[\w.-]+:)?"
_ROW_END = re.compile(rb"</" + _P + rb"row>|<" + _P + rb"row\b[^>]*/>")
_SI_END = re.compile(rb"</" + _P + rb"si>|<" + _P + rb"si/>")
_UNIQUE = re.compile(rb"""\buniqueCount\s*=\s*["'](\d+)["']""")
_DIMENSION = re.compile(rb"""<""" + _P + rb"""dimension\b[^>]*\bref\s*=\s*["']([^"']*)["']""")
_PS = r"(?:[\w.-]+:)?"
_SI_S = re.compile(r"<" + _PS + r"si\b[^>]*?(?:/>|>(?:<" + _PS + r"t\b[^>]*>([^<]*)</" + _PS + r"t>|(.*?))</" + _PS
                   + r"si>)", re.S)
_T_S = re.compile(r"<" + _PS + r"t\b[^>]*?(?:/>|>([^<]*)</" + _PS + r"t>)")
_ROW_S = re.compile(r"<" + _PS + r"row\b([^>]*?)(?:/>|>(.*?)</" + _PS + r"row>)", re.S)
# A cell as Excel, LibreOffice and openpyxl write it: r, s, t in this order (other orders: ``attrs``).
_C_S = re.compile(r"<" + _PS + r"c(?: r=\"([A-Z]{1,3})\d+\")?(?: s=\"\d+\")?(?: t=\"(\w+)\")?(\s[^>]*?)?"
                  r"(?:/>|>(?:<" + _PS + r"v>([^<]*)</" + _PS + r"v>|(.*?))</" + _PS + r"c>)", re.S)
_V_S = re.compile(r"<" + _PS + r"v\b[^>]*>([^<]*)</")
_DIMENSION_S = re.compile(r"<" + _PS + r"dimension\b[^>]*\bref\s*=\s*[\"']([^\"']*)[\"']")
_COLUMNS: dict[str, int] = {}
_RPH_S = re.compile(r"<" + _PS + r"rPh\b.*?</" + _PS + r"rPh>", re.S)


_Reopen = Callable[[], Iterable[bytes]]


class _Fallback(Exception):
    """The part uses XML features the scanner does not read: parse it with expat."""


def _elements(chunks: Iterable[bytes], end: re.Pattern[bytes]) -> Iterator[bytes]:
    """Blocks of whole elements: the stream cut after the last ``end`` match seen so far.

    Raises :class:`_Fallback` on comments, CDATA, DOCTYPE or processing instructions.
    """
    pending = bytearray()
    first = True
    for chunk in chunks:
        scan_from = max(0, len(pending) - 16)
        pending += chunk
        last = None
        for last in end.finditer(pending, scan_from):  # noqa: B007 - the last match is wanted
            pass
        if last is None:
            if len(pending) > MAX_PENDING:
                raise too_large("Ligne ou texte du classeur trop long.")
            continue
        block = bytes(pending[:last.end()])
        del pending[:last.end()]
        _check_plain(block, first)
        first = False
        yield block
    block = bytes(pending)
    _check_plain(block, first)
    yield block


def _check_plain(block: bytes, first: bool) -> None:
    """Raise :class:`_Fallback` if ``block`` holds markup other than elements and the XML declaration."""
    pi = block.find(b"<?")
    if first and 0 <= pi <= 3 and block.startswith(b"<?xml", pi):
        pi = block.find(b"<?", pi + 2)
    if pi >= 0 or b"<!" in block:
        raise _Fallback


def _column(letters: str) -> int:
    n = _COLUMNS.get(letters)
    if n is None:
        n = xml_parts.column_index(letters)
        if len(_COLUMNS) < 1000:
            _COLUMNS[letters] = n
    return n


def _unescape(text: str) -> str:
    return html.unescape(text) if "&" in text else text


def _strings_fast(chunks: Iterable[bytes], max_count: int) -> list[str]:
    strings: list[str] = []
    for block in _elements(chunks, _SI_END):
        if not strings:
            declared = _UNIQUE.search(block[:4096])
            if declared and int(declared.group(1)) > max_count:
                raise too_large(f"Trop de textes distincts dans le classeur : {fr_int(int(declared.group(1)))} "
                                f"(au plus {fr_int(max_count)}).")
        # (simple text, rich body): one C-level pass per block, Python only for rich text
        pairs = _SI_S.findall(_decode(block))
        if len(strings) + len(pairs) > max_count:
            raise too_large(f"Trop de textes distincts dans le classeur (au plus {fr_int(max_count)}).")
        strings.extend(_unescape(simple) if not rich else _rich_text(rich) for simple, rich in pairs)
    return strings


def _rich_text(body: str) -> str:
    if "rPh" in body:
        body = _RPH_S.sub("", body)
    return _unescape("".join(_T_S.findall(body)))


def _decode(block: bytes) -> str:
    try:
        return block.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(CORRUPT) from None


def shared_strings(part: _Reopen, max_count: int) -> list[str]:
    """Return the shared-string table (fast scanner, expat when the markup needs it).

    Parameters
    ----------
    part : callable
        Returns a fresh iterable of the decompressed chunks of the part.
    max_count : int
        Most strings accepted (declared ``uniqueCount`` or read).

    Returns
    -------
    list of str
    """
    try:
        return _strings_fast(part(), max_count)
    except _Fallback:
        return xml_parts.shared_strings(part(), max_count)


def _attr(attrs: str, name: str) -> str | None:
    """Value of attribute ``name`` in a start tag's attribute text (double or single quotes)."""
    for quote in ('"', "'"):
        i = attrs.find(f" {name}={quote}")
        if i >= 0:
            start = i + len(name) + 3
            return attrs[start:attrs.find(quote, start)]
    return None


def _cell_value(kind: str, text: str | None, body: str, strings: list[str]) -> Any:
    if kind == "inlineStr":
        return _unescape("".join(_T_S.findall(body))).strip()
    if text is None:
        return None
    return xml_parts.cell_value(kind, _unescape(text), strings)


def _row_cells(body: str, row_number: int, strings: list[str], counter: Counter) -> list[Any]:
    cells: list[Any] = []
    column = 0
    for letters, kind, attrs, simple, rich in _C_S.findall(body):
        if letters:
            column = _column(letters)
        else:
            ref = _attr(attrs, "r")
            column = _column(ref.rstrip("0123456789")) if ref else column + 1
        if rich:
            v = _V_S.search(rich)
            text = v.group(1) if v else None
        else:
            text = simple or None
        if not kind:
            kind = (_attr(attrs, "t") or "n") if "t=" in attrs else "n"
        value = _cell_value(kind, text, rich, strings)
        if value is None or value == "":
            continue
        counter.check_column(column, row_number)
        if column > len(cells):
            cells.extend([None] * (column - len(cells)))
        cells[column - 1] = value
    return cells


def _rows_fast(chunks: Iterable[bytes], strings: list[str], counter: Counter) -> list[tuple[int, list[Any]]]:
    rows: list[tuple[int, list[Any]]] = []
    row_number = 0
    for raw in _elements(chunks, _ROW_END):
        block = _decode(raw)
        if row_number == 0:
            dimension = _DIMENSION_S.search(block[:block.find("sheetData")])
            if dimension:
                xml_parts.check_dimension(dimension.group(1), counter)
        for attrs, body in _ROW_S.findall(block):
            counter.add_cells(body.count("<c ") + body.count("<c>") + body.count(":c "))
            given = _attr(attrs, "r")
            row_number = int(given) if given and given.isdigit() else row_number + 1
            counter.check_row(row_number)
            cells = _row_cells(body, row_number, strings, counter)
            if cells:
                rows.append((row_number, cells))
    return rows


def check_sheet_head(head: bytes, counter: Counter) -> None:
    """Check the declared ``<dimension>`` found in the first bytes of a worksheet part.

    Parameters
    ----------
    head : bytes
        The first decompressed chunk of the worksheet.
    counter : Counter
        The limits to check against (rows, columns, cells).
    """
    end = head.find(b"sheetData")
    dimension = _DIMENSION.search(head[:end] if end >= 0 else head)
    if dimension:
        xml_parts.check_dimension(dimension.group(1).decode("ascii", "replace"), counter)


def sheet_rows(part: _Reopen, strings: list[str], counter: Counter) -> list[tuple[int, list[Any]]]:
    """Return the non-blank rows of a worksheet part (fast scanner, expat when the markup needs it).

    Parameters
    ----------
    part : callable
        Returns a fresh iterable of the decompressed chunks of the part.
    strings : list of str
        The shared strings.
    counter : Counter
        Running limits (rows, columns, cells).

    Returns
    -------
    list of (int, list)
        ``(row number, cell values)``.
    """
    try:
        return _rows_fast(part(), strings, counter)
    except _Fallback:
        counter.cells = 0
        return xml_parts.sheet_rows(part(), strings, counter)
