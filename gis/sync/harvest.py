"""Walking the pages of a ROR FHIR server and applying them (see :mod:`gis.sync`).

State, in ``data_source`` (row ``fhir-sync:<base URL>``): ``since`` — the newest ``meta.lastUpdated``
of the last successful sync (the next one asks ``_lastUpdated=ge<since − margin>``); ``next`` — the page
to resume from after a failure, written in the same transaction as the page before it, so that a
resumed sync neither loses nor applies twice a page (re-applying one would be harmless anyway: every
write is an upsert by logical id).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from psycopg.types.json import Jsonb

from gis.db import Conn
from gis.errors import SourceUnavailable
from gis.importers.fhir import TABLES, write_resources
from gis.importers.fhir.read import Item
from gis.importers.fhir.references import Context
from gis.importers.report import ImportReport, Rejection, recorded
from gis.progress import silent
from gis.sync.client import ClientOptions, FhirClient
from gis.territories import coverage

log = logging.getLogger(__name__)
INCLUDES = [("_include", "HealthcareService:organization"), ("_include", "HealthcareService:location"),
            ("_include:iterate", "Organization:partof")]
MARGIN = timedelta(minutes=5)   # commits that were late against their own clock


@dataclass
class SyncResult:
    """What one sync did (or would do, with ``dry_run``)."""

    pages: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    rejections: list[Rejection] = field(default_factory=list)
    since: str | None = None
    high_water: str | None = None
    resumed: bool = False
    retries: int = 0
    run_id: int | None = None


def state_name(base: str) -> str:
    """Return the ``data_source`` row of a server."""
    return f"fhir-sync:{base.rstrip('/')}"


def read_state(conn: Conn, base: str) -> dict[str, Any]:
    """Return the saved state of a server (empty without one)."""
    row = conn.execute("SELECT details FROM data_source WHERE name = %s", (state_name(base),)).fetchone()
    return dict(row["details"]) if row else {}


def _save_state(conn: Conn, base: str, state: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO data_source (name, loaded_at, version, details) VALUES (%s, now(), %s, %s) "
        "ON CONFLICT (name) DO UPDATE SET loaded_at = now(), version = EXCLUDED.version, details = EXCLUDED.details",
        (state_name(base), state.get("since"), Jsonb(state)),
    )


def sync_fhir(conn: Conn, base: str, *, options: ClientOptions | None = None, source: str = "ror-fhir",
              page_size: int = 200, dry_run: bool = False, full: bool = False, deletions: bool = True,
              today: date | None = None, client: FhirClient | None = None, margin: timedelta = MARGIN) -> SyncResult:
    """Harvest the HealthcareService of ``base`` (with their organisations and places) into the database.

    Parameters
    ----------
    conn
        Open connection (rows as dicts), not in a transaction.
    base
        FHIR base URL (``…/fhir``).
    options
        Token, client certificate, timeout, retries.
    source
        ``source`` of the rows written (and removed when the server no longer publishes them).
    page_size
        ``_count`` asked for.
    dry_run
        Apply everything in a transaction that is rolled back: the counts say what would change.
    full
        Ignore the saved ``since`` and any interrupted run: harvest everything.
    deletions
        After the pages, list every published id and delete the offers of ``source`` that are gone.
    today
        Date the opening status is computed for.
    client
        An existing client (tests); built from ``options`` otherwise.
    margin
        An incremental sync asks ``_lastUpdated=gt<since − margin>`` (late commits).

    Returns
    -------
    SyncResult
        Pages, counts (offres_creees, offres_mises_a_jour, offres_supprimees, …) and the run id.

    Raises
    ------
    SourceUnavailable
        The server failed beyond the retries; the pages applied so far stay, and the next run resumes.
    """
    base = base.rstrip("/")
    own = client is None
    client = client or FhirClient(options or ClientOptions())
    result = SyncResult()
    try:
        if dry_run:
            with conn.transaction(force_rollback=True):
                _run(conn, client, base, result, (source, page_size, full, deletions, today, margin), dry_run=True)
        else:
            _recorded_run(conn, client, base, result, (source, page_size, full, deletions, today, margin))
    finally:
        result.retries = client.retried
        if own:
            client.http.close()
    return result


def _recorded_run(conn: Conn, client: FhirClient, base: str, result: SyncResult, how: tuple[Any, ...]) -> None:
    error: Exception | None = None
    try:
        _run(conn, client, base, result, how, dry_run=False)
    except Exception as exc:  # recorded below, then re-raised
        error = exc
    holder: list[ImportReport] = []
    try:
        with recorded(conn, "fhir", f"synchronisation {base}", tables=TABLES) as report:
            holder.append(report)
            _fill(report, result)
            if error is not None:
                raise error
            state = read_state(conn, base)
            state.pop("next", None)
            state.pop("pending_high_water", None)
            if result.high_water:
                state["since"] = result.high_water
            _save_state(conn, base, state)
    finally:
        result.run_id = holder[0].run_id if holder else None


def _fill(report: ImportReport, result: SyncResult) -> None:
    report.counts.update(result.counts)
    report.counts["pages"] = result.pages
    report.rejections.extend(result.rejections)


def _run(conn: Conn, client: FhirClient, base: str, result: SyncResult, how: tuple[Any, ...], *,
         dry_run: bool) -> None:
    source, page_size, full, deletions, today, margin = how
    with conn.transaction():
        state = {} if full else read_state(conn, base)
    url: str | None
    if state.get("next") and not full:
        url, params = state["next"], None
        result.resumed = True
        result.high_water = state.get("pending_high_water")
    else:
        url = f"{base}/HealthcareService"
        params = [("_count", str(page_size)), *INCLUDES]
        if state.get("since"):
            since = datetime.fromisoformat(state["since"]) - margin
            params.insert(0, ("_lastUpdated", "gt" + since.isoformat()))
            result.since = state["since"]
    while url:
        page = client.get(url, params)
        params = None
        following = _next(page)
        with conn.transaction():
            _apply(conn, page, result, source, today or date.today())
            result.pages += 1
            if not dry_run:
                _save_state(conn, base, {**state, "next": following, "pending_high_water": result.high_water})
        url = following
    if deletions:
        with conn.transaction():
            _delete_gone(conn, client, base, result, source)


def _next(page: dict[str, Any]) -> str | None:
    if page.get("resourceType") != "Bundle":
        raise SourceUnavailable("Le serveur FHIR n'a pas renvoyé un Bundle pour la recherche.")
    return next((link.get("url") for link in page.get("link") or [] if link.get("relation") == "next"), None)


def _apply(conn: Conn, page: dict[str, Any], result: SyncResult, source: str, today: date) -> None:
    """Write one page through the FHIR importer (organisations, places, offers, capacities, then coverage)."""
    report = ImportReport(kind="fhir", source=source)
    ctx = Context(conn, report, source=source, fictif=False, progress=silent(), today=today)
    items = []
    for n, entry in enumerate(page.get("entry") or []):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or (entry.get("search") or {}).get("mode") == "outcome":
            continue
        items.append(Item(resource, f"page {result.pages + 1}#entry[{n}]", entry.get("fullUrl")))
        updated = (resource.get("meta") or {}).get("lastUpdated")
        if resource.get("resourceType") == "HealthcareService" and isinstance(updated, str):
            result.high_water = max(result.high_water or updated, updated, key=_instant)
    ctx.index(items)
    write_resources(ctx)
    report.counts["couverture"] = coverage.refresh(conn, sorted(set(ctx.offre_ids)))
    result.counts.update(report.counts)
    result.rejections.extend(report.rejections)


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _delete_gone(conn: Conn, client: FhirClient, base: str, result: SyncResult, source: str) -> None:
    """Delete the offers of ``source`` whose id the server no longer lists (closed, deleted, made sensitive)."""
    published: set[str] = set()
    url: str | None = f"{base}/HealthcareService"
    params: list[tuple[str, str]] | None = [("_elements", "id"), ("_count", "1000"), ("_total", "none")]
    while url:
        page = client.get(url, params)
        params = None
        published |= {e["resource"]["id"] for e in page.get("entry") or []
                      if (e.get("search") or {}).get("mode", "match") == "match" and e.get("resource", {}).get("id")}
        url = _next(page)
    gone = conn.execute("DELETE FROM offre WHERE source = %s AND NOT (ror_id = ANY (%s)) RETURNING id",
                        (source, sorted(published))).fetchall()
    result.counts["offres_supprimees"] += len(gone)
    for key, count in _delete_orphans(conn, source).items():
        result.counts[key] += count


# What only the offers of a sync source held: its places, internal organisations (leaves first), establishments
# described by no other source (provenance) and legal entities, once no offer (or row) refers to them any more.
_ORPHANS = (
    ("lieux_supprimes", "DELETE FROM lieu l WHERE l.source = %(source)s"
                        " AND NOT EXISTS (SELECT 1 FROM offre o WHERE o.lieu_id = l.id) RETURNING id"),
    ("organisations_internes_supprimees",
     "DELETE FROM organisation_interne oi WHERE oi.source = %(source)s"
     " AND NOT EXISTS (SELECT 1 FROM offre o WHERE o.oi_id = oi.id)"
     " AND NOT EXISTS (SELECT 1 FROM organisation_interne c WHERE c.parent_id = oi.id) RETURNING id"),
    ("etablissements_supprimes",
     "DELETE FROM etablissement e WHERE e.source = %(source)s"
     " AND NOT EXISTS (SELECT 1 FROM offre o WHERE o.etablissement_id = e.id)"
     " AND NOT EXISTS (SELECT 1 FROM organisation_interne oi WHERE oi.etablissement_id = e.id)"
     " AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(e.provenance) p WHERE p->>'source' <> %(source)s)"
     " RETURNING id"),
    ("entites_juridiques_supprimees",
     "DELETE FROM entite_juridique j WHERE j.source = %(source)s"
     " AND NOT EXISTS (SELECT 1 FROM etablissement e WHERE e.ej_id = j.id) RETURNING id"),
)


def _delete_orphans(conn: Conn, source: str) -> dict[str, int]:
    """Delete the places and organisations of ``source`` that the deleted offers left unreferenced."""
    counts: dict[str, int] = {}
    for key, statement_text in _ORPHANS:
        total = 0
        while True:  # internal organisations: a parent becomes a leaf once its children are gone
            n = len(conn.execute(statement_text, {"source": source}).fetchall())
            total += n
            if n == 0 or key != "organisations_internes_supprimees":
                break
        counts[key] = total
    return counts
