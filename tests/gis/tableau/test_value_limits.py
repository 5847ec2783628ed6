"""Values out of range (issue: ``1e308`` made a 309-digit class label): refused with a French reason per row,
the same way whether written as text, as a float or as an integer cell."""

from __future__ import annotations

import pytest

from gis import tableau
from gis.tableau.values import MAX_ABS_VALUE, out_of_range


@pytest.mark.parametrize("raw", ["1e308", "-1e400", "1e400", 1e308, float("inf"), float("-inf"), 10**400,
                                 "2e15", "-1 000 000 000 000 001"])
def test_absurd_magnitudes_are_not_numbers_and_say_so(raw):
    assert tableau.parse_number(raw) is None
    assert out_of_range(raw)


@pytest.mark.parametrize("raw", ["1e15", "-1e15", 10**15, "999 999 999 999 999", "1e-400", "0"])
def test_bounded_values_are_kept(raw):
    value = tableau.parse_number(raw)
    assert value is not None and abs(value) <= MAX_ABS_VALUE
    assert not out_of_range(raw)


@pytest.mark.parametrize("raw", ["abc", "inf", "nan", "NaN", "", None, float("nan")])
def test_words_are_not_out_of_range(raw):
    assert tableau.parse_number(raw) is None and not out_of_range(raw)


def test_analyse_reports_out_of_range_rows_consistently(conn):
    sheet = tableau.Sheet(["code_insee", "valeur"],
                          [["93066", "1e308"], ["93048", "-1e400"], ["94028", 1e300], ["92012", "12"],
                           ["75056", "inf"]],
                          [2, 3, 4, 5, 6], "CSV")
    result = tableau.analyse(conn, sheet, filename="t.csv", code_column="code_insee", value_column="valeur")
    assert [e["insee"] for e in result.matched] == ["92012"]
    reasons = {r["ligne"]: r["motif"] for r in result.unmatched}
    assert reasons[2] == "valeur hors limites (|x| ≤ 1e15) (« 1e308 »)"
    assert reasons[3] == "valeur hors limites (|x| ≤ 1e15) (« -1e400 »)"
    assert reasons[4].startswith("valeur hors limites (|x| ≤ 1e15)")
    assert reasons[6] == "valeur non numérique (« inf »)"
