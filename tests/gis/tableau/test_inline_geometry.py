"""Beyond ``inline_max`` matched communes the analysis returns no geometry, only the bounding box and the
départements (the page then draws the communes from vector tiles)."""

from __future__ import annotations

from gis import tableau


def _sheet() -> tableau.Sheet:
    codes = ["93066", "93048", "94028", "92012", "75110"]
    return tableau.Sheet(["code_insee", "valeur"], [[c, i + 1] for i, c in enumerate(codes)], [2, 3, 4, 5, 6], "CSV")


def test_geometry_inlined_up_to_the_limit_only(conn):
    inline = tableau.analyse(conn, _sheet(), inline_max=5)
    tiled = tableau.analyse(conn, _sheet(), inline_max=4)
    assert inline.geometry_inline and len(inline.features) == 5
    assert not tiled.geometry_inline and tiled.features == []
    assert tiled.bbox == inline.bbox and tiled.bbox is not None
    assert [e["departement"] for e in tiled.matched] == [e["departement"] for e in inline.matched]
    assert tableau.analyse(conn, _sheet()).geometry_inline  # no limit: always inlined
