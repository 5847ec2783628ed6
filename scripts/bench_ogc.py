"""Benchmark of the OGC API against tipg on the same database, in one run (see docs/ogc.md).

Starts ror-gis twice (``ror-gis serve``, default workers: with its response cache, and with the cache off,
``ROR_GIS_CACHE_MAX_MB=0``, for the uncached database path) and tipg (same number of workers, from its own
virtualenv, default ``/tmp/tipg-venv``: ``python3 -m venv /tmp/tipg-venv && /tmp/tipg-venv/bin/pip install
tipg uvicorn``) on free local ports, all on ``ROR_GIS_DATABASE_URL``, runs ANALYZE, then for every request
kind alternates the servers with ``wrk`` (median of ``--runs`` runs) and prints req/s, p50, p99, errors, the CPU
milliseconds per request of the server (app, its process tree) and of the database's PostgreSQL backends (pg), read
from ``/proc`` (steadier than req/s on a shared machine), and two ratios: req/s ror-gis / tipg, and CPU per request
tipg / ror-gis. Data must be loaded (``ror-gis load demo``).

Usage: ``.venv/bin/python scripts/bench_ogc.py [--runs 3] [--duration 5] [--connections 16] [--json out]
[--only MVT]``
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
import psycopg

REPO = Path(__file__).resolve().parent.parent
LUA_ROTATE = """
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """WebMercatorQuad tile holding a point."""
    n = 2**z
    return z, int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def rotating_tiles(z: int = 13, around: tuple[float, float] = (2.35, 48.86), span: int = 6) -> list[str]:
    """``z/x/y`` of a block of tiles around Paris (the uncached tile workload)."""
    _, x0, y0 = tile_of(*around, z)
    half = span // 2
    return [f"{z}/{x}/{y}" for x in range(x0 - half, x0 + half) for y in range(y0 - half, y0 + half)]


