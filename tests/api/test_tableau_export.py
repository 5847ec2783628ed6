"""A planner's whole-Île-de-France spreadsheet (10,000 rows): no shareable link fits, but the CSV/XLSX of the
result are offered by a form posting the same compressed data back (nothing stored, any instance answers);
integers stay integers in the exports; cross-site posts and damaged data are refused in French."""

from __future__ import annotations

import html as html_lib
import io
import random
import re

import openpyxl
import pytest

ROWS = 10_000


@pytest.fixture(scope="module")
def whole_region(db_url):
    import psycopg

    with psycopg.connect(db_url) as conn:
        codes = [r[0] for r in conn.execute("SELECT insee FROM geo_commune WHERE insee <> '75056' ORDER BY insee")]
    rng = random.Random(7)
    lines = ["code_insee;valeur"] + [f"{codes[i % len(codes)]};{rng.randint(0, 5000)}" for i in range(ROWS)]
    return codes, "\n".join(lines).encode()


@pytest.fixture(scope="module")
def page(http, whole_region):
    _, content = whole_region
    resp = http.post("/cartes/tableau", files={"fichier": ("idf.csv", content)},
                     data={"titre": "Lits par commune", "classes": "5"})
    assert resp.status_code == 200, resp.text[:500]
    return resp.text


def _export_fields(page: str) -> dict[str, str]:
    form = re.search(r'<form method="post" action="/cartes/tableau/export"[^>]*>(.*?)</form>', page, re.S)
    assert form, "the export form is offered"
    return {name: html_lib.unescape(value)
            for name, value in re.findall(r'<input type="hidden" name="([a-z]+)" value="([^"]*)">', form[1])}


def test_large_file_has_no_link_but_an_export_form(page, whole_region):
    codes, _ = whole_region
    assert "Lien vers cette carte" not in page
    assert "Tableau trop volumineux pour un lien de partage" in page
    fields = _export_fields(page)
    assert set(fields) == {"d", "classes", "methode", "titre"} and fields["titre"] == "Lits par commune"
    assert f"{len(codes)} commune(s) cartographiée(s)" in page


def test_export_form_gives_the_csv_and_xlsx_of_the_result(http, page, whole_region):
    codes, _ = whole_region
    fields = _export_fields(page)
    csv = http.post("/cartes/tableau/export", data={**fields, "format": "csv"})
    assert csv.status_code == 200, csv.text[:300]
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.headers["cache-control"] == "no-store, private"
    assert 'filename="carte-lits-par-commune.csv"' in csv.headers["content-disposition"]
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Code INSEE;Commune;Code saisi;Correspondance;Valeur;Classe;Ligne du fichier"
    assert len(lines) == len(codes) + 1
    values = [line.split(";")[4] for line in lines[1:]]
    assert all(v.isdigit() for v in values), values[:5]  # integers: never « 5,0 »
    xlsx = http.post("/cartes/tableau/export", data={**fields, "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == len(codes) + 1
    assert all(isinstance(row[4], int) for row in sheet.iter_rows(min_row=2, values_only=True))


def test_export_refuses_cross_site_posts_and_damaged_data(http, page):
    fields = _export_fields(page)
    cross = http.post("/cartes/tableau/export", data={**fields, "format": "csv"},
                      headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403 and "Envoi refusé" in cross.text
    damaged = http.post("/cartes/tableau/export", data={**fields, "d": fields["d"][:-40], "format": "csv"})
    assert damaged.status_code == 404 and "chargez à nouveau le fichier" in damaged.text
    assert damaged.headers["content-type"].startswith("text/html")


def test_large_map_draws_tiles_coloured_from_a_compact_value_block(page, whole_region):
    """No embedded polygons: the communes come from the vector tiles, the values from the JSON spec block."""
    import json

    codes, _ = whole_region
    spec = json.loads(html_lib.unescape(re.search(r'<script type="application/json" id="rg-map-spec">(.*?)</script>',
                                                  page, re.S)[1]))
    assert all(layer["kind"] != "geojson" for layer in spec["layers"])
    tiled = next(layer for layer in spec["layers"] if layer["kind"] == "mvtValues")
    assert tiled["url"].startswith("/ogc/collections/communes/tiles/")
    assert len(tiled["values"]) == len(codes) and len(tiled["options"]["colors"]) >= 3
    assert re.search(r'<script src="/static/ror/[0-9a-f]+/tableau-map\.js"></script>', page)
    print("page size", len(page.encode()))
    assert len(page.encode()) < 1_200_000


def test_integer_classes_in_the_page(page):
    legend = re.search(r'<aside class="rg-side".*?</aside>', page, re.S)[0]
    assert "de 1 à 1" not in legend and ",0" not in legend and "plus de" not in legend
