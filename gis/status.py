"""Service status: database reachability and what data is loaded."""

from __future__ import annotations

from typing import Any

from gis.db import Conn


def data_status(conn: Conn) -> dict[str, Any]:
    """Return the loaded datasets with their date and version (from ``data_source``)."""
    rows = conn.execute(
        "SELECT name, loaded_at, version, details->'sources' AS sources FROM data_source ORDER BY name"
    ).fetchall()
    out: dict[str, Any] = {}
    for r in rows:
        out[r["name"]] = {
            "charge_le": r["loaded_at"].isoformat(timespec="seconds"),
            "version": r["version"],
        }
    return out


def schema_version(conn: Conn) -> int | None:
    """Return the highest schema migration applied (None before ``db init``)."""
    row = conn.execute("SELECT max(version) AS v FROM schema_migrations").fetchone()
    return row["v"] if row else None
