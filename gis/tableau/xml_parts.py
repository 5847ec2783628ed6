"""Streaming parsers of the XML parts of an XLSX workbook (expat, no tree kept in memory).

Documents with a DOCTYPE or entity declarations are refused (no entity expansion at all). The
parsers are fed decompressed chunks and keep only what the reader needs: the shared strings, and the
rows of one sheet as ``(row number, cells)`` with the running limits of :mod:`gis.tableau.limits`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from xml.parsers import expat

from gis.errors import InvalidInput
from gis.tableau.limits import Counter, fr_int, too_large

_SEP = "}"
_CELL_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")
_DIMENSION = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?$")
_NUMBER_INT = re.compile(r"^[+-]?\d+$")

CORRUPT = ("Classeur Excel illisible ou endommagé : enregistrez-le à nouveau au format .xlsx "
           "ou exportez-le en CSV.")


def _local(name: str) -> str:
    return name.rsplit(_SEP, 1)[-1]


def _refuse_dtd(*_args: Any) -> None:
    raise InvalidInput(CORRUPT + " (déclaration DOCTYPE ou d'entité interdite)")


def make_parser() -> expat.XMLParserType:
    """Return an expat parser with namespace processing that refuses DOCTYPE and entity declarations."""
    parser = expat.ParserCreate(namespace_separator=_SEP)
    parser.buffer_text = True
    parser.buffer_size = 65536
    parser.ordered_attributes = True
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    return parser


def feed(parser: expat.XMLParserType, chunks: Iterable[bytes]) -> None:
    """Feed ``chunks`` to ``parser``; XML errors become :class:`InvalidInput` (French)."""
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError:
        raise InvalidInput(CORRUPT) from None


def column_index(letters: str) -> int:
    """Return the 1-based column number of ``A``, ``Z``, ``AA``…."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def element_attributes(chunks: Iterable[bytes], wanted: set[str]) -> list[tuple[str, dict[str, str]]]:
    """``(local name, attributes by local name)`` of every element named in ``wanted`` (small parts)."""
    found: list[tuple[str, dict[str, str]]] = []

    def start(name: str, attrs: list[str]) -> None:
        local = _local(name)
        if local in wanted:
            found.append((local, {_local(attrs[i]): attrs[i + 1] for i in range(0, len(attrs), 2)}))

    parser = make_parser()
    parser.StartElementHandler = start
    feed(parser, chunks)
    return found


class _Strings:
    """Expat handlers collecting the shared strings (rich-text runs joined, phonetic runs skipped)."""

    def __init__(self, max_count: int) -> None:
        self.max_count = max_count
        self.strings: list[str] = []
        self.parts: list[str] = []
        self.in_text = False
        self.phonetic = 0

    def start(self, name: str, attrs: list[str]) -> None:
        """Expat start-element handler."""
        local = _local(name)
        if local == "t":
            self.in_text = self.phonetic == 0
        elif local == "rPh":
            self.phonetic += 1
        elif local == "sst":
            declared = dict(zip(attrs[::2], attrs[1::2], strict=True)).get("uniqueCount", "")
            if declared.isdigit() and int(declared) > self.max_count:
                raise too_large(f"Trop de textes distincts dans le classeur : {fr_int(int(declared))} "
                                f"(au plus {fr_int(self.max_count)}).")

    def end(self, name: str) -> None:
        """Expat end-element handler."""
        local = _local(name)
        if local == "t":
            self.in_text = False
        elif local == "rPh":
            self.phonetic -= 1
        elif local == "si":
            if len(self.strings) >= self.max_count:
                raise too_large(f"Trop de textes distincts dans le classeur (au plus {fr_int(self.max_count)}).")
            self.strings.append("".join(self.parts))
            self.parts.clear()

    def data(self, text: str) -> None:
        """Expat character-data handler."""
        if self.in_text:
            self.parts.append(text)


def shared_strings(chunks: Iterable[bytes], max_count: int) -> list[str]:
    """Parse the shared-string table; refuse more than ``max_count`` strings (declared or read).

    Rich-text runs are concatenated; phonetic runs (``rPh``) are skipped, as openpyxl does.
    """
    collector = _Strings(max_count)
    parser = make_parser()
    parser.StartElementHandler, parser.EndElementHandler = collector.start, collector.end
    parser.CharacterDataHandler = collector.data
    feed(parser, chunks)
    return collector.strings


