"""HTTP benchmark of the serving core: ror-gis against tipg on the same database, in one run (`make bench-http`).

Starts, on 127.0.0.1 only:
- ror-gis as `ror-gis serve` (default workers: one per core), with its response cache;
- ror-gis with the cache off (``ROR_GIS_CACHE_MAX_MB=0``): the database path of every answer ("uncached");
- tipg (in its own virtualenv, created with pip if missing) over a view running the same coverage SQL.

Then runs wrk for every request kind, alternating the servers, 3 repetitions (median reported), and prints req/s,
p50, p99, errors (socket errors + non-2xx) and the ratio to tipg, plus the coverage answer at 64 and 256
connections, and the database time of the Paris coverage statement (EXPLAIN ANALYZE, median of 20).

Usage: .venv/bin/python scripts/bench_http.py [--duration 10] [--runs 3] [--long 60] [--json out.json]
Needs: a loaded database (ROR_GIS_DATABASE_URL, default postgresql:///ror_gis: `make demo` or `ror-gis demo
--no-serve`), wrk (Debian package). Bounded load: every run stops after --duration seconds.
"""

from __future__ import annotations

import argparse
import json
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
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

REPO = Path(__file__).resolve().parent.parent
TIPG_VENV = Path(os.environ.get("TIPG_VENV", "/tmp/tipg-venv"))
TIPG_VERSION = os.environ.get("TIPG_VERSION", "1.6.1")

# tipg has no coverage endpoint: a view runs the same SQL as ror-gis's answer (public offers covering a commune,
# with labels, EG and coverage reason), filtered by tipg on `insee`.
COVERAGE_VIEW = """
CREATE OR REPLACE VIEW bench_coverage AS
SELECT cv.insee || ':' || o.id AS pk, cv.insee, o.ror_id, o.identifiant, o.nom, o.type_offre,
       nt.label AS type_offre_label, o.champ, nch.label AS champ_label,
       (SELECT string_agg(n.label, ' ; ') FROM unnest(o.activites) a(c)
          LEFT JOIN nomenclature n ON n.name = 'activite' AND n.code = a.c) AS activites,
       (SELECT string_agg(n.label, ' ; ') FROM unnest(o.publics) a(c)
          LEFT JOIN nomenclature n ON n.name = 'public' AND n.code = a.c) AS publics,
       o.age_min, o.age_max, e.finess, e.nom AS etab_nom, e.adresse AS etab_adresse, e.ville AS etab_ville,
       ncat.label AS etab_categorie, cv.motif, cv.partielle, coalesce(e.geom, o.geom) AS geom
  FROM couverture cv
  JOIN offre o ON o.id = cv.offre_id
  LEFT JOIN etablissement e ON e.id = o.etablissement_id
  LEFT JOIN nomenclature nt ON nt.name = 'type_offre' AND nt.code = o.type_offre
  LEFT JOIN nomenclature nch ON nch.name = 'champ' AND nch.code = o.champ
  LEFT JOIN nomenclature ncat ON ncat.name = 'categorie_eg' AND ncat.code = e.categorie
 WHERE o.unite_sensible IS FALSE AND o.statut <> 'fermee'
"""

ROTATE_LUA = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    name: str
    cmd: list[str]
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, probe: str) -> None:
        cmd = [c.replace("{port}", str(self.port)) for c in self.cmd]
        self.proc = subprocess.Popen(cmd, env={**os.environ, **self.env}, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + probe, timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.stop()
        raise SystemExit(f"{self.name} did not start ({' '.join(cmd)})")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


def ensure_tipg() -> Path:
    exe = TIPG_VENV / "bin" / "uvicorn"
    if not (TIPG_VENV / "bin" / "python").exists() or subprocess.run(
            [str(TIPG_VENV / "bin" / "python"), "-c", "import tipg"], capture_output=True).returncode:
        print(f"installing tipg {TIPG_VERSION} in {TIPG_VENV} …", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(TIPG_VENV)], check=True)
        subprocess.run([str(TIPG_VENV / "bin" / "pip"), "install", "-q", f"tipg=={TIPG_VERSION}", "uvicorn[standard]"],
                       check=True)
    return exe


