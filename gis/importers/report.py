"""Import runs: a rejection report per run, and the transactional frame every importer uses.

The data work runs in one transaction; whatever happens, the run and its rejected rows are then
written in a transaction of their own, so a data steward can always see what was rejected and why.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg

from gis.errors import ImportFailed, RorGisError

MAX_STORED_REJECTIONS = 20_000


@dataclass
class Rejection:
    reference: str
    motif: str
    gravite: str = "rejet"  # 'rejet' (row not loaded) or 'alerte' (loaded, with a warning)


@dataclass
class ImportReport:
    """Counts and rejected rows of one import run."""

    kind: str
    source: str
    counts: Counter = field(default_factory=Counter)
    rejections: list[Rejection] = field(default_factory=list)
    status: str = "en_cours"
    message: str | None = None
    run_id: int | None = None

    def reject(self, reference: str, motif: str) -> None:
        self.rejections.append(Rejection(reference, motif, "rejet"))
        self.counts["rejetes"] += 1

    def warn(self, reference: str, motif: str) -> None:
        self.rejections.append(Rejection(reference, motif, "alerte"))
        self.counts["alertes"] += 1

    @property
    def rejected(self) -> list[Rejection]:
        return [r for r in self.rejections if r.gravite == "rejet"]

    @property
    def warnings(self) -> list[Rejection]:
        return [r for r in self.rejections if r.gravite == "alerte"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "kind": self.kind,
            "source": self.source,
            "status": self.status,
            "message": self.message,
            "counts": dict(self.counts),
            "rejections": [r.__dict__ for r in self.rejections],
        }

    def lines(self, *, max_rows: int = 20) -> list[str]:
        counts = ", ".join(f"{k} : {v}" for k, v in sorted(self.counts.items()))
        out = [f"Import {self.kind} ({self.source}) : {self.status}. {counts}"]
        if self.message:
            out.append(self.message)
        for r in self.rejections[:max_rows]:
            out.append(f"  [{r.gravite}] {r.reference} : {r.motif}")
        if len(self.rejections) > max_rows:
            out.append(f"  … {len(self.rejections) - max_rows} autres lignes (voir ror-gis imports)")
        return out


def _save(conn: psycopg.Connection, report: ImportReport) -> None:
    with conn.transaction():
        row = conn.execute(
            "INSERT INTO import_run (kind, source, finished_at, status, counts, message) "
            "VALUES (%s, %s, now(), %s, %s, %s) RETURNING id",
            (report.kind, report.source, report.status, json.dumps(dict(report.counts)), report.message),
        ).fetchone()
        report.run_id = row["id"]
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO import_rejet (run_id, n, reference, motif, gravite) VALUES (%s, %s, %s, %s, %s)",
                [
                    (report.run_id, n, r.reference[:500], r.motif[:1000], r.gravite)
                    for n, r in enumerate(report.rejections[:MAX_STORED_REJECTIONS], 1)
                ],
            )


def run_import(
    conn: psycopg.Connection,
    kind: str,
    source: str,
    work: Callable[[ImportReport], None],
) -> ImportReport:
    """Run ``work(report)`` in one transaction and record the run whatever the outcome.

    ``work`` loads what it can and calls ``report.reject`` for bad rows; it raises (any exception)
    when the input as a whole is unusable, which rolls everything back and raises ImportFailed.
    """
    report = ImportReport(kind=kind, source=source)
    try:
        with conn.transaction():
            work(report)
    except Exception as exc:
        report.status = "echoue"
        if isinstance(exc, RorGisError):
            report.message = exc.message
        else:
            report.message = f"Import annulé, rien n'a été écrit : {exc.__class__.__name__}: {exc}"
        _save(conn, report)
        raise ImportFailed(
            f"Import {kind} annulé, aucune donnée modifiée : {report.message}", details=report.as_dict()
        ) from exc
    report.status = "reussi"
    _save(conn, report)
    return report


def recent_runs(conn: psycopg.Connection, *, limit: int = 20) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT r.id, r.kind, r.source, r.started_at, r.finished_at, r.status, r.counts, r.message, "
        "(SELECT count(*) FROM import_rejet j WHERE j.run_id = r.id AND j.gravite = 'rejet') AS rejets, "
        "(SELECT count(*) FROM import_rejet j WHERE j.run_id = r.id AND j.gravite = 'alerte') AS alertes "
        "FROM import_run r ORDER BY r.id DESC LIMIT %s",
        (limit,),
    ).fetchall()


def get_run(conn: psycopg.Connection, run_id: int) -> dict[str, Any] | None:
    return conn.execute(
        "SELECT r.id, r.kind, r.source, r.started_at, r.finished_at, r.status, r.counts, r.message "
        "FROM import_run r WHERE r.id = %s",
        (run_id,),
    ).fetchone()


def run_rejections(conn: psycopg.Connection, run_id: int) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT n, reference, motif, gravite FROM import_rejet WHERE run_id = %s ORDER BY n", (run_id,)
    ).fetchall()
