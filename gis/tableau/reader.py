"""Entry point of the upload readers: size check, format detection, CSV or XLSX reader."""

from __future__ import annotations

from gis.errors import InvalidInput
from gis.tableau.csv_reader import BINARY, read_csv
from gis.tableau.limits import UploadLimits, check_file_size
from gis.tableau.sheet import Sheet, to_sheet
from gis.tableau.xlsx import read_xlsx
from gis.tableau.xml_parts import CORRUPT


def read_sheet(data: bytes, filename: str | None = None, limits: UploadLimits | None = None) -> Sheet:
    """Read an uploaded CSV or XLSX file within hard limits.

    Parameters
    ----------
    data : bytes
        The uploaded file.
    filename : str, optional
        Its name (a ``.xlsx`` name that is not a zip archive is reported as a damaged workbook).
    limits : UploadLimits, optional
        Defaults to the settings (``ROR_GIS_UPLOAD_MAX_*``).

    Returns
    -------
    Sheet
        Headers, data rows and their row numbers in the file.

    Raises
    ------
    PayloadTooLarge
        Over a size limit (file, decompressed size, sheets, rows, columns, cells, line length): 413.
    InvalidInput
        Empty, unreadable, malformed, in an unknown encoding, or in an unsupported format: 422.
    """
    limits = limits or UploadLimits.from_settings()
    if not data or not data.strip():
        raise InvalidInput("Le fichier est vide.")
    check_file_size(len(data), limits)
    if data.startswith(b"PK\x03\x04"):
        rows, label = read_xlsx(data, limits)
        return to_sheet(rows, label)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InvalidInput("Format Excel 97-2003 (.xls) non pris en charge : enregistrez le classeur au "
                           "format .xlsx ou exportez-le en CSV.")
    if data.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"PK")):
        raise InvalidInput(BINARY + ".")
    if (filename or "").lower().endswith((".xlsx", ".xlsm")):
        raise InvalidInput(CORRUPT)
    return read_csv(data, limits)
