"""Map widgets over HTTP (live server, real PostGIS): status codes, French error pages, headers
(CSP frame-ancestors from the settings, cache, nosniff), local assets only, page sizes."""

from __future__ import annotations

import gzip
import io
import re
from pathlib import Path

import openpyxl
import pytest

from gis.tableau import MAX_BYTES

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "tableau"
EXTERNAL_ASSET = re.compile(r'<(?:script[^>]*\ssrc|link[^>]*\shref)\s*=\s*["\']?(?:https?:)?//', re.I)


def _csp(resp) -> dict[str, str]:
    out = {}
    for part in resp.headers["content-security-policy"].split(";"):
        name, _, value = part.strip().partition(" ")
        out[name] = value
    return out


def test_commune_widget_headers_and_local_assets(http, app_settings):
    resp = http.get("/cartes/commune/93066")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    csp = _csp(resp)
    assert csp["frame-ancestors"] == app_settings.frame_ancestors
    assert "https://data.geopf.fr" in csp["img-src"] and "https://tile.openstreetmap.org" in csp["img-src"]
    assert csp["connect-src"] == "'self'" and csp["object-src"] == "'none'"
    assert resp.headers["cache-control"] == "public, max-age=300"
    assert resp.headers["x-content-type-options"] == "nosniff"
    html = resp.text
    assert '<html lang="fr">' in html
    assert "<title>Offres couvrant Saint-Denis</title>" in html
    assert not EXTERNAL_ASSET.search(html), EXTERNAL_ASSET.findall(html)
    for cdn in ("jquery", "bootstrap", "awesome-markers", "fontawesome", "cdn.jsdelivr", "cdnjs", "unpkg"):
        assert cdn not in html.lower()
    assert 'class="rg-source">Sources : ROR' in html and "IGN Admin Express 2018" in html
    assert "<caption>Caractéristiques de Saint-Denis</caption>" in html
    assert 'scope="col"' in html and 'scope="row"' in html
    # Size budget: Saint-Denis full outline (81 vertices) inline; the page stays small.
    assert len(resp.content) < 20_000, len(resp.content)


def test_commune_widget_is_gzipped(http):
    resp = http.get("/cartes/commune/75056", headers={"Accept-Encoding": "gzip"})
    assert resp.status_code == 200
    assert resp.headers.get("content-encoding") == "gzip"
    raw = int(resp.headers.get("content-length", 0) or 0)
    assert raw and raw < len(resp.content)


def test_static_assets_are_local_and_cached(http):
    html = http.get("/cartes/commune/93066").text
    urls = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert any(u.endswith("/leaflet.js") for u in urls) and any(u.endswith("/ror-map.js") for u in urls)
    for url in urls:
        resp = http.get(url)
        assert resp.status_code == 200, url
        assert resp.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert resp.headers["x-content-type-options"] == "nosniff"
    leaflet = next(u for u in urls if u.endswith("/leaflet.js"))
    assert http.get(leaflet.rsplit("/", 1)[0] + "/images/marker-icon.png").status_code == 200
    cluster = http.get("/static/markercluster/1.4.1/leaflet.markercluster.js")
    assert cluster.status_code == 200 and "MarkerClusterGroup" in cluster.text


@pytest.mark.parametrize("fond", ["plan-ign", "osm", "aucun", "none"])
def test_commune_widget_basemaps(http, fond):
    html = http.get("/cartes/commune/93066", params={"fond": fond}).text
    assert ("data.geopf.fr/wmts" in html) == (fond == "plan-ign")
    assert ("tile.openstreetmap.org" in html) == (fond == "osm")
    if fond == "plan-ign":
        assert "\\u00a9 IGN \\u2013 Plan IGN" in html
    if fond == "osm":
        assert "OpenStreetMap" in html


