"""Benchmark of the spreadsheet upload limits: time and memory per hostile file, and for the
largest accepted files (``make bench-upload``).

Two measures per file:

- **reader**: a fresh process reads the file (and matches and classifies it when the database has
  the geography), reporting wall time, CPU time and resident-memory growth (peak minus before);
- **HTTP** (default; ``--no-http`` to skip): the real service (``ror-gis serve`` in a subprocess on a
  free port) answers ``POST /cartes/tableau``: status, French message, wall time seen by the client,
  and the growth of the server's peak resident memory during that request.

The database is the one of the settings (``ROR_GIS_DATABASE_URL``). Exit code 1 if an upload takes
more than 2 s, grows the server by more than 100 MB, or is answered with another status than
expected (413/422 for the hostile files, 200 for the accepted ones).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gis.settings import get_settings  # noqa: E402
from tests.gis.tableau.bombs import ACCEPTED, BOMBS  # noqa: E402

MAX_SECONDS = 2.0
MAX_GROWTH_MB = 100.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _has_geography(db_url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(db_url, connect_timeout=5) as conn:
            return bool(conn.execute("SELECT EXISTS (SELECT 1 FROM geo_commune)").fetchone()[0])
    except psycopg.Error:
        return False


def reader_measure(path: Path, db_url: str | None) -> dict[str, Any]:
    """Measure ``path`` in a fresh interpreter (tests/gis/tableau/measure.py)."""
    cmd = [sys.executable, "-m", "tests.gis.tableau.measure", str(path)] + (["--db", db_url] if db_url else [])
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


class Server:
    """``ror-gis serve`` in a subprocess (same settings as the service)."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        exe = Path(sys.executable).with_name("ror-gis")
        self.proc = subprocess.Popen([str(exe), "serve", "--port", str(self.port)], cwd=ROOT,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/cartes/tableau", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the service did not start")

    def post(self, client: httpx.Client, name: str, data: bytes) -> dict[str, Any]:
        """Upload one file; status, message, client-side time and server memory growth."""
        Path(f"/proc/{self.proc.pid}/clear_refs").write_text("5")  # reset the peak RSS of our child
        before = _kb(self.proc.pid, "VmRSS")
        t0 = time.perf_counter()
        resp = client.post("/cartes/tableau", files={"fichier": (name, data)},
                           data={"methode": "seuils-naturels"})
        seconds = time.perf_counter() - t0
        growth = max(0, _kb(self.proc.pid, "VmHWM") - before) / 1024
        match = re.search(r'<p class="rg-error-message"[^>]*>(.*?)</p>', resp.text, re.S) or re.search(
            r"(\d[\d\u202f]* commune\(s\) cartographiée\(s\))", resp.text)
        message = (match.group(1).strip() if match else "") + f" [{len(resp.content) // 1024} ko de HTML]"
        return {"status": resp.status_code, "message": message,
                "seconds": round(seconds, 3), "rss_growth_mb": round(growth, 1), "html_bytes": len(resp.content)}

    def stop(self) -> None:
        """Stop the subprocess we started."""
        self.proc.terminate()
        self.proc.wait(timeout=10)


def _row(name: str, kind: str, m: dict[str, Any]) -> str:
    cpu = f"{m['cpu_seconds']:6.2f}" if "cpu_seconds" in m else "     -"
    return (f"{name:44s} {kind:6s} {m['status']:>4} {m['seconds']:7.2f} {cpu} {m['rss_growth_mb']:8.1f}  "
            f"{m['message'][:90]}")


def main() -> int:
    """Build every file, measure it, print a table (and JSON with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-http", action="store_true", help="only the reader, no service")
    parser.add_argument("--json", type=Path, help="also write the results there")
    args = parser.parse_args()
    db_url = get_settings().database_url
    geography = _has_geography(db_url)
    if not geography:
        sys.stderr.write(f"note: no geography in {db_url}: reading only, no matching; HTTP skipped\n")
    cases = [(name, build, False) for name, build in BOMBS.items()]
    cases += [(name, build, True) for name, build in ACCEPTED.items()]
    results, failures = [], 0
    server = Server() if geography and not args.no_http else None
    print(f"{'fichier':44s} {'mesure':6s} {'code':>4} {'s':>7} {'cpu s':>6} {'Δ RSS Mo':>8}  message")
    try:
        with tempfile.TemporaryDirectory() as tmp, httpx.Client(base_url=server.url if server else "http://x",
                                                                timeout=60) as client:
            for name, build, accepted in cases:
                filename, data = build()
                path = Path(tmp) / filename
                path.write_bytes(data)
                measures = {"lecteur": reader_measure(path, db_url if geography else None)}
                if server:
                    measures["HTTP"] = server.post(client, filename, data)
                for kind, m in measures.items():
                    print(_row(f"{name} ({len(data) // 1024} ko)", kind, m))
                    ok = (m["status"] == 200) == accepted and m["status"] in (200, 413, 422)
                    failures += (not ok) + (m["seconds"] > MAX_SECONDS) + (m["rss_growth_mb"] > MAX_GROWTH_MB)
                results.append({"name": name, "bytes": len(data), **{k: v for k, v in measures.items()}})
    finally:
        if server:
            server.stop()
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(f"{'OK' if not failures else f'{failures} dépassement(s)'} : limites {MAX_SECONDS} s et "
          f"{MAX_GROWTH_MB:.0f} Mo ; machine chargée : {os.getloadavg()[0]:.1f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
