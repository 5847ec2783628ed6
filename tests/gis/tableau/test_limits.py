"""Upload limits (issue 9): every hostile file is refused quickly, with a French 413 or 422, before
it is expanded; the largest accepted files stay under 2 s and 100 MB of memory growth (measured in a
fresh process)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gis.errors import InvalidInput, PayloadTooLarge
from gis.tableau import UploadLimits, read_sheet
from tests.gis.tableau import bombs

ROOT = Path(__file__).resolve().parents[3]

EXPECTED = {
    "xlsx 200 Mo de chaînes partagées": (PayloadTooLarge, "compressée"),
    "xlsx une ligne de 5 millions de cellules": (PayloadTooLarge, "compressée"),
    "xlsx 5 000 colonnes, dimension mensongère": (PayloadTooLarge, "Trop de colonnes (ligne 3) : au plus 200"),
    "xlsx dimension A1:XFD1048576": (PayloadTooLarge, "Trop de lignes : au plus 50\u202f000"),
    "xlsx 5 000 feuilles": (PayloadTooLarge, "Trop de feuilles : 5\u202f000 (au plus 50)"),
    "xlsx entités XML (billion laughs)": (InvalidInput, "DOCTYPE"),
    "zip imbriqué 12 niveaux": (InvalidInput, "Classeur Excel illisible"),
    "zip de 5 000 fichiers": (PayloadTooLarge, "5\u202f000 fichiers"),
    "csv ligne de 4,9 Mo": (PayloadTooLarge, "Ligne 2 trop longue"),
    "csv 1 000 colonnes": (PayloadTooLarge, "Trop de colonnes (ligne 2)"),
    "csv 60 000 lignes": (PayloadTooLarge, "Trop de lignes"),
}


def test_every_bomb_has_an_expectation():
    assert set(EXPECTED) == set(bombs.BOMBS)


@pytest.mark.parametrize("name", list(bombs.BOMBS))
def test_bombs_are_refused_quickly_in_french(name):
    filename, data = bombs.BOMBS[name]()
    error, fragment = EXPECTED[name]
    t0 = time.perf_counter()
    with pytest.raises(InvalidInput) as info:
        read_sheet(data, filename)
    elapsed = time.perf_counter() - t0
    assert type(info.value) is error, info.value.message
    assert fragment in info.value.message
    assert elapsed < 2.0, elapsed


def test_file_size_limit_before_anything_else():
    with pytest.raises(PayloadTooLarge, match=r"^Fichier trop volumineux : 5,0 Mo \(au plus 4,8 Mo\)\.$"):
        read_sheet(b"PK\x03\x04" + b"\0" * (5 * 1024 * 1024), "x.xlsx", UploadLimits(max_bytes=5_000_000))


def test_declared_unpacked_size_refused_before_decompression():
    """Parts each under the ratio limit, but 30 MB declared in all: refused from the central directory."""
    import os

    noise = os.urandom(16).hex()
    rows = [f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{noise}{r}</t></is></c></row>' for r in range(1, 3000)]
    filename, data = "gros.xlsx", bombs.workbook(bombs.sheet(rows))
    with pytest.raises(PayloadTooLarge, match="trop volumineux une fois décompressé"):
        read_sheet(data, filename, UploadLimits(max_unpacked_bytes=100_000))


def test_lying_central_directory_is_malformed_not_expanded():
    """An entry whose declared size is smaller than its content: zipfile stops at the declared size,
    the CRC fails, the file is refused as damaged (422) without inflating the rest."""
    filename, data = bombs.shared_strings_bomb()
    name = b"xl/sharedStrings.xml"
    cd = data.rfind(b"PK\x01\x02", 0, data.rfind(name))  # central directory header of that entry
    patched = bytearray(data)
    patched[cd + 24:cd + 28] = (1000).to_bytes(4, "little")  # uncompressed size: 1,000 bytes
    with pytest.raises(InvalidInput, match="Classeur Excel illisible ou endommagé") as info:
        read_sheet(bytes(patched), filename)
    assert type(info.value) is InvalidInput


def test_cells_limit_while_streaming():
    rows = [f'<row r="{r}"><c r="A{r}"><v>{93000 + r}</v></c><c r="B{r}"><v>{r}</v></c></row>' for r in range(1, 800)]
    with pytest.raises(PayloadTooLarge, match="Trop de cellules : au plus 1\u202f000"):
        read_sheet(bombs.workbook(bombs.sheet(rows)), "x.xlsx", UploadLimits(max_cells=1000))
    csv = b"code_insee;valeur\n" + b"93066;1\n" * 800
    with pytest.raises(PayloadTooLarge, match="Trop de cellules"):
        read_sheet(csv, "x.csv", UploadLimits(max_csv_cells=1000))


def test_shared_strings_count_declared_first():
    strings = bombs._strings(iter(["a", "b"]), 10_000_000)
    with pytest.raises(PayloadTooLarge, match="Trop de textes distincts"):
        read_sheet(bombs.workbook(bombs.sheet(bombs._header_rows()), strings), "x.xlsx")


def _measure(tmp_path: Path, build, db_url: str | None = None) -> dict:
    filename, data = build()
    path = tmp_path / filename
    path.write_bytes(data)
    cmd = [sys.executable, "-m", "tests.gis.tableau.measure", str(path)] + (["--db", db_url] if db_url else [])
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True, timeout=120)
    return json.loads(out.stdout)


@pytest.mark.parametrize("name", list(bombs.ACCEPTED))
def test_largest_accepted_files_time_and_memory(tmp_path, db_url, name):
    """Read, matched and classified in a fresh process: < 2 s of CPU, < 100 MB of memory growth."""
    m = _measure(tmp_path, bombs.ACCEPTED[name], db_url)
    assert m["status"] == 200, m
    assert m["cpu_seconds"] < 2.0, m
    assert m["rss_growth_mb"] < 100, m


def test_worst_bomb_memory(tmp_path):
    m = _measure(tmp_path, bombs.shared_strings_bomb)
    assert m["status"] == 413 and m["rss_growth_mb"] < 20 and m["seconds"] < 2.0, m


def test_dimension_checked_before_the_shared_strings():
    """A sheet declaring a huge dimension is refused before its (large, legal) string table is read."""
    texts = (f"texte {i:07d}" for i in range(150_000))
    strings = bombs._strings(texts, 150_000)
    data = bombs.workbook(bombs.sheet(bombs._header_rows(), dimension="A1:B900000"), strings)
    t0 = time.process_time()
    with pytest.raises(PayloadTooLarge, match="Trop de lignes"):
        read_sheet(data, "x.xlsx", UploadLimits(max_cells=200_000))
    assert time.process_time() - t0 < 0.1