def test_former_code_shows_current_commune(http):
    resp = http.get("/cartes/commune/93059")
    assert resp.status_code == 200
    assert "Offres couvrant Saint-Denis" in resp.text
    assert "Le code 93059 (code de commune déléguée) correspond aujourd&#39;hui à Saint-Denis" in resp.text


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        ("/cartes/commune/99999", 404, "Aucune commune ne correspond au code INSEE 99999."),
        ("/cartes/commune/2A004", 404, "Aucune commune ne correspond"),
        ("/cartes/commune/123", 422, "code INSEE mal formé"),
        ("/cartes/commune/abcde", 422, "code INSEE mal formé"),
        ("/cartes/commune/93066%27%3Cscript%3E", 422, "code INSEE mal formé"),
        ("/cartes/commune/93066?fond=google", 422, "Fond de carte inconnu"),
    ],
)
def test_commune_widget_errors_are_french_html(http, app_settings, path, status, text):
    resp = http.get(path)
    assert resp.status_code == status
    assert resp.headers["content-type"].startswith("text/html")
    assert '<html lang="fr">' in resp.text and text in resp.text
    assert "<script>" not in resp.text.split("<main", 1)[1]  # user input is escaped
    assert _csp(resp)["frame-ancestors"] == app_settings.frame_ancestors
    assert resp.headers["cache-control"] == "no-store"


def test_tableau_form(http):
    resp = http.get("/cartes/tableau")
    assert resp.status_code == 200
    html = resp.text
    assert 'enctype="multipart/form-data"' in html and 'name="fichier"' in html
    for name in ("colonne_code", "colonne_valeur", "classes", "methode"):
        assert f'name="{name}"' in html and f'<label for="{name}"' in html
    assert "content-security-policy" in resp.headers


def _post(http, name: str, content: bytes, **fields):
    return http.post("/cartes/tableau", files={"fichier": (name, content)}, data=fields)


def test_tableau_good_csv(http):
    resp = _post(http, "bon.csv", (FIXTURES / "bon.csv").read_bytes(), classes="4", methode="quantiles")
    assert resp.status_code == 200, resp.text[:500]
    html = resp.text
    assert resp.headers["cache-control"] == "no-store, private"  # uploaded data are never cached
    assert "10 commune(s) cartographiée(s)" in html and "0 ligne(s) non rapprochée(s)" in html
    assert "Toutes les lignes ont été rapprochées." in html
    assert "Valeur nulle (0) : zone blanche" in html  # Argenteuil = 0, hatched
    assert "places_installees" in html
    assert not EXTERNAL_ASSET.search(html)
    # Class bounds in French number format (narrow no-break space thousands separator).
    assert "1\u202f250" in html


def test_tableau_partial_csv_lists_unmatched_rows_with_reasons(http):
    resp = _post(http, "partiel.tsv", (FIXTURES / "partiel_cp1252.tsv").read_bytes())
    assert resp.status_code == 200, resp.text[:500]
    html = resp.text
    assert "99999 : code inconnu" in html
    assert "code de commune déléguée → Saint-Denis" in html  # 93059
    assert "code postal (commune unique)" in html  # 78000 Versailles
    assert "code postal 95000 commun à 4 communes" in html
    assert "valeur non numérique (« beaucoup »)" in html
    assert "code vide" in html
    assert "Lignes non rapprochées (8)" in html


def test_tableau_xlsx_with_chosen_columns(http):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Département", "Commune", "Code", "Lits", "Places"])
    for code, lits, places in [("93066", 10, 3), ("93048", 20, 0), ("94028", 30, 5), ("92012", 40, 7)]:
        ws.append(["IDF", "x", int(code), lits, places])
    buf = io.BytesIO()
    wb.save(buf)
    resp = _post(http, "etab.xlsx", buf.getvalue(), colonne_code="Code", colonne_valeur="Places",
                 methode="amplitudes-egales", classes="3", titre="Places par commune", fond="aucun")
    assert resp.status_code == 200, resp.text[:500]
    html = resp.text
    assert "<h1>Places par commune</h1>" in html
    assert "colonne valeur : « Places »" in html
    assert "Amplitudes égales" in html and "4 commune(s) cartographiée(s)" in html
    assert "data.geopf.fr/wmts" not in html


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("vide.csv", b"", "Le fichier est vide."),
        ("illisible.bin", (FIXTURES / "illisible.bin").read_bytes(), "Fichier illisible"),
        ("corrompu.xlsx", (FIXTURES / "corrompu.xlsx").read_bytes(), "Classeur Excel illisible ou endommagé"),
        ("faux.xlsx", b"ceci n'est pas un classeur", "Classeur Excel illisible ou endommagé"),
        ("sans_code.csv", (FIXTURES / "sans_code.csv").read_bytes(), "Aucune colonne de code commune"),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "Fichier illisible"),
    ],
)
def test_tableau_unreadable_files_are_422_in_french(http, name, content, message):
    resp = _post(http, name, content)
    assert resp.status_code == 422
    assert resp.headers["content-type"].startswith("text/html")
    assert message in resp.text and "Fichier non exploitable" in resp.text
    assert 'href="/cartes/tableau"' in resp.text


