"""Spreadsheet → communes: read, match and classify a planner's CSV/XLSX.

A file is read within hard limits, its code and value columns are found, the codes are matched to
communes (one SQL query) and the values classified.

Modules: :mod:`~gis.tableau.reader` (entry point), :mod:`~gis.tableau.csv_reader`,
:mod:`~gis.tableau.xlsx` and :mod:`~gis.tableau.xml_parts` (streaming XLSX), :mod:`~gis.tableau.limits`,
:mod:`~gis.tableau.values` (numbers and codes), :mod:`~gis.tableau.columns`,
:mod:`~gis.tableau.matching` (SQL), :mod:`~gis.tableau.analysis`. Classification is in
:mod:`gis.classify`.

Matching rules (in this order, for each distinct code as written):

1. current INSEE code (COG 2026, Paris arrondissements included);
2. 5-digit postcode: if it serves exactly one commune (or one Paris arrondissement, not the
   whole city) the row goes to that commune; if it serves several, the row is **not assigned**
   and is reported as ambiguous with the list of communes — assigning the value to all of them
   would count it several times (beds, places, amounts…), and splitting it would be arbitrary;
3. former / delegated / associated code (``geo_commune_alias``) → the current commune.

A numeric code that lost its leading zero (``1053``, ``1053.0`` from Excel) is padded to five
characters first.
"""

from __future__ import annotations

from gis.classify import METHODS, classify, method_key
from gis.tableau.analysis import TableauResult, analyse
from gis.tableau.columns import detect_columns
from gis.tableau.limits import MAX_BYTES, UploadLimits
from gis.tableau.matching import geometries, match_codes
from gis.tableau.reader import read_sheet
from gis.tableau.sheet import Sheet
from gis.tableau.values import code_text, normalize_code, parse_number

__all__ = ["MAX_BYTES", "METHODS", "Sheet", "TableauResult", "UploadLimits", "analyse", "classify", "code_text",
           "detect_columns", "geometries", "match_codes", "method_key", "normalize_code", "parse_number",
           "read_sheet"]
