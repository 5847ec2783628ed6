"""Reading a large FHIR input in batches of files, so that memory does not depend on its size.

An input larger than ``batch_bytes`` is cut into batches of consecutive files of about that size (one
file at least); the import then makes two passes over them, holding one batch's resources at a time:

1. organisations and places of each batch (every Organization and Location of the input is written
   before any offer, whatever file it is in);
2. offers of each batch, with their zones, capacities and the merge of CNSA offers. References to
   organisations and places of other batches are resolved through the database (by ``ror_id``), like
   references to rows of earlier imports; ``urn:uuid`` fullUrls resolve within a batch only.

Everything stays in the caller's transaction (all or nothing). What is kept across batches is small and
bounded by counts, not by resources: the ids written (for the coverage and ``replace_source``), the
rejected organisations and their reasons, the communes already resolved.

Differences from a one-batch import, for inputs of several batches only: a resource present in two
batches is written twice (the last one read wins, not the newest ``meta.lastUpdated``), and an
organisation interne whose parent is in a later batch is loaded without its parent (with a warning).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from gis.importers.fhir.read import Item
from gis.importers.fhir.references import FIXED_ON_READING, Context
from gis.importers.report import ImportReport, analyze

#: Default size of a batch of input files (bytes).
BATCH_BYTES = 16 * 1024 * 1024

Reader = Callable[[list[Path], ImportReport], list[Item]]
Writer = Callable[[Context], None]

_ORGS_BY_ROR_ID = (
    "SELECT 'etablissement' AS t, id, ror_id FROM etablissement WHERE ror_id = ANY (%(ids)s) "
    "UNION ALL SELECT 'organisation_interne', id, ror_id FROM organisation_interne WHERE ror_id = ANY (%(ids)s) "
    "UNION ALL SELECT 'entite_juridique', id, ror_id FROM entite_juridique WHERE ror_id = ANY (%(ids)s)"
)
log = logging.getLogger(__name__)
_TYPES = ("Organization", "Location", "HealthcareService")
_STRUCTURES = ("entite_juridique", "etablissement", "organisation_interne", "lieu")


def batches(files: list[Path], batch_bytes: int) -> list[list[Path]]:
    """Cut ``files`` (in order) into batches of at most ``batch_bytes`` (one file at least per batch).

    Parameters
    ----------
    files
        Input files, in reading order.
    batch_bytes
        Largest total size of a batch of several files.

    Returns
    -------
    list of list of Path
        The batches; a single batch when everything fits.
    """
    out: list[list[Path]] = []
    size = 0
    for path in files:
        n = path.stat().st_size
        if out and size + n <= batch_bytes:
            out[-1].append(path)
            size += n
        else:
            out.append([path])
            size = n
    return out


def kept_ids(ctx: Context) -> dict[str, list[str]]:
    """Logical ids of the resources indexed in ``ctx``, by type."""
    keep: dict[str, list[str]] = {rtype: [] for rtype in _TYPES}
    for rtype, lid in ctx.items:
        if rtype in keep:
            keep[rtype].append(lid)
    return keep


def write_batches(
    ctx: Context, files: list[list[Path]], read: Reader, structures: Writer, offers: Writer
) -> tuple[dict[str, list[str]], list[int]]:
    """Write the batches in two passes (see the module docstring).

    Parameters
    ----------
    ctx
        State of the import; its per-resource maps are emptied between batches.
    files
        The batches of files.
    read
        Reads the resources of a batch (reporting unreadable entries).
    structures
        Writes the organisations and places indexed in ``ctx``.
    offers
        Writes the offers indexed in ``ctx`` (and what depends on them).

    Returns
    -------
    tuple
        The ids read, by type (for ``replace_source``), and the ``offre`` ids written.
    """
    keep: dict[str, list[str]] = {rtype: [] for rtype in _TYPES}
    n = len(files)
    started = time.perf_counter()
    for i, batch in enumerate(files, 1):
        ctx.progress.step(f"organisations et lieux : lot {i}/{n} ({len(batch)} fichier(s))")
        _start_batch(ctx)
        ctx.index(read(batch, ctx.report), normalise=("Organization", "Location"))
        for rtype, ids in kept_ids(ctx).items():
            keep[rtype].extend(ids)
        structures(ctx)
    analyze(ctx.conn, _STRUCTURES)  # the offers' lookups of places and organisations see the rows just written
    log.info("import FHIR : organisations et lieux de %d lot(s) écrits en %.1f s", n, time.perf_counter() - started)
    started = time.perf_counter()
    offer_ids: list[int] = []
    for i, batch in enumerate(files, 1):
        ctx.progress.step(f"offres : lot {i}/{n}")
        _start_batch(ctx)
        _index_quietly(ctx, read, batch)
        _known_rows(ctx)
        offers(ctx)
        offer_ids.extend(ctx.offre_ids)
    ctx.report.counts["lots_de_lecture"] = n
    log.info("import FHIR : %d offre(s) écrites en %.1f s", len(offer_ids), time.perf_counter() - started)
    _start_batch(ctx)
    return keep, offer_ids


def _start_batch(ctx: Context) -> None:
    """Forget the resources of the previous batch (rejections and communes are kept)."""
    for mapping in (ctx.items, ctx.by_ref, ctx.org_rows, ctx.org_kinds, ctx.lieu_rows):
        mapping.clear()
    ctx.offre_ids.clear()
    ctx.eg_ids.clear()


def _index_quietly(ctx: Context, read: Reader, batch: list[Path]) -> None:
    """Index a batch again for its offers, normalising them now.

    What reading and indexing report was reported by the first pass, except the fixes made to the offers.
    """
    report = ctx.report
    ctx.report = ImportReport(report.kind, report.source)
    try:
        ctx.index(read(batch, ctx.report), normalise=("HealthcareService",))
    finally:
        scratch, ctx.report = ctx.report, report
    for w in scratch.warnings:
        if w.reference.startswith("HealthcareService/") and w.motif.startswith(FIXED_ON_READING):
            report.warn(w.reference, w.motif)


def _known_rows(ctx: Context) -> None:
    """Rows written by the first pass for the organisations and places of this batch (not the rejected ones)."""
    orgs = [k for k in ctx.items if k[0] == "Organization" and k not in ctx.failed]
    if orgs:
        rank = {"etablissement": 0, "organisation_interne": 1, "entite_juridique": 2}
        found: dict[str, tuple[str, int]] = {}
        rows = ctx.conn.execute(_ORGS_BY_ROR_ID, {"ids": [k[1] for k in orgs]}).fetchall()
        for row in sorted(rows, key=lambda r: -rank[r["t"]]):  # etablissement wins, as in a single lookup
            found[row["ror_id"]] = (row["t"], row["id"])
        ctx.org_rows.update({k: found[k[1]] for k in orgs if k[1] in found})
    places = [k for k in ctx.items if k[0] == "Location"]
    if places:
        rows = ctx.conn.execute("SELECT id, ror_id FROM lieu WHERE ror_id = ANY (%s)",
                                ([k[1] for k in places],)).fetchall()
        ids = {r["ror_id"]: r["id"] for r in rows}
        ctx.lieu_rows.update({k: ids[k[1]] for k in places if k[1] in ids})
