"""Measure one upload in a fresh process: outcome, time, CPU and memory growth.

``python -m tests.gis.tableau.measure FILE [--db URL]`` prints one JSON object:
``{"status": 200|413|422, "message", "seconds", "cpu_seconds", "rss_growth_mb"}``. The memory growth
is the peak resident set size during reading (and analysing, with ``--db``) minus the resident
size just before, the peak counter being reset first (``/proc/self/clear_refs``).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import sys
import time
from pathlib import Path
from typing import Any


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def measure(path: Path, db_url: str | None = None) -> dict[str, Any]:
    """Read (and analyse, given a database) ``path``; return outcome, times and memory growth."""
    import psycopg
    from psycopg.rows import dict_row

    from gis.errors import InvalidInput, PayloadTooLarge
    from gis.tableau import analyse, read_sheet

    data = path.read_bytes()
    conn = psycopg.connect(db_url, row_factory=dict_row) if db_url else None
    gc.collect()
    _reset_peak()
    base = _status_kb("VmRSS")
    t0, c0 = time.perf_counter(), time.process_time()
    status, message = 200, ""
    try:
        sheet = read_sheet(data, path.name)
        message = f"{len(sheet.rows)} lignes"
        if conn is not None:
            result = analyse(conn, sheet, filename=path.name, method="seuils-naturels")
            message += f", {len(result.matched)} communes"
    except PayloadTooLarge as exc:
        status, message = 413, exc.message
    except InvalidInput as exc:
        status, message = 422, exc.message
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    growth = max(0, _status_kb("VmHWM") - base) / 1024
    if conn is not None:
        conn.close()
    return {"status": status, "message": message, "seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3),
            "rss_growth_mb": round(growth, 1), "bytes": len(data)}


def main() -> None:
    """Command line: measure one file, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", type=Path)
    parser.add_argument("--db", default=None, help="database URL: also match and classify")
    args = parser.parse_args()
    sys.stdout.write(json.dumps(measure(args.file, args.db), ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
