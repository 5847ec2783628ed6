"""Benchmark: server times and response sizes of the main endpoints on the loaded data.

Run after `ror-gis load demo` (or `make demo`): `make bench`, or
`.venv/bin/python scripts/benchmark.py [--runs 20] [--json out.json]`.
It starts the app on a free local port (same settings as the service), requests each URL over a
real socket, and reports median / 95th-percentile times, raw and gzip sizes, and the size budgets of
the map widgets (commune widget ≤ 300 KB of HTML, IDF coverage choropleth ≤ 800 KB). Exit code 1 if
a budget is exceeded.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_http import REPO, Server

CASES: list[tuple[str, str, int | None]] = [
    ("communes autocomplete 'st denis'", "/api/v1/communes?q=st%20denis", None),
    ("communes autocomplete '77100'", "/api/v1/communes?q=77100", None),
    ("commune feature (simplified)", "/api/v1/communes/93066", None),
    ("services covering Saint-Denis", "/api/v1/communes/93066/services", None),
    ("services covering Paris 10e, SSIAD", "/api/v1/communes/75110/services?type_offre=28", None),
    ("services export CSV (Paris)", "/api/v1/communes/75056/services?format=csv", None),
    ("services export XLSX (Paris)", "/api/v1/communes/75056/services?format=xlsx", None),
    ("services near a point (5 km)", "/api/v1/services?lat=48.8566&lon=2.3522&rayon_km=5", None),
    ("suggestions 'appartement de coo'", "/api/v1/suggestions?q=appartement%20de%20coo", None),
    ("territories of Saint-Denis offers", "/api/v1/communes/93066/territoires", None),
    ("coverage counts SSIAD (GeoJSON)", "/api/v1/couverture?type_offre=28", None),
    ("widget: commune Saint-Denis", "/cartes/commune/93066", 300_000),
    ("widget: commune Paris", "/cartes/commune/75056", 300_000),
    ("widget: IDF coverage SSIAD", "/cartes/couverture?type_offre=28", 800_000),
    ("widget: IDF coverage SAAD per 10,000", "/cartes/couverture?type_offre=30&par=10000", 800_000),
    ("coordinator page", "/", None),
]


def measure(client: httpx.Client, url: str, runs: int) -> dict:
    times, size, status = [], 0, None
    for _ in range(runs):
        t0 = time.perf_counter()
        resp = client.get(url, headers={"Accept-Encoding": "identity"})
        times.append((time.perf_counter() - t0) * 1000)
        size, status = len(resp.content), resp.status_code
        gz = len(gzip.compress(resp.content))
    times.sort()
    return {
        "status": status,
        "bytes": size,
        "gzip_bytes": gz,
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1),
        "first_ms": None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()

    server = Server("ror-gis", [str(REPO / ".venv" / "bin" / "ror-gis"), "serve", "--port", "{port}", "--workers", "1"],
                    {"ROR_GIS_CACHE_MAX_MB": "0"})  # server times of the database path, not of the cache
    server.start("/health")
    failures, rows = [], []
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            health = client.get("/health").json()
            print(f"ror-gis benchmark on {server.url} — data: {json.dumps(health.get('donnees', {}))}")
            print(f"{'case':40} {'status':>6} {'size':>10} {'gzip':>9} {'median':>9} {'p95':>9}  budget")
            for label, url, budget in CASES:
                t0 = time.perf_counter()
                client.get(url)  # warm-up (first call includes imports such as mapclassify)
                first = (time.perf_counter() - t0) * 1000
                r = measure(client, url, args.runs)
                r.update(case=label, url=url, first_ms=round(first, 1), budget=budget)
                verdict = ""
                if budget:
                    ok = r["bytes"] <= budget
                    verdict = f"{'OK ' if ok else 'OVER'} ≤ {budget // 1000} KB"
                    if not ok:
                        failures.append(label)
                rows.append(r)
                print(f"{label:40} {r['status']:>6} {r['bytes'] / 1000:>8.1f}KB {r['gzip_bytes'] / 1000:>7.1f}KB "
                      f"{r['median_ms']:>7.1f}ms {r['p95_ms']:>7.1f}ms  {verdict}")
    finally:
        server.stop()
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    if failures:
        print("Budgets exceeded: " + ", ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
