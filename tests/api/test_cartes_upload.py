"""POST /cartes/tableau over a real socket: hostile uploads answered within 2 s with a French 413
(too large) or 422 (malformed) page; classes outside 3..7 and unknown CSV encodings refused (422)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.gis.tableau import bombs

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tableau"
STATUS = {"xlsx entités XML (billion laughs)": 422, "zip imbriqué 12 niveaux": 422}


def _post(http, name: str, content: bytes, **fields):
    t0 = time.perf_counter()
    resp = http.post("/cartes/tableau", files={"fichier": (name, content)}, data=fields)
    return resp, time.perf_counter() - t0


def _message(resp) -> str:
    match = re.search(r'<p class="rg-error-message"[^>]*>(.*?)</p>', resp.text, re.S)
    assert match, resp.text[:300]
    return match.group(1)


@pytest.mark.parametrize("name", list(bombs.BOMBS))
def test_bombs_answered_quickly_in_french(http, name):
    filename, data = bombs.BOMBS[name]()
    resp, elapsed = _post(http, filename, data)
    expected = STATUS.get(name, 413)
    assert resp.status_code == expected, _message(resp)
    assert elapsed < 2.0, elapsed
    assert resp.headers["content-type"].startswith("text/html")
    title = "Fichier trop volumineux" if expected == 413 else "Fichier non exploitable"
    assert title in resp.text and 'href="/cartes/tableau"' in resp.text
    message = _message(resp)
    assert re.search(r"(Trop de|trop|Archive suspecte|illisible)", message), message


def test_largest_accepted_xlsx_is_mapped(http):
    filename, data = bombs.largest_accepted_xlsx()
    resp, _elapsed = _post(http, filename, data, methode="seuils-naturels")
    assert resp.status_code == 200
    assert "commune(s) cartographiée(s)" in resp.text


@pytest.mark.parametrize("classes", ["1", "2", "8", "0", "trois"])
def test_classes_outside_3_to_7_refused(http, classes):
    resp, _ = _post(http, "bon.csv", (FIXTURES / "bon.csv").read_bytes(), classes=classes)
    assert resp.status_code == 422
    assert _message(resp) == "Nombre de classes invalide : entre 3 et 7."


def test_three_classes_accepted(http):
    resp, _ = _post(http, "bon.csv", (FIXTURES / "bon.csv").read_bytes(), classes="3", methode="seuils-naturels")
    assert resp.status_code == 200


def test_unknown_encoding_refused_with_reason(http):
    text = "code_insee;commune;valeur\n93066;Saint-Denis;1\n94028;Créteil;2\n"
    resp, _ = _post(http, "mac.csv", text.encode("mac_roman"))
    assert resp.status_code == 422
    assert _message(resp).startswith("Encodage du fichier non reconnu : enregistrez le CSV en UTF-8")


def test_largest_accepted_csv_of_unmatched_rows_gives_a_small_page(http):
    # 50,000 rows, 49,500 of them with codes that match no commune: the page lists the first 500 and says how
    # many there are (it used to list them all: a 10 MB page and 3 s of rendering).
    lines = ["code_insee;valeur"] + [f"9{i % 9000 + 1000:04d};{i}" for i in range(49_999)] + ["93066;5"]
    resp, elapsed = _post(http, "grand.csv", "\n".join(lines).encode())
    assert resp.status_code == 200, resp.text[:300]
    assert "Lignes non rapprochées (49500 ; les 500 premières)" in resp.text
    assert len(resp.content) < 1_000_000, len(resp.content)
    assert elapsed < 30, elapsed  # generous: shared CI machine; time and memory are measured by make bench-upload