def check_dimension(ref: str, counter: Counter) -> None:
    """Refuse a sheet whose declared ``<dimension ref="A1:XFD1048576">`` is over the limits."""
    m = _DIMENSION.match(ref.strip().upper())
    if not m:
        return
    last_col, last_row = (m.group(3), m.group(4)) if m.group(3) else (m.group(1), m.group(2))
    first_col, first_row = column_index(m.group(1)), int(m.group(2))
    rows, cols = int(last_row), column_index(last_col)
    counter.check_row(rows)
    counter.check_column(cols, rows)
    area = (rows - first_row + 1) * (cols - first_col + 1)
    if area > counter.limits.max_cells:
        raise too_large(f"Feuille trop grande : {fr_int(area)} cellules déclarées (au plus "
                        f"{fr_int(counter.limits.max_cells)}).")


class SheetRows:
    """Expat handlers collecting the rows of a worksheet: ``rows`` = ``[(row number, cells)]``.

    Cell values as openpyxl gives them with ``data_only=True`` (cached formula results), except that
    dates stay numbers: str (stripped), int, float, bool or None. Blank rows are dropped.
    """

    def __init__(self, strings: list[str], counter: Counter) -> None:
        self.strings = strings
        self.counter = counter
        self.rows: list[tuple[int, list[Any]]] = []
        self._row: list[Any] = []
        self._row_number = 0
        self._cell: tuple[int, str] | None = None  # (1-based column, type)
        self._column = 0
        self._text: list[str] = []
        self._capture = False

    def start(self, name: str, attrs: list[str]) -> None:
        """Expat start-element handler."""
        local = _local(name)
        if local == "c":
            self._start_cell(dict(zip(attrs[::2], attrs[1::2], strict=True)))
        elif local in ("v", "t") and self._cell is not None:
            self._capture = True
        elif local == "row":
            given = dict(zip(attrs[::2], attrs[1::2], strict=True)).get("r", "")
            self._row_number = int(given) if given.isdigit() else self._row_number + 1
            self.counter.check_row(self._row_number)
            self._row, self._column = [], 0
        elif local == "dimension":
            check_dimension(dict(zip(attrs[::2], attrs[1::2], strict=True)).get("ref", ""), self.counter)

    def _start_cell(self, attrs: dict[str, str]) -> None:
        self.counter.add_cells(1)
        m = _CELL_REF.match(attrs.get("r", ""))
        self._column = column_index(m.group(1)) if m else self._column + 1
        self._cell = (self._column, attrs.get("t", "n"))
        self._text = []

    def end(self, name: str) -> None:
        """Expat end-element handler."""
        local = _local(name)
        if local in ("v", "t"):
            self._capture = False
        elif local == "c" and self._cell is not None:
            self._end_cell(*self._cell)
            self._cell = None
        elif local == "row":
            if any(v is not None and v != "" for v in self._row):
                self.rows.append((self._row_number, self._row))
            self._row = []

    def _end_cell(self, column: int, kind: str) -> None:
        value = self._value(kind, "".join(self._text))
        if value is None or value == "":
            return
        self.counter.check_column(column, self._row_number)
        if column > len(self._row):
            self._row.extend([None] * (column - len(self._row)))
        self._row[column - 1] = value

    def data(self, text: str) -> None:
        """Expat character-data handler."""
        if self._capture:
            self._text.append(text)

    def _value(self, kind: str, text: str) -> Any:
        return cell_value(kind, text, self.strings)


def sheet_rows(chunks: Iterable[bytes], strings: list[str], counter: Counter) -> list[tuple[int, list[Any]]]:
    """Return the non-blank rows of a worksheet part, with their row numbers.

    Parameters
    ----------
    chunks : iterable of bytes
        The decompressed worksheet XML.
    strings : list of str
        The shared strings.
    counter : Counter
        Running limits (rows, columns, cells), checked as the XML is parsed.

    Returns
    -------
    list of (int, list)
        ``(row number, cell values)``; cells beyond the last value are not stored.
    """
    collector = SheetRows(strings, counter)
    parser = make_parser()
    parser.StartElementHandler, parser.EndElementHandler = collector.start, collector.end
    parser.CharacterDataHandler = collector.data
    feed(parser, chunks)
    return collector.rows


def cell_value(kind: str, text: str, strings: list[str]) -> Any:
    """Return the value of a cell of type ``kind`` (``t`` attribute) whose ``<v>`` text is ``text`` (unescaped).

    Shared strings are looked up in ``strings``; text types stay text; booleans become bool; the rest is a number
    when it reads as one, else text.
    """
    if kind == "s":
        try:
            return strings[int(text)].strip()
        except (ValueError, IndexError):
            raise InvalidInput(CORRUPT + " (texte partagé introuvable)") from None
    if kind in ("str", "inlineStr", "e", "d"):
        return text.strip()
    if not text:
        return None
    if kind == "b":
        return text.strip() in ("1", "true")
    try:
        return int(text) if _NUMBER_INT.match(text) else float(text)
    except ValueError:
        return text.strip()
