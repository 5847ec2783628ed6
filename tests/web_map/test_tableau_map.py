"""Spreadsheet map page (web_map.tableau_map) from plain results: integer classes, compact French labels of
large numbers, integer cells in the exports, the export form offered when no link can be made."""

from __future__ import annotations

import re

import pytest

from gis import tableau
from gis.tableau import TableauResult
from web_map.tableau_map import (
    EXPORT_ACTION,
    apply_classes,
    class_labels,
    fr_compact,
    tableau_export_rows,
    tableau_page,
)

NNBSP = "\u202f"


def _result(values: list[float], *, method: str = "quantiles", k: int = 5) -> TableauResult:
    result = TableauResult(filename="f.csv", format_label="CSV", code_column="code", value_column="valeur",
                           rows_read=len(values))
    for i, v in enumerate(values):
        insee = f"93{i:03d}"
        result.matched.append({"ligne": i + 2, "code_saisi": insee, "insee": insee, "nom": f"Commune {i}",
                               "correspondance": "code INSEE", "valeur": float(v)})
    result.decimals = 0 if all(float(v).is_integer() for v in values) else 1
    result.bins = tableau.classify([float(v) for v in values if v != 0], k, method)
    return result


@pytest.mark.parametrize(("value", "text"), [
    (12, "12"), (999_999, f"999{NNBSP}999"), (1_000_000, "1 million"), (1_500_000, "1,5 million"),
    (2_000_000, "2 millions"), (12_345_678, "12,3 millions"), (987_654_321, "988 millions"),
    (3e9, "3 milliards"), (1e15, f"1{NNBSP}000 billions"), (-2.5e12, "\u22122,5 billions"),
])
def test_fr_compact(value, text):
    assert fr_compact(value) == text


def test_integer_data_get_integer_classes_and_cells():
    result = _result([1, 1, 1, 2, 2, 3, 5, 8, 13, 0])
    apply_classes(result)
    labels = [c["bounds"] for c in result.classes]
    assert all("," not in label for label in labels), labels
    assert "de 1 à 1" not in labels and not any(label.startswith("plus de") for label in labels)
    assert labels[0] == "1"
    assert all(b == int(b) for b in result.bins)
    rows = tableau_export_rows(result)
    assert [r[4] for r in rows][:3] == [1, 1, 1] and all(isinstance(r[4], int) for r in rows)


def test_decimal_data_keep_decimal_classes():
    bounds, labels = class_labels([1.5, 2.25], 0.5, integers=False)
    assert bounds == [1.5, 2.25] and labels[0] == "de 0,50 à 1,50"


def test_large_values_make_short_labels():
    result = _result([1e15, 3e14, 2e12, 5e9, 7e6, 1])
    page = tableau_page(result, share_url="/cartes/tableau/carte?d=x")
    html = page.render().replace(NNBSP, "")
    legend = re.search(r'<aside class="rg-side".*?</aside>', html, re.S)[0]
    assert not re.search(r"\d{7}", legend), "legend labels are compact"
    for c in result.classes:
        assert len(c["bounds"]) < 40, c["bounds"]
    assert all(len(e["classe"]) < 45 and len(e["valeur_txt"]) < 20 for e in result.matched)
    # The table keeps the exact value, at most 16 digits (|x| ≤ 1e15).
    assert max(len(m) for m in re.findall(r"\d+", html)) <= 16
    assert any("billions" in c["bounds"] for c in result.classes)


def test_export_form_when_no_share_link():
    result = _result([3, 4, 5])
    export = {"d": "eJwr_-", "classes": "5", "methode": "quantiles", "titre": '"><script>alert(1)</script>'}
    html = tableau_page(result, export=export).render()
    assert f'<form method="post" action="{EXPORT_ACTION}"' in html
    assert '<input type="hidden" name="d" value="eJwr_-">' in html
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert '<button type="submit" name="format" value="csv">' in html
    assert '<button type="submit" name="format" value="xlsx">' in html
    assert "<script>alert" not in html
    assert "Lien vers cette carte" not in html


def test_no_link_no_export_says_so():
    html = tableau_page(_result([3, 4, 5])).render()
    assert "trop volumineux pour un lien de partage ou un export" in html and "<form" not in html.split("<main")[1]
