"""Limits of an uploaded spreadsheet, and the French messages of the refusals.

Every limit is checked before the data it guards is expanded: the file size first, then the zip
central directory of an XLSX (entries, declared sizes, compression ratios), then the declared sheet
dimension and shared-string count, and finally running counters while the parts are decompressed
and parsed (bytes, rows, columns, cells). A file over a limit raises :class:`PayloadTooLarge` (413),
a malformed one :class:`InvalidInput` (422).
"""

from __future__ import annotations

from dataclasses import dataclass

from gis.errors import PayloadTooLarge
from gis.settings import Settings, get_settings

MAX_BYTES = 5 * 1024 * 1024
MAX_ZIP_ENTRIES = 1000
MAX_RATIO = 100  # uncompressed / compressed size of one zip entry (XML usually compresses 5 to 20 times)
RATIO_FREE_BYTES = 1024 * 1024  # entries smaller than this are not subject to the ratio limit
MAX_LINE_CHARS = 100_000  # one CSV line
MAX_SMALL_PART_BYTES = 2 * 1024 * 1024  # workbook.xml and relationship parts


@dataclass(frozen=True)
class UploadLimits:
    """Hard limits of an uploaded spreadsheet (defaults: the settings ``upload_max_*``)."""

    max_bytes: int = MAX_BYTES
    max_unpacked_bytes: int = 20 * 1024 * 1024
    max_sheets: int = 50
    max_rows: int = 50_000
    max_columns: int = 200
    max_cells: int = 100_000  # XLSX
    max_csv_cells: int = 500_000

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> UploadLimits:
        """Return the limits configured in the settings (``ROR_GIS_UPLOAD_MAX_*``).

        Parameters
        ----------
        settings : Settings, optional
            Defaults to :func:`gis.settings.get_settings`.

        Returns
        -------
        UploadLimits
        """
        s = settings or get_settings()
        return cls(max_bytes=s.upload_max_bytes, max_unpacked_bytes=s.upload_max_unpacked_bytes,
                   max_sheets=s.upload_max_sheets, max_rows=s.upload_max_rows,
                   max_columns=s.upload_max_columns, max_cells=s.upload_max_cells,
                   max_csv_cells=s.upload_max_csv_cells)


def fr_int(n: int) -> str:
    """Return an integer with French thousands separators (narrow no-break space)."""
    return f"{n:,}".replace(",", "\u202f")


def fr_size(n: int) -> str:
    """Return a byte count in French (``5 Mo``, ``1,5 Mo``, ``200 ko``)."""
    if n >= 1024 * 1024:
        mb = n / (1024 * 1024)
        return (f"{mb:.0f}" if mb >= 10 or mb.is_integer() else f"{mb:.1f}").replace(".", ",") + " Mo"
    return f"{max(1, round(n / 1024))} ko"


def too_large(what: str) -> PayloadTooLarge:
    """Return a 413 refusal whose message starts with ``what`` and explains how to get under the limits."""
    return PayloadTooLarge(f"{what} Réduisez le fichier (une seule feuille, les seules colonnes utiles).")


def check_file_size(size: int, limits: UploadLimits) -> None:
    """Raise :class:`PayloadTooLarge` if the uploaded file is over ``limits.max_bytes``."""
    if size > limits.max_bytes:
        raise PayloadTooLarge(f"Fichier trop volumineux : {fr_size(size)} (au plus "
                              f"{fr_size(limits.max_bytes)}).")


class Counter:
    """Running counts of rows and cells, raising as soon as a limit is passed."""

    def __init__(self, limits: UploadLimits, *, csv: bool = False) -> None:
        self.limits = limits
        self.max_cells = limits.max_csv_cells if csv else limits.max_cells
        self.advice = "" if csv else " ou exportez-le en CSV (jusqu'à " + fr_int(limits.max_csv_cells) + " cellules)"
        self.cells = 0

    def add_cells(self, n: int) -> None:
        """Count ``n`` more cells."""
        self.cells += n
        if self.cells > self.max_cells:
            raise PayloadTooLarge(f"Trop de cellules : au plus {fr_int(self.max_cells)}. Ne gardez que les "
                                  f"colonnes utiles (code commune et valeur){self.advice}.")

    def check_row(self, row_number: int) -> None:
        """Refuse a row beyond the row limit."""
        if row_number > self.limits.max_rows + 1:  # + the header line
            raise too_large(f"Trop de lignes : au plus {fr_int(self.limits.max_rows)} lignes de données.")

    def check_column(self, column: int, row_number: int) -> None:
        """Refuse a (1-based) column beyond the column limit."""
        if column > self.limits.max_columns:
            raise too_large(f"Trop de colonnes (ligne {fr_int(row_number)}) : au plus "
                            f"{fr_int(self.limits.max_columns)} colonnes.")
