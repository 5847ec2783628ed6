"""Coverage page at national scale: the table shows a page of communes (zones blanches, most populous first),
the whole list stays in the GeoJSON; a région-sized table is shown whole."""

from __future__ import annotations

from web_map.choropleth import COVERAGE_TABLE_ROWS, COVERAGE_TABLE_WHOLE, couverture_page


def _data(n: int) -> dict:
    features = [{"properties": {"insee": f"{i:05d}", "nom": f"Commune {i}", "departement": "01",
                                "population": i, "offres": i % 3, "pour_10000": None}} for i in range(n)]
    blanks = sum(1 for f in features if f["properties"]["offres"] == 0)
    return {"features": features, "resume": {"communes": n, "communes_non_couvertes": blanks,
                                             "population": sum(range(n)), "population_non_couverte": 0}}


def test_large_coverage_table_is_paged():
    page = couverture_page(_data(COVERAGE_TABLE_WHOLE + 1), type_labels=["SSIAD"], extent=None, basemap="none")
    rows = page.tables[-1].rows
    assert len(rows) == COVERAGE_TABLE_ROWS
    blanks = [r for r in rows if r["zone"] == "oui"]
    assert rows[: len(blanks)] == blanks  # zones blanches first
    assert [r["population"] for r in blanks] == sorted((r["population"] for r in blanks), reverse=True)
    assert any("GeoJSON" in n for n in page.notices)


def test_small_coverage_table_is_whole():
    page = couverture_page(_data(1300), type_labels=["SSIAD"], extent=None, basemap="none")
    assert len(page.tables[-1].rows) == 1300 and not page.notices


def test_coverage_page_says_when_fictitious_offers_are_counted():
    data = _data(10)
    data["resume"]["communes_offres_fictives"] = 4
    page = couverture_page(data, type_labels=["SSIAD"], extent=None, basemap="none")
    notice = next(n for n in page.notices if "fictives" in n)
    assert "4 communes couvertes par au moins une offre fictive" in notice
    assert "ne décrit pas l'offre réelle" in notice