def wrk(url: str, *, connections: int, duration: int, script: str | None = None) -> dict[str, float]:
    # As browsers and portals do: gzip accepted (both servers compress).
    cmd = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s",
           "-H", "Accept-Encoding: gzip"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=duration + 60).stdout

    def ms(label: str) -> float:
        m = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", out)
        if not m:
            return float("nan")
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    requests = re.search(r"(\d+) requests in", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(non2xx.group(1)) if non2xx else 0
    timeouts = 0
    if sock:
        errors += sum(int(sock.group(i)) for i in (1, 2, 3))
        timeouts = int(sock.group(4))
    return {"rps": float(rps.group(1)) if rps else 0.0, "p50": ms("50%"), "p99": ms("99%"),
            "errors": errors, "timeouts": timeouts, "requests": int(requests.group(1)) if requests else 0}


def median_run(url: str, runs: int, **kw: object) -> dict[str, float]:
    results = [wrk(url, **kw) for _ in range(runs)]  # type: ignore[arg-type]
    return {k: statistics.median(r[k] for r in results) for k in results[0]}


def _backend_cpu_s(pid: int) -> float:
    """CPU time (user + system, seconds) consumed so far by the local PostgreSQL backend ``pid`` (/proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def paris_db_ms(db_url: str) -> tuple[float, float]:
    """Database cost of the Paris coverage statement, warm: ``(execution_ms, backend_cpu_ms)``.

    ``execution_ms``: EXPLAIN ANALYZE execution time, median of 20 (wall time: inflated on a loaded machine).
    ``backend_cpu_ms``: CPU time of the backend per answer, as served (the statement prepared after 5 runs, as
    psycopg does on the pool's connections), median of 5 batches of 200 — stable whatever else the machine does.
    The server must be local (its backend's /proc entry is read).
    """
    sys.path.insert(0, str(REPO))
    from psycopg import sql
    from psycopg.rows import dict_row

    from gis.layers import offres
    from gis.layers.filters import Filters

    query, params = offres.covering_statement("75056", Filters(), limit=100, offset=0, sort="distance")
    times, cpu = [], []
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as conn:
        conn.execute("SET jit = off")
        for _ in range(10):
            offres.covering_json(conn, "75056")
            conn.execute(query, params).fetchone()
        for _ in range(20):
            plan = conn.execute(sql.SQL("EXPLAIN (ANALYZE, FORMAT JSON) ") + query, params).fetchone()
            assert plan is not None
            times.append(float(next(iter(plan.values()))[0]["Execution Time"]))
        pid_row = conn.execute("SELECT pg_backend_pid() AS pid").fetchone()
        assert pid_row is not None
        for _ in range(5):
            before = _backend_cpu_s(pid_row["pid"])
            for _ in range(200):
                conn.execute(query, params).fetchone()
            cpu.append((_backend_cpu_s(pid_row["pid"]) - before) / 200 * 1000)
    return statistics.median(times), statistics.median(cpu)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--long", type=int, default=60, help="duration of the 64/256-connection runs (s)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: apt-get install wrk")
    db_url = os.environ.get("ROR_GIS_DATABASE_URL", "postgresql:///ror_gis")
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(COVERAGE_VIEW)
        conn.execute("ANALYZE")
        communes = [r[0] for r in conn.execute("SELECT insee FROM geo_commune ORDER BY insee")]
    libpq = psycopg.conninfo.conninfo_to_dict(db_url)
    tipg_dsn = "postgresql://{user}@{host}/{db}?host={sock}".format(
        user=libpq.get("user") or os.environ.get("USER", "root"), host="localhost",
        db=libpq.get("dbname", "ror_gis"), sock=libpq.get("host") or "/var/run/postgresql")
    uvicorn = ensure_tipg()
    ror_cmd = [str(REPO / ".venv" / "bin" / "ror-gis"), "serve", "--port", "{port}"]
    servers = {
        "ror-gis": Server("ror-gis", ror_cmd, {"ROR_GIS_DATABASE_URL": db_url}),
        "ror-gis (sans cache)": Server("ror-gis (sans cache)", ror_cmd,
                                       {"ROR_GIS_DATABASE_URL": db_url, "ROR_GIS_CACHE_MAX_MB": "0"}),
        "tipg": Server("tipg", [str(uvicorn), "tipg.main:app", "--host", "127.0.0.1", "--port", "{port}",
                                "--workers", str(os.cpu_count() or 1), "--log-level", "warning"], {
            "DATABASE_URL": tipg_dsn, "TIPG_DB_SCHEMAS": '["public"]',
            "TIPG_DB_TABLES": '["public.geo_commune", "public.bench_coverage"]', "TIPG_DB_FUNCTIONS": "[]",
            "TIPG_TABLE_CONFIG__public_geo_commune__geomcol": "geom",
            "TIPG_TABLE_CONFIG__public_geo_commune__pk": "insee",
            "TIPG_TABLE_CONFIG__public_bench_coverage__geomcol": "geom",
            "TIPG_TABLE_CONFIG__public_bench_coverage__pk": "pk",
            "TIPG_MAX_FEATURES_PER_QUERY": "1000"}),
    }
    tmp = Path(tempfile.mkdtemp(prefix="bench-http-"))
    rotate = {}
    for name, pattern in [("ror", "/api/v1/communes/{}/services"),
                          ("tipg", "/collections/public.bench_coverage/items?insee={}&limit=100")]:
        paths = tmp / f"{name}.txt"
        paths.write_text("\n".join(pattern.format(c) for c in communes) + "\n")
        lua = tmp / f"{name}.lua"
        lua.write_text(ROTATE_LUA % paths)
        rotate[name] = str(lua)
    cases = [
        ("coverage warm (93066)", {"ror-gis": "/api/v1/communes/93066/services",
                                   "tipg": "/collections/public.bench_coverage/items?insee=93066&limit=100"}, None),
        ("coverage cold (every commune)", {"ror-gis (sans cache)": "/", "tipg": "/"}, "rotate"),
        ("coverage rotating, cache on", {"ror-gis": "/"}, "rotate"),
        ("commune feature (full)", {"ror-gis": "/api/v1/communes/93066?geometry=full",
                                    "tipg": "/collections/public.geo_commune/items/93066"}, None),
        ("autocomplete 'st denis'", {"ror-gis": "/api/v1/communes?q=st%20denis"}, None),
        ("nearby 5 km", {"ror-gis": "/api/v1/services?lat=48.8566&lon=2.3522&rayon_km=5"}, None),
        ("commune widget (93066)", {"ror-gis": "/cartes/commune/93066"}, None),
        ("coverage widget (SSIAD)", {"ror-gis": "/cartes/couverture?type_offre=28"}, None),
    ]
    rows: list[dict[str, object]] = []
    try:
        servers["ror-gis"].start("/health")
        servers["ror-gis (sans cache)"].start("/health")
        servers["tipg"].start("/collections")
        load = os.getloadavg()[0]
        for label, targets, mode in cases:
            results: dict[str, dict[str, float]] = {n: {} for n in targets}
            runs: dict[str, list[dict[str, float]]] = {n: [] for n in targets}
            for _ in range(args.runs):  # servers alternated within each repetition
                for name, path in targets.items():
                    script = rotate["tipg" if name == "tipg" else "ror"] if mode == "rotate" else None
                    url = servers[name].url + path
                    wrk(url, connections=16, duration=2, script=script)  # warm-up
                    runs[name].append(wrk(url, connections=16, duration=args.duration, script=script))
            for name in targets:
                results[name] = {k: statistics.median(r[k] for r in runs[name]) for k in runs[name][0]}
                rows.append({"case": label, "server": name, **results[name]})
            line = " | ".join(f"{n}: {r['rps']:.0f} req/s p50 {r['p50']:.1f} ms p99 {r['p99']:.1f} ms "
                              f"err {r['errors']:.0f}" for n, r in results.items())
            tipg = results.get("tipg", {}).get("rps")
            ours = next((r["rps"] for n, r in results.items() if n != "tipg"), None)
            ratio = f"  ratio {ours / tipg:.1f}×" if tipg and ours else ""
            print(f"{label}: {line}{ratio}", flush=True)
        for conns in (64, 256):
            r = wrk(servers["ror-gis"].url + "/api/v1/communes/93066/services", connections=conns,
                    duration=args.long)
            rows.append({"case": f"coverage warm, {conns} connections, {args.long} s", "server": "ror-gis", **r})
            print(f"coverage warm {conns} conn {args.long}s: {r['rps']:.0f} req/s p50 {r['p50']:.1f} ms "
                  f"p99 {r['p99']:.1f} ms errors {r['errors']:.0f} timeouts {r['timeouts']:.0f}", flush=True)
            r = wrk(servers["ror-gis (sans cache)"].url + "/", connections=conns, duration=args.long,
                    script=rotate["ror"])
            rows.append({"case": f"coverage cold, {conns} connections, {args.long} s", "server": "ror-gis (sans cache)",
                         **r})
            print(f"coverage cold {conns} conn {args.long}s: {r['rps']:.0f} req/s p50 {r['p50']:.1f} ms "
                  f"p99 {r['p99']:.1f} ms errors {r['errors']:.0f} timeouts {r['timeouts']:.0f}", flush=True)
    finally:
        for server in servers.values():
            server.stop()
    paris, paris_cpu = paris_db_ms(db_url)
    print(f"Paris coverage statement, database execution time (EXPLAIN ANALYZE, warm): median {paris:.2f} ms; "
          f"backend CPU per answer (prepared, as served): median {paris_cpu:.2f} ms")
    print(f"load average at start: {load:.2f}; cores: {os.cpu_count()}")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "paris_ms": paris, "paris_cpu_ms": paris_cpu, "load": load},
                                        indent=2))


if __name__ == "__main__":
    main()
