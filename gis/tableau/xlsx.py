"""Reading the first worksheet of an XLSX upload without trusting the archive.

1. The zip central directory is inspected before anything is decompressed: number of entries,
   compression methods, declared uncompressed size of every entry and its compression ratio, and the
   total declared size of the parts that will be read.
2. Only four parts are decompressed (package relationships, workbook, its relationships, shared
   strings, then the first worksheet), in 64 KiB chunks, with a running byte budget: a part that
   inflates beyond its declared size or beyond the budget is refused on the spot.
3. The XML is parsed as it streams (:mod:`gis.tableau.xml_parts`): the sheet count, the declared
   dimension and shared-string count are checked first, then rows, columns and cells as they come.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Iterator
from typing import Any

from gis.errors import InvalidInput
from gis.tableau import xml_fast, xml_parts
from gis.tableau.limits import (
    MAX_RATIO,
    MAX_SMALL_PART_BYTES,
    MAX_ZIP_ENTRIES,
    RATIO_FREE_BYTES,
    Counter,
    UploadLimits,
    fr_int,
    fr_size,
    too_large,
)
from gis.tableau.xml_parts import CORRUPT

_CHUNK = 64 * 1024
_REL_WORKSHEET = "/worksheet"
_REL_STRINGS = "/sharedStrings"
_REL_DOCUMENT = "/officeDocument"


class _Budget:
    """Bytes that may still be decompressed, over all the parts read."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit

    def take(self, n: int) -> None:
        """Spend ``n`` bytes; refuse (413) when the budget is exhausted."""
        self.left -= n
        if self.left < 0:
            raise too_large(f"Classeur trop volumineux une fois décompressé (au plus {fr_size(self.limit)}).")


def _open(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise InvalidInput(CORRUPT) from None


def _check_directory(zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """Entries by name, after the central-directory checks (count, methods, ratios)."""
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise too_large(f"Archive suspecte : {fr_int(len(infos))} fichiers dans le classeur (au plus "
                        f"{fr_int(MAX_ZIP_ENTRIES)}).")
    for info in infos:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 0x1:
            raise InvalidInput(CORRUPT + " (compression ou chiffrement non pris en charge)")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FREE_BYTES and ratio > MAX_RATIO:
            raise too_large(f"Archive suspecte : une partie du classeur est compressée {fr_int(int(ratio))} "
                            f"fois (au plus {MAX_RATIO}).")
    return {info.filename: info for info in infos}


def _chunks(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget, cap: int | None = None) -> Iterator[bytes]:
    """Decompressed chunks of one entry, within its declared size, ``cap`` and the budget."""
    if cap is not None and info.file_size > cap:
        raise too_large(f"Partie « {info.filename[:80]} » du classeur trop volumineuse "
                        f"({fr_size(info.file_size)}, au plus {fr_size(cap)}).")
    read = 0
    try:
        with zf.open(info) as stream:  # zipfile stops at the declared size and checks the CRC
            while chunk := stream.read(_CHUNK):
                read += len(chunk)
                budget.take(len(chunk))
                yield chunk
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise InvalidInput(CORRUPT) from None
    if read != info.file_size:
        raise InvalidInput(CORRUPT)


def _resolve(base_part: str, target: str) -> str:
    """Return a relationship target relative to the folder of ``base_part`` (or absolute)."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def _rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _relationships(zf: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo], part: str,
                   budget: _Budget) -> dict[str, tuple[str, str]]:
    """``{Id: (Type, resolved target)}`` of a part's relationships (empty if it has none)."""
    info = infos.get(_rels_path(part))
    if info is None:
        return {}
    found = xml_parts.element_attributes(_chunks(zf, info, budget, MAX_SMALL_PART_BYTES), {"Relationship"})
    base = part if part else "_"
    return {a.get("Id", ""): (a.get("Type", ""), _resolve(base, a.get("Target", ""))) for _n, a in found}


def _locate(zf: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo], limits: UploadLimits,
            budget: _Budget) -> tuple[str, str, str | None]:
    """``(sheet title, worksheet part, shared-strings part or None)`` of the first worksheet."""
    package = _relationships(zf, infos, "", budget)
    workbook = next((t for typ, t in package.values() if typ.endswith(_REL_DOCUMENT)), "xl/workbook.xml")
    if workbook not in infos:
        raise InvalidInput(CORRUPT + " (classeur sans feuille de calcul)")
    sheets = xml_parts.element_attributes(_chunks(zf, infos[workbook], budget, MAX_SMALL_PART_BYTES), {"sheet"})
    if len(sheets) > limits.max_sheets:
        raise too_large(f"Trop de feuilles : {fr_int(len(sheets))} (au plus {fr_int(limits.max_sheets)}).")
    rels = _relationships(zf, infos, workbook, budget)
    strings = next((t for typ, t in rels.values() if typ.endswith(_REL_STRINGS)), None)
    for _name, attrs in sheets:
        typ, target = rels.get(attrs.get("id", ""), ("", ""))
        if typ.endswith(_REL_WORKSHEET) and target in infos:
            return attrs.get("name", "Feuille 1"), target, strings if strings in infos else None
    raise InvalidInput("Le classeur Excel ne contient aucune feuille.")


def read_xlsx(data: bytes, limits: UploadLimits) -> tuple[list[tuple[int, list[Any]]], str]:
    """Return the non-blank rows of the first worksheet of an XLSX file, and a French format label.

    Parameters
    ----------
    data : bytes
        The uploaded file (already checked against ``limits.max_bytes``).
    limits : UploadLimits
        Hard limits, enforced before and while decompressing.

    Returns
    -------
    rows : list of (int, list)
        ``(row number, cell values)`` of the non-blank rows.
    label : str
        ``classeur Excel, feuille « … »``.

    Raises
    ------
    PayloadTooLarge
        A limit is exceeded (413).
    InvalidInput
        The archive or its XML is malformed (422).
    """
    with _open(data) as zf:
        infos = _check_directory(zf)
        budget = _Budget(limits.max_unpacked_bytes)
        title, sheet_part, strings_part = _locate(zf, infos, limits, budget)
        declared = infos[sheet_part].file_size + (infos[strings_part].file_size if strings_part else 0)
        if declared > budget.left:
            raise too_large(f"Classeur trop volumineux une fois décompressé : {fr_size(declared)} (au plus "
                            f"{fr_size(limits.max_unpacked_bytes)}).")
        counter = Counter(limits)
        xml_fast.check_sheet_head(next(iter(_chunks(zf, infos[sheet_part], budget)), b""), counter)
        strings: list[str] = []
        if strings_part:
            strings = xml_fast.shared_strings(lambda: _chunks(zf, infos[strings_part], budget), limits.max_cells)
        rows = xml_fast.sheet_rows(lambda: _chunks(zf, infos[sheet_part], budget), strings, counter)
    return rows, f"classeur Excel, feuille « {title} »"