# (name, ror-gis path or rotating template, tipg path or template); "{tile}" rotates over rotating_tiles().
# Every case runs against ror-gis with its cache off, except the "cached" ones (cache on).
CASES: list[tuple[str, str, str]] = [
    ("commune by id (full geometry)", "/ogc/collections/communes/items/93066",
     "/collections/public.geo_commune/items/93066"),
    ("commune by attribute insee=93066", "/ogc/collections/communes/items?insee=93066",
     "/collections/public.geo_commune/items?insee=93066"),
    ("100 establishments (points)", "/ogc/collections/etablissements/items?limit=100",
     "/collections/public.etablissement/items?limit=100"),
    ("CQL2 departement='93' (50 communes)", "/ogc/collections/communes/items?limit=50&filter=departement%3D%2793%27",
     "/collections/public.geo_commune/items?limit=50&filter=departement%3D%2793%27"),
    ("MVT communes, rotating z13 tiles", "/ogc/collections/communes/tiles/WebMercatorQuad/{tile}",
     "/collections/public.geo_commune/tiles/WebMercatorQuad/{tile}"),
    ("MVT establishments, rotating z13", "/ogc/collections/etablissements/tiles/WebMercatorQuad/{tile}",
     "/collections/public.etablissement/tiles/WebMercatorQuad/{tile}"),
    ("MVT communes, same tile, cached", "/ogc/collections/communes/tiles/WebMercatorQuad/12/2074/1409",
     "/collections/public.geo_commune/tiles/WebMercatorQuad/12/2074/1409"),
    ("MVT communes, rotating z13, cached", "/ogc/collections/communes/tiles/WebMercatorQuad/{tile}",
     "/collections/public.geo_commune/tiles/WebMercatorQuad/{tile}"),
    ("commune by id, cached", "/ogc/collections/communes/items/93066",
     "/collections/public.geo_commune/items/93066"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tipg_env(database_url: str) -> dict[str, str]:
    """Environment of tipg: the two compared tables, their primary keys and geometry columns."""
    info = psycopg.conninfo.conninfo_to_dict(database_url)
    user = info.get("user") or os.environ.get("USER") or "root"
    host = info.get("host") or "/var/run/postgresql"
    url = f"postgresql://{user}@localhost/{info.get('dbname', 'ror_gis')}?host={host}"
    return {
        **os.environ,
        "DATABASE_URL": url,
        "TIPG_DB_SCHEMAS": '["public"]',
        "TIPG_DB_TABLES": '["public.geo_commune", "public.etablissement"]',
        "TIPG_DB_FUNCTIONS": "[]",
        "TIPG_TABLE_CONFIG__public_geo_commune__geomcol": "geom",
        "TIPG_TABLE_CONFIG__public_geo_commune__pk": "insee",
        "TIPG_TABLE_CONFIG__public_etablissement__geomcol": "geom",
        "TIPG_TABLE_CONFIG__public_etablissement__pk": "id",
        "TIPG_MAX_FEATURES_PER_QUERY": "10000",
    }


def start(cmd: list[str], env: dict[str, str], url: str, probe: str) -> subprocess.Popen:
    """Start a server and wait until ``probe`` answers 200."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{cmd[0]} exited: {proc.stderr.read().decode()[-800:]}")
        try:
            if httpx.get(url + probe, timeout=5).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"server {cmd} did not start")


_TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (a server and its workers)."""
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [pid, *(p for c in children for p in process_tree(int(c)))]


def cpu_ms(pids: list[int]) -> float:
    """User + system CPU time (ms) used so far by ``pids`` (those gone count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])
    return total * _TICK_MS


def backends(db: str) -> list[int]:
    """PostgreSQL backends of the benchmarked database (only the servers under test use it)."""
    with psycopg.connect(db, autocommit=True) as conn:
        dbname = conn.info.dbname
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                            (dbname,)).fetchall()
    return [r[0] for r in rows]


_LAT = re.compile(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, path: str, duration: int, connections: int, lua: Path | None,
        cpu: tuple[list[int], str] | None = None) -> dict[str, float]:
    """One wrk run: req/s, p50/p99 (ms), errors (socket errors + non-2xx/3xx) and, given ``cpu`` (the server's
    process ids and the database URL), CPU ms per request of the server (app) and of its PostgreSQL backends (pg).
    """
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency"]
    if lua:
        cmd += ["-s", str(lua)]
    if cpu:
        pg = backends(cpu[1])
        app0, pg0 = cpu_ms(cpu[0]), cpu_ms(pg)
    out = subprocess.run([*cmd, url + path], capture_output=True, text=True, timeout=duration + 60).stdout
    served = int(re.search(r"(\d+) requests in", out).group(1)) or 1
    used = {"app_ms": (cpu_ms(cpu[0]) - app0) / served, "pg_ms": (cpu_ms(pg) - pg0) / served} if cpu else {}
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {m.group(1): float(m.group(2)) * _UNITS[m.group(3)] for m in _LAT.finditer(out)}
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": lat.get("50", 0.0), "p99": lat.get("99", 0.0),
            "errors": errors + (int(non2xx.group(1)) if non2xx else 0), **used}


def lua_for(template: str, tmp: Path, name: str) -> tuple[str, Path | None]:
    """The path to pass to wrk and, for a rotating template, a Lua script rotating over the tiles."""
    if "{tile}" not in template:
        return template, None
    paths = ", ".join(f'"{template.replace("{tile}", t)}"' for t in rotating_tiles())
    script = tmp / f"{name}.lua"
    script.write_text(LUA_ROTATE % paths)
    return template.replace("{tile}", rotating_tiles()[0]), script


def check(url: str, path: str) -> tuple[int, int]:
    r = httpx.get(url + path.replace("{tile}", rotating_tiles()[0]), timeout=30)
    return r.status_code, len(r.content)


def run_case(case: tuple[str, str, str], servers: dict[str, str], args: argparse.Namespace,
             tmp: Path) -> dict[str, object]:
    """Alternate the servers ``args.runs`` times for one request kind; medians."""
    name, ror_path, tipg_path = case
    ror = "ror-gis" if name.endswith("cached") else "ror-gis (sans cache)"
    servers = {"ror-gis": servers[ror], "tipg": servers["tipg"]}
    paths = {"ror-gis": ror_path, "tipg": tipg_path}
    results: dict[str, list[dict[str, float]]] = {"ror-gis": [], "tipg": []}
    sizes = {k: check(servers[k], p) for k, p in paths.items()}
    for k, p in paths.items():  # warm up
        first, lua = lua_for(p, tmp, f"{k}-{abs(hash(name))}")
        wrk(servers[k], first, 2, args.connections, lua)
    for _ in range(args.runs):
        for k, p in paths.items():
            first, lua = lua_for(p, tmp, f"{k}-{abs(hash(name))}")
            results[k].append(wrk(servers[k], first, args.duration, args.connections, lua, args.cpu[servers[k]]))
    med = {k: {m: statistics.median(r[m] for r in v) for m in ("rps", "p50", "p99", "errors", "app_ms", "pg_ms")}
           for k, v in results.items()}
    cpu = {k: med[k]["app_ms"] + med[k]["pg_ms"] for k in med}
    return {"case": name, "status_size": sizes, **med,
            "ratio": round(med["ror-gis"]["rps"] / med["tipg"]["rps"], 2) if med["tipg"]["rps"] else None,
            "cpu_ratio": round(cpu["tipg"] / cpu["ror-gis"], 2) if cpu["ror-gis"] else None}


def print_row(row: dict) -> None:
    r, t = row["ror-gis"], row["tipg"]
    print(f"{row['case']:38} {r['rps']:8.0f} {r['p50']:7.1f} {r['p99']:7.1f} {r['errors']:5.0f} "
          f"{r['app_ms']:5.2f}+{r['pg_ms']:4.2f} | {t['rps']:8.0f} {t['p50']:7.1f} {t['p99']:7.1f} {t['errors']:5.0f} "
          f"{t['app_ms']:5.2f}+{t['pg_ms']:4.2f} | {row['ratio']:6} {row['cpu_ratio']:6}", flush=True)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--duration", type=int, default=5)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--tipg-venv", type=Path, default=Path(os.environ.get("TIPG_VENV", "/tmp/tipg-venv")))
    p.add_argument("--json", type=Path)
    p.add_argument("--only", default="", help="run only the request kinds whose name contains this text")
    return p.parse_args()


def main() -> int:
    args = parse_args()
    if not shutil.which("wrk"):
        print("wrk not found: apt-get install wrk", file=sys.stderr)
        return 2
    if not (args.tipg_venv / "bin" / "uvicorn").exists():
        print(f"tipg not found in {args.tipg_venv}: python3 -m venv {args.tipg_venv} && "
              f"{args.tipg_venv}/bin/pip install tipg uvicorn", file=sys.stderr)
        return 2
    sys.path.insert(0, str(REPO))
    from gis.settings import Settings

    db = Settings().database_url
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("ANALYZE")
    ports = {"ror-gis": free_port(), "ror-gis (sans cache)": free_port(), "tipg": free_port()}
    servers = {k: f"http://127.0.0.1:{p}" for k, p in ports.items()}
    ror = str(Path(sys.executable).parent / "ror-gis")
    env = {**os.environ, "ROR_GIS_DATABASE_URL": db}
    workers = str(os.cpu_count() or 1)
    procs: list[subprocess.Popen] = []
    starts = [
        ([ror, "serve", "--port", str(ports["ror-gis"])], env, servers["ror-gis"], "/ogc/conformance"),
        ([ror, "serve", "--port", str(ports["ror-gis (sans cache)"])], {**env, "ROR_GIS_CACHE_MAX_MB": "0"},
         servers["ror-gis (sans cache)"], "/ogc/conformance"),
        ([str(args.tipg_venv / "bin" / "uvicorn"), "tipg.main:app", "--port", str(ports["tipg"]),
          "--workers", workers, "--log-level", "warning", "--no-access-log"], tipg_env(db), servers["tipg"],
         "/collections"),
    ]
    rows = []
    try:
        for cmd, cmd_env, url, probe in starts:  # inside the try: a server that fails to start stops the others
            procs.append(start(cmd, cmd_env, url, probe))
        args.cpu = {url: (process_tree(proc.pid), db) for (_c, _e, url, _p), proc in zip(starts, procs, strict=True)}
        print(f"load average {os.getloadavg()[0]:.2f}; wrk -t2 -c{args.connections} -d{args.duration}s, "
              f"median of {args.runs}, servers alternated, {workers} workers each; ror-gis cache off unless "
              "'cached'")
        print(f"{'request':38} {'ror r/s':>8} {'p50':>7} {'p99':>7} {'err':>5} {'cpu ms':>10} | {'tipg r/s':>8} "
              f"{'p50':>7} {'p99':>7} {'err':>5} {'cpu ms':>10} | {'ratio':>6} {'cpu':>6}")
        with tempfile.TemporaryDirectory() as tmp:
            for case in (c for c in CASES if args.only in c[0]):
                rows.append(run_case(case, servers, args, Path(tmp)))
                print_row(rows[-1])
        print(f"load average {os.getloadavg()[0]:.2f}")
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)  # the server and its workers (own session)
            proc.wait(timeout=10)
    if args.json:
        args.json.write_text(json.dumps({"servers": urlparse(servers["tipg"]).netloc, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
