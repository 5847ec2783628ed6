"""Reading a CSV upload: encoding (UTF-8 or a clean Windows-1252, never mojibake), separator, limits."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

from gis.errors import InvalidInput
from gis.tableau.limits import MAX_LINE_CHARS, Counter, UploadLimits, fr_int, too_large
from gis.tableau.sheet import Sheet, to_sheet

BINARY = "Fichier illisible : ce n'est ni un CSV ni un classeur Excel .xlsx"
_ENCODING = ("Encodage du fichier non reconnu : enregistrez le CSV en UTF-8 (ou en Windows-1252) ; "
             "sinon les accents seraient mal lus")
# UTF-8 multi-byte sequences of Latin letters inside a file that is not valid UTF-8: mixed encodings.
_UTF8_IN_8BIT = re.compile(rb"[\xc2\xc3][\x80-\xbf]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Windows-1252 punctuation or rare letters between two letters: the file was written in another
# code page (Mac Roman "crŽche", DOS 850 "cr‚che", "pŠre").
_FOREIGN_CODEPAGE = re.compile(r"(?<=[A-Za-z])[‚„…†‡ˆ‰Š‹ŽƒžŸ˜™›](?=[A-Za-z])")
_NAMES = {";": "point-virgule", "\t": "tabulation", ",": "virgule"}


def _snippet(text: str, pos: int) -> str:
    return text[max(0, pos - 12):pos + 12].replace("\n", " ").replace("\r", " ").strip()


def _not_binary(text: str) -> str:
    """Refuse a text with more than 1 % of control characters in its first 20,000 characters."""
    head = text[:20000]
    controls = sum(1 for ch in head if ord(ch) < 32 and ch not in "\r\n\t")
    if controls > max(3, len(head) // 100):
        raise InvalidInput(BINARY + " (caractères de contrôle).")
    return text


def decode(data: bytes) -> tuple[str, str]:
    """Text and encoding name of a CSV upload.

    Parameters
    ----------
    data : bytes
        The file.

    Returns
    -------
    text : str
        The decoded text.
    encoding : str
        ``UTF-8``, ``UTF-16`` (with a byte-order mark) or ``Windows-1252``.

    Raises
    ------
    InvalidInput
        Binary content, or an encoding that is neither UTF-8 nor a clean Windows-1252 (bytes
        undefined in Windows-1252, control characters, UTF-8 sequences mixed in, letters of another
        code page), with a French message saying so.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _not_binary(data.decode("utf-16")), "UTF-16"
        except UnicodeDecodeError:
            raise InvalidInput(_ENCODING + " (UTF-16 invalide).") from None
    if b"\x00" in data[:8192]:
        raise InvalidInput(BINARY + " (contenu binaire).")
    try:
        return _not_binary(data.decode("utf-8-sig")), "UTF-8"
    except UnicodeDecodeError:
        pass
    mixed = _UTF8_IN_8BIT.search(data)
    if mixed:
        raise InvalidInput(f"{_ENCODING} (UTF-8 et Windows-1252 mélangés près de « "
                           f"{_snippet(data.decode('cp1252', 'replace'), mixed.start())} »).")
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{_ENCODING} (octet 0x{data[exc.start]:02X} inconnu en Windows-1252, "
                           f"position {fr_int(exc.start)}).") from None
    bad = _CONTROL.search(text) or _FOREIGN_CODEPAGE.search(text)
    if bad:
        raise InvalidInput(f"{_ENCODING} (caractère inattendu près de « {_snippet(text, bad.start())} »).")
    return text, "Windows-1252"


def _lines(text: str) -> Iterator[str]:
    """Physical lines, each refused if longer than :data:`MAX_LINE_CHARS`."""
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if len(line) > MAX_LINE_CHARS:
            raise too_large(f"Ligne {fr_int(number)} trop longue : au plus {fr_int(MAX_LINE_CHARS)} caractères.")
        yield line


def _delimiter(text: str) -> str:
    header_line = next((ln for ln in io.StringIO(text[:MAX_LINE_CHARS + 2], newline="") if ln.strip()), "")
    counts = {d: header_line.count(d) for d in (";", "\t", ",")}
    delimiter = max(counts, key=lambda d: counts[d])
    return delimiter if counts[delimiter] else ";"


def _rows(text: str, delimiter: str, counter: Counter) -> list[tuple[int, list[Any]]]:
    numbered: list[tuple[int, list[Any]]] = []
    reader = csv.reader(_lines(text), delimiter=delimiter)
    number = 0
    try:
        for row in reader:
            number += 1
            counter.check_row(number)
            while row and not row[-1].strip():
                row.pop()  # trailing empty fields (spreadsheet exports): not columns
            counter.check_column(len(row), number)
            counter.add_cells(len(row))
            numbered.append((number, [c.strip() for c in row]))
    except csv.Error:
        raise InvalidInput(f"Fichier CSV mal formé (ligne {fr_int(reader.line_num)}) : guillemet non fermé "
                           "ou champ trop long.") from None
    return numbered


def read_csv(data: bytes, limits: UploadLimits) -> Sheet:
    """Read a CSV upload (separator ``;``, tab or ``,`` detected on the first line).

    Parameters
    ----------
    data : bytes
        The file (already checked against ``limits.max_bytes``).
    limits : UploadLimits
        Row, column, cell and line-length limits, enforced while parsing.

    Returns
    -------
    Sheet

    Raises
    ------
    PayloadTooLarge
        A limit is exceeded.
    InvalidInput
        Unreadable encoding, binary content, malformed CSV, or no data.
    """
    text, encoding = decode(data)
    if not text.strip():
        raise InvalidInput("Le fichier est vide.")
    lines = text.count("\n") + 1
    if lines > limits.max_rows + 2 and '"' not in text:  # no quoted field: one record per line
        Counter(limits).check_row(lines)
    delimiter = _delimiter(text)
    numbered = _rows(text, delimiter, Counter(limits, csv=True))
    return to_sheet(numbered, f"CSV, séparateur {_NAMES[delimiter]}, encodage {encoding}")
