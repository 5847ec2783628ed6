"""National benchmark (issue #13): France-wide geography + the fictitious national set (~100,000 offers).

`make bench-national`, or `.venv/bin/python scripts/bench_national.py [--db NAME] [--keep] [--reuse]`.

Steps, each timed, on a database of its own (created, then dropped unless --keep; --reuse keeps an existing one
with its geography and skips the geography load):

1. `ror-gis load geography --region all` (skipped with --reuse when the geography is there);
2. `ror-gis demo-data --national` into a temporary folder;
3. `ror-gis load fhir DIR --fictif`: wall time and peak RSS of the importer process (getrusage of the child);
4. full coverage rebuild (`gis.territories.coverage.refresh(conn)`), committed;
5. over HTTP on 127.0.0.1 only (`ror-gis serve --workers 1`, response cache off): the coverage answer
   `/api/v1/communes/{insee}/services` (default page) for Paris, Lyon, Marseille and a sample of other communes,
   p50/p99 over a bounded number of requests; the national coverage GeoJSON (`/api/v1/couverture`); the sizes of
   the coverage page and of the Paris / Lyon / Marseille commune widgets.

Figures are compared with the targets of the issue. The machine may be shared: the load average is printed at the
start and the end. Every step is bounded (timeouts); the script stops by itself. Exit code 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_http import REPO, Server

BIN = REPO / ".venv" / "bin"
CITIES = {"Paris": "75056", "Lyon": "69123", "Marseille": "13055"}
TARGETS = {"load_s": 300, "rss_mb": 500, "rebuild_s": 60, "p99_ms": 50, "page_kb": 300}


def run(cmd: list[str], env: dict[str, str], timeout: int) -> tuple[float, float]:
    """Run a command; return (wall seconds, peak RSS in MB of the largest child so far)."""
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, timeout=timeout, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    return wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed_gets(client: httpx.Client, url: str, *, n: int, budget_s: float) -> dict[str, float]:
    """Up to ``n`` sequential GETs within ``budget_s`` seconds (after one warm-up); p50/p99 in ms."""
    client.get(url)
    times: list[float] = []
    deadline = time.monotonic() + budget_s
    size = 0
    while len(times) < n and time.monotonic() < deadline:
        t0 = time.perf_counter()
        resp = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        resp.raise_for_status()
        size = len(resp.content)
    return {"n": len(times), "p50_ms": round(statistics.median(times), 1), "p99_ms": round(percentile(times, 0.99), 1),
            "bytes": size}


def has_geography(url: str) -> bool:
    try:
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT count(*) FROM geo_departement").fetchone()
            return bool(row and row[0] > 90)
    except psycopg.Error:
        return False


def rebuild(url: str) -> float:
    from gis.db import connect
    from gis.territories import coverage

    with connect(url) as conn:
        t0 = time.perf_counter()
        with conn.transaction():
            coverage.refresh(conn)
        wall = time.perf_counter() - t0
        conn.execute("ANALYZE couverture")
    return wall


def sample_communes(url: str, k: int) -> list[str]:
    with psycopg.connect(url) as conn:
        codes = [r[0] for r in conn.execute(
            "SELECT insee FROM geo_commune WHERE type = 'commune' AND geom IS NOT NULL ORDER BY insee")]
    return sorted(random.Random(13).sample(codes, min(k, len(codes))))


def http_figures(url: str, args: argparse.Namespace) -> dict[str, object]:
    server = Server("ror-gis", [str(BIN / "ror-gis"), "serve", "--host", "127.0.0.1", "--port", "{port}",
                                "--workers", "1"],
                    {"ROR_GIS_DATABASE_URL": url, "ROR_GIS_CACHE_MAX_MB": "0"})
    server.start("/health")
    out: dict[str, object] = {}
    try:
        with httpx.Client(base_url=server.url, timeout=60, headers={"Accept-Encoding": "identity"}) as client:
            for name, insee in CITIES.items():
                out[f"services {name}"] = timed_gets(client, f"/api/v1/communes/{insee}/services",
                                                     n=args.requests, budget_s=args.budget)
            others = [timed_gets(client, f"/api/v1/communes/{c}/services", n=max(5, args.requests // 10),
                                 budget_s=args.budget / 5) for c in sample_communes(url, args.sample)]
            out["services autres communes (médiane des p50 / pire p99)"] = {
                "n": sum(int(o["n"]) for o in others),
                "p50_ms": round(statistics.median(o["p50_ms"] for o in others), 1),
                "p99_ms": max(o["p99_ms"] for o in others), "bytes": max(o["bytes"] for o in others)}
            out["couverture nationale GeoJSON"] = timed_gets(client, "/api/v1/couverture?type_offre=28", n=3,
                                                             budget_s=120)
            for name, path in [("page couverture", "/cartes/couverture?type_offre=28"),
                               *((f"widget commune {n}", f"/cartes/commune/{c}") for n, c in CITIES.items())]:
                out[name] = timed_gets(client, path, n=3, budget_s=60)
    finally:
        server.stop()
    return out


def report(figures: dict[str, object]) -> int:
    print(json.dumps(figures, indent=1, ensure_ascii=False))
    missed = []
    if float(figures.get("load_s", 0)) > TARGETS["load_s"]:  # type: ignore[arg-type]
        missed.append("chargement > 5 min")
    if float(figures.get("load_peak_rss_mb", 0)) > TARGETS["rss_mb"]:  # type: ignore[arg-type]
        missed.append("mémoire du chargement > 500 Mo")
    if float(figures["rebuild_s"]) > TARGETS["rebuild_s"]:  # type: ignore[arg-type]
        missed.append("reconstruction complète > 60 s")
    for name, value in figures.items():
        if isinstance(value, dict) and name.startswith("services") and value["p99_ms"] > TARGETS["p99_ms"]:
            missed.append(f"{name} : p99 {value['p99_ms']} ms > 50 ms")
        if isinstance(value, dict) and (name.startswith("page") or name.startswith("widget")) and (
                value["bytes"] > TARGETS["page_kb"] * 1000):
            missed.append(f"{name} : {value['bytes'] // 1000} Ko > 300 Ko")
    print("objectifs manqués : " + ("; ".join(missed) if missed else "aucun"))
    return 1 if missed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="ror_gis_bench_national")
    parser.add_argument("--reuse", action="store_true", help="keep an existing database with its geography")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--skip-load", action="store_true",
                        help="with --reuse: the national set is already loaded; measure the rebuild and HTTP only")
    parser.add_argument("--offres", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per city (bounded by --budget)")
    parser.add_argument("--budget", type=float, default=30, help="seconds per city")
    parser.add_argument("--sample", type=int, default=20, help="other communes measured")
    args = parser.parse_args()
    url = f"postgresql:///{args.db}"
    env = {**os.environ, "ROR_GIS_DATABASE_URL": url}
    figures: dict[str, object] = {"load_average_start": [round(x, 2) for x in os.getloadavg()],
                                  "cpus": os.cpu_count()}
    created = False
    if not (args.reuse and has_geography(url)):
        subprocess.run(["dropdb", "--if-exists", args.db], check=True)
        subprocess.run(["createdb", args.db], check=True)
        created = True
        figures["geography_s"] = round(run([str(BIN / "ror-gis"), "load", "geography", "--region", "all"], env,
                                           1800)[0], 1)
        # the pages label and check the codes against the NOS lists, as every real deployment loads them
        run([str(BIN / "ror-gis"), "load", "nomenclatures"], env, 600)
    try:
        if not (args.skip_load and not created):
            load(args, env, figures)
        figures["rebuild_s"] = round(rebuild(url), 1)
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT (SELECT count(*) FROM offre), (SELECT count(*) FROM couverture), "
                               "pg_total_relation_size('couverture')").fetchone()
            assert row is not None
            figures.update(offres=row[0], couverture_lignes=row[1], couverture_mo=round(row[2] / 1e6))
        figures.update(http_figures(url, args))
    finally:
        if created and not args.keep:
            subprocess.run(["dropdb", "--if-exists", args.db], check=False)
    figures["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    return report(figures)


def load(args: argparse.Namespace, env: dict[str, str], figures: dict[str, object]) -> None:
    """Generate the national set into a temporary folder and load it (time and peak RSS of the importer)."""
    with tempfile.TemporaryDirectory(prefix="ror-gis-national-") as tmp:
        figures["generation_s"] = round(run([str(BIN / "ror-gis"), "demo-data", "--national", "--out", tmp,
                                             "--offres", str(args.offres)], env, 1800)[0], 1)
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        load_s, rss = run([str(BIN / "ror-gis"), "load", "fhir", tmp, "--fictif"], env, 3600)
        figures["load_s"] = round(load_s, 1)
        # ru_maxrss of children is the largest child so far: the importer unless an earlier step was larger.
        figures["load_peak_rss_mb"] = round(rss, 1)
        figures["earlier_steps_peak_rss_mb"] = round(before, 1)


if __name__ == "__main__":
    sys.exit(main())
