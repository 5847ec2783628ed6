"""The import history as people read it.

Runs and their rejected or flagged rows, with file names relative to the data directory and no server paths (read by
the API, the CLI and the importers' report).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from psycopg import sql

from gis.db import Conn
from gis.settings import get_settings

STATUS_LABELS = {"en_cours": "en cours", "reussi": "réussi", "echoue": "échoué"}
INTERNAL_ERROR = ("erreur interne pendant le chargement (le détail est dans le journal du serveur) ; "
                  "aucune donnée n'a été modifiée.")
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])/(?:[^\s:;,'\"«»()\[\]]+/)*[^\s:;,'\"«»()\[\]]+")


def shown_path(path: Path | str) -> str:
    """Return a path as the import history shows it: relative to the data directory (or the cache).

    Parameters
    ----------
    path
        A file or folder, absolute or relative.

    Returns
    -------
    str
        ``finess/etalab.csv`` for a file of the data directory (``dossier de données`` for the
        directory itself), ``demo-fhir`` for a folder of the cache, the bare file name for anything
        else: never an absolute server path.
    """
    p = Path(path)
    if not p.is_absolute():
        return p.as_posix()
    settings = get_settings()
    for base, itself in ((settings.resolved_data_dir(), "dossier de données"), (settings.cache_dir, "cache")):
        try:
            relative = p.resolve().relative_to(Path(base).resolve()).as_posix()
        except ValueError:
            continue
        return itself if relative in ("", ".") else relative
    return p.name or "."


def hide_paths(text: str | None) -> str | None:
    """``text`` with every absolute path replaced by :func:`shown_path` (for rows stored earlier)."""
    if not text:
        return text
    return _ABSOLUTE_PATH.sub(lambda m: shown_path(m.group(0)), text)


_RUN_COLUMNS = sql.SQL(
    "r.id, r.kind, r.source, r.started_at, r.finished_at, r.status, r.counts, r.message, "
    "COALESCE((r.counts->>'rejetes')::int, (SELECT count(*) FROM import_rejet j "
    "WHERE j.run_id = r.id AND j.gravite = 'rejet'))::int AS rejets, "
    "COALESCE((r.counts->>'alertes')::int, (SELECT count(*) FROM import_rejet j "
    "WHERE j.run_id = r.id AND j.gravite = 'alerte'))::int AS alertes"
)


def _readable(row: dict[str, Any]) -> dict[str, Any]:
    row["source"] = hide_paths(row["source"])
    row["message"] = hide_paths(row["message"])
    row["statut"] = STATUS_LABELS.get(row["status"], row["status"])
    if row.get("finished_at") and row.get("started_at"):
        row["duree_s"] = round((row["finished_at"] - row["started_at"]).total_seconds(), 1)
    return row


def recent_runs(conn: Conn, *, limit: int = 20) -> list[dict[str, Any]]:
    """Return the latest runs, newest first, as the history shows them (see the module docstring)."""
    rows = conn.execute(
        sql.SQL("SELECT {} FROM import_run r ORDER BY r.id DESC LIMIT %s").format(_RUN_COLUMNS), (limit,)
    ).fetchall()
    return [_readable(r) for r in rows]


def get_run(conn: Conn, run_id: int) -> dict[str, Any] | None:
    """One run (None when unknown)."""
    query = sql.SQL("SELECT {} FROM import_run r WHERE r.id = %s").format(_RUN_COLUMNS)
    row = conn.execute(query, (run_id,)).fetchone()
    return _readable(row) if row else None


def run_rejections(conn: Conn, run_id: int) -> list[dict[str, Any]]:
    """Rejected and flagged rows of one run, in order."""
    rows = conn.execute(
        "SELECT n, reference, motif, gravite FROM import_rejet WHERE run_id = %s ORDER BY n", (run_id,)
    ).fetchall()
    for r in rows:
        r["reference"] = hide_paths(r["reference"])
        r["motif"] = hide_paths(r["motif"])
    return rows
