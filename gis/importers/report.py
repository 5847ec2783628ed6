"""Import runs: a rejection report per run, and the transactional frame every importer uses.

The data work runs in one transaction; whatever happens, the run and its rejected rows are then
written in a transaction of their own, so a data steward can always see what was rejected and why.
Then the tables the load touched are analysed (``ANALYZE``), so that the planner sees the new data
at once even where autovacuum is off.

What the history shows is meant for people: the source is a path relative to the data directory
(never an absolute server path), the reasons are French; an unexpected error is stored as a French
sentence and its full text goes to the server log (``logging``), never to the report.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from psycopg import sql

from gis.db import Conn
from gis.errors import ImportFailed, RorGisError
from gis.import_runs import INTERNAL_ERROR, STATUS_LABELS, hide_paths
from gis.importers.statements import one

log = logging.getLogger(__name__)

MAX_STORED_REJECTIONS = 20_000


@dataclass
class Rejection:
    """One rejected (``rejet``) or flagged (``alerte``) row of an import, with its French reason."""

    reference: str
    motif: str
    gravite: str = "rejet"  # 'rejet' (row not loaded) or 'alerte' (loaded, with a warning)


@dataclass
class ImportReport:
    """Counts and rejected rows of one import run."""

    kind: str
    source: str
    counts: Counter[str] = field(default_factory=Counter)
    rejections: list[Rejection] = field(default_factory=list)
    status: str = "en_cours"
    message: str | None = None
    run_id: int | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def reject(self, reference: str, motif: str) -> None:
        """Record a row that was not loaded, with its French reason."""
        self.rejections.append(Rejection(reference, motif, "rejet"))
        self.counts["rejetes"] += 1

    def warn(self, reference: str, motif: str) -> None:
        """Record a row loaded with a warning (French)."""
        self.rejections.append(Rejection(reference, motif, "alerte"))
        self.counts["alertes"] += 1

    @property
    def rejected(self) -> list[Rejection]:
        """Rows not loaded."""
        return [r for r in self.rejections if r.gravite == "rejet"]

    @property
    def warnings(self) -> list[Rejection]:
        """Rows loaded with a warning."""
        return [r for r in self.rejections if r.gravite == "alerte"]

    def as_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data (``ImportFailed.details``)."""
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
        """Readable summary: a title line, the counts a few per line, then the first rejected rows."""
        title = f"Import {self.kind} ({self.source}) : {STATUS_LABELS.get(self.status, self.status)}."
        if self.run_id is not None:
            title += f" Voir « ror-gis imports {self.run_id} »."
        out = [title, *count_lines(self.counts)]
        if self.message:
            out.append(self.message)
        for r in self.rejections[:max_rows]:
            out.append(f"  [{r.gravite}] {r.reference} : {r.motif}")
        if len(self.rejections) > max_rows:
            out.append(f"  … {len(self.rejections) - max_rows} autres lignes (voir ror-gis imports {self.run_id})")
        return out


def count_lines(counts: dict[str, Any], *, width: int = 100) -> list[str]:
    """Return counts as short lines (``  clé : valeur, …``), grouped by prefix (``source.lus`` → ``source``)."""
    groups: dict[str, list[str]] = {"": []}  # ungrouped counts first
    for key, value in sorted(counts.items()):
        head, _, tail = key.partition(".")
        groups.setdefault(head if tail else "", []).append(f"{tail or head} : {value}")
    out: list[str] = []
    for head, items in groups.items():
        if not items:
            continue
        line = f"  {head} —" if head else " "
        for item in items:
            if len(line) + len(item) + 2 > width and not line.endswith(("—", " ")):
                out.append(line.rstrip(","))
                line = "    "
            line += f" {item},"
        out.append(line.rstrip(","))
    return out


def _save(conn: Conn, report: ImportReport) -> None:
    with conn.transaction():
        row = one(conn.execute(
            "INSERT INTO import_run (kind, source, started_at, finished_at, status, counts, message) "
            "VALUES (%s, %s, %s, clock_timestamp(), %s, %s, %s) RETURNING id",
            (report.kind, report.source, report.started_at, report.status, json.dumps(dict(report.counts)),
             report.message),
        ))
        report.run_id = row["id"]
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO import_rejet (run_id, n, reference, motif, gravite) VALUES (%s, %s, %s, %s, %s)",
                [
                    (report.run_id, n, r.reference[:500], r.motif[:1000], r.gravite)
                    for n, r in enumerate(report.rejections[:MAX_STORED_REJECTIONS], 1)
                ],
            )


def analyze(conn: Conn, tables: Iterable[str]) -> None:
    """``ANALYZE`` the given tables (in a transaction of its own), so plans see the new data at once.

    Parameters
    ----------
    conn
        Open connection.
    tables
        Table names (composed as identifiers).
    """
    names = list(dict.fromkeys(tables))
    if not names:
        return
    with conn.transaction():
        conn.execute(sql.SQL("ANALYZE {}").format(sql.SQL(", ").join(sql.Identifier(t) for t in names)))


@contextmanager
def recorded(
    conn: Conn, kind: str, source: str, *, tables: Iterable[str] = ()
) -> Iterator[ImportReport]:
    """Run the body in one transaction and record the run whatever the outcome.

    The original exception is re-raised after the run is recorded as ``echoue`` (with a French
    message; an unexpected error is logged in full and stored as a generic French sentence). On
    success the run is recorded as ``reussi`` and ``tables`` are analysed.
    """
    report = ImportReport(kind=kind, source=source)
    try:
        with conn.transaction():
            yield report
    except Exception as exc:
        report.status = "echoue"
        if isinstance(exc, RorGisError):
            report.message = hide_paths(exc.message)
        else:
            log.exception("import %s (%s) annulé", kind, source)
            report.message = f"Import annulé : {INTERNAL_ERROR}"
        _save(conn, report)
        raise
    report.status = "reussi"
    _save(conn, report)
    analyze(conn, tables)


def run_import(
    conn: Conn,
    kind: str,
    source: str,
    work: Callable[[ImportReport], None],
    *,
    tables: Iterable[str] = (),
) -> ImportReport:
    """Run ``work(report)`` in one transaction and record the run whatever the outcome.

    ``work`` loads what it can and calls ``report.reject`` for bad rows; it raises (any exception)
    when the input as a whole is unusable, which rolls everything back and raises ImportFailed.
    ``tables`` are analysed after a successful load.
    """
    holder: list[ImportReport] = []
    try:
        with recorded(conn, kind, source, tables=tables) as report:
            holder.append(report)
            work(report)
    except Exception as exc:
        if not holder:
            raise
        report = holder[0]
        raise ImportFailed(
            f"Import {kind} annulé, aucune donnée modifiée : {report.message}", details=report.as_dict()
        ) from exc
    return holder[0]