def test_tableau_without_file_and_bad_fields(http):
    resp = http.post("/cartes/tableau", data={"classes": "5"})
    assert resp.status_code == 422 and "Aucun fichier reçu" in resp.text
    resp = _post(http, "bon.csv", (FIXTURES / "bon.csv").read_bytes(), classes="douze")
    assert resp.status_code == 422 and "Nombre de classes invalide" in resp.text
    resp = _post(http, "bon.csv", (FIXTURES / "bon.csv").read_bytes(), colonne_valeur="inexistante")
    assert resp.status_code == 422 and "Colonne de la valeur « inexistante » introuvable" in resp.text


def test_tableau_too_large_is_413(http):
    big = b"code_insee;valeur\n" + b"93066;1\n" * (MAX_BYTES // 8 + 10)
    resp = _post(http, "gros.csv", big)
    assert resp.status_code == 413
    assert "Fichier trop volumineux" in resp.text and "5 Mo" in resp.text


def test_tableau_page_size_for_a_departement(http):
    """A whole département (Seine-Saint-Denis, 39 communes + unknown codes): geometry inlined at
    5 decimals, simplified; the page stays well under 400 kB and compresses well."""
    lines = ["code_insee;valeur"] + [f"93{i:03d};{i}" for i in range(1, 80)]
    resp = _post(http, "seine-saint-denis.csv", "\n".join(lines).encode())
    assert resp.status_code == 200
    assert "39 commune(s) cartographiée(s)" in resp.text
    # 93059 (Pierrefitte, now part of Saint-Denis) comes after 93066 in the file: reported as a duplicate.
    assert "doublon : Saint-Denis (93066) déjà renseignée ligne" in resp.text
    size = len(resp.content)
    assert size < 400_000, size
    assert len(gzip.compress(resp.content)) < size / 2


def test_arrondissement_widget_labels_and_compact_mode(http):
    html = http.get("/cartes/commune/75115").text
    assert "<title>Offres couvrant Paris 15e</title>" in html
    assert "Limite de l&#39;arrondissement Paris 15e" in html and "Limite communale" not in html
    compact = http.get("/cartes/commune/75115", params={"mode": "compact"}).text
    assert 'class="rg rg-compact"' in compact and "rg-legend-overlay" in compact
    assert "<table" not in compact and "rg-notice" not in compact
    assert http.get("/cartes/commune/75115", params={"mode": "autre"}).status_code == 422


def test_tableau_shareable_link_and_exports(http):
    import html as html_lib
    import re as re_mod

    resp = _post(http, "bon.csv", (FIXTURES / "bon.csv").read_bytes(), classes="4", methode="quantiles",
                 titre="Places installées")
    page = resp.text
    assert "Carte faite à partir d&#39;un fichier fourni par un utilisateur" in page
    link = html_lib.unescape(re_mod.search(r'<a href="(/cartes/tableau/carte\?[^"]+)">Lien vers cette carte', page)[1])
    assert "classes=4" in link and "titre=Places" in link
    shared = http.get(link)
    assert shared.status_code == 200 and shared.headers["cache-control"] == "public, max-age=300"
    assert "10 commune(s) cartographiée(s)" in shared.text and "<title>Places installées</title>" in shared.text
    # The same classes as the uploaded map.
    legend = re_mod.compile(r'<aside class="rg-side".*?</aside>', re_mod.S)
    assert legend.search(shared.text)[0] == legend.search(page)[0]
    csv = http.get(link + "&format=csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Code INSEE;Commune;Code saisi;Correspondance;Valeur;Classe;Ligne du fichier"
    assert len(lines) == 11
    xlsx = http.get(link + "&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    # A damaged link names no map: a French 404 page.
    bad = http.get("/cartes/tableau/carte", params={"d": "AAAA"})
    assert bad.status_code == 404 and "Lien de carte abîmé" in bad.text
