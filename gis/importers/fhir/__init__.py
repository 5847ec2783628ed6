"""Import ROR FHIR R4 data (ROR IG, modèle d'exposition 3.0) into the offer tables.

``load_fhir(conn, paths)`` reads Bundles (collection, searchset, transaction, batch…), NDJSON files,
single resources or directories of them, and upserts, in one transaction (``run_import``):

- ``Organization`` → ``entite_juridique`` (EJ), ``etablissement`` (EG) or ``organisation_interne`` (OI).
  The kind comes from the type slices (TRE_R66/JDV_J55 catégorie → EG; TRE_R72/R69 statut juridique →
  EJ; TRE_R207 type d'OI → OI), then from the identifiers (``https://oi.esante.gouv.fr`` / TRE_R345
  #42 → OI, SIRET → EG, SIREN → EJ, FINESS with ``partOf`` → EG) and ``partOf``. An EG whose FINESS
  already exists in ``etablissement`` (loaded from FINESS files) is merged into that row: its
  ``ror_id`` is set and its geocoding kept unless the FHIR EG carries a geolocation.
- ``Location`` → ``lieu``; the commune is ``ror-commune-cog`` resolved to the current commune
  (former and delegated codes through ``geo_commune_alias``), else the commune containing ``position``.
  Its ``ror-location-supported-capacity`` lines (``gis.capacity``) go to ``lieu.capacites`` and onto the offers
  of the place, with the derived installed / available capacity and their dates.
- ``HealthcareService`` → ``offre`` + ``zone_intervention`` + ``zone_polygone``; then
  ``gis.territories.coverage.refresh`` for the offers written. A real (not fictitious) offer replaces the
  CNSA offer of the same unit (``gis.importers.offer_merge``), keeping the CNSA capacity where the ROR gives
  none; ``offre.provenance`` records which source gave which field.

Modules: ``read`` (files, Bundles, NDJSON, normalisation), ``mapping`` / ``offer_mapping`` /
``zone_mapping`` (pure resource → columns), ``references`` (the import's state and reference
resolution), ``organisations``, ``locations``, ``offers``, ``zones`` (database writes).

Access-control fields fail closed: see :mod:`gis.importers.fhir.offer_mapping` (sensitive units)
and :func:`gis.importers.fhir.mapping.level_of` (confidentiality levels).

Everything is upserted by FHIR logical id (``ror_id``): importing the same resources again updates
the rows. A resource without ``id`` takes the id of its ``fullUrl`` (``…/Type/id`` or ``urn:uuid:…``),
of its transaction ``request.url``, or its first identifier value (with a warning).

References accepted: ``Organization/123``, absolute URLs ending with ``/Organization/123`` (optionally
``/_history/n``), ``urn:uuid:…`` fullUrls of the same input, logical references by FINESS identifier
(``{"identifier": {"system": "http://finess.esante.gouv.fr", "value": …}}``), and rows already in the
database (by ``ror_id``). An offer whose ``providedBy`` cannot be resolved is REJECTED (its place in
the offer tree would be wrong); an unresolvable ``location`` only gives a warning.

Extensions are matched by the last segment of their URL, so ``http``/``https`` and the
``ig/fhir/ror`` / ``fhir/ig/ror30`` prefixes are all accepted:

- ``ror-territorial-division`` (``typeTerritorialDivision`` TRE_R201 + ``codeTerritorialDivision``) and
  the older ``ror-healthcareservice-intervention-zone`` (``type`` + ``code``): one ``zone_intervention``
  row each; codes normalised (commune 5 characters, département 2–3, région 2). An unknown commune,
  département or région code gives a warning and is kept.
- ``ror-healthcareservice-patient-type`` (``supportedPatientInfo``, ``ageRange`` → age_min/age_max),
  ``ror-healthcareservice-sensitive-unit``, ``ror-healthcareservice-contact`` (+ ``…-contact-telecom``,
  ``…confidentiality-level``), ``ror-available-time-*``, ``ror-commune-cog``, ``ror-act-type``, and the
  EG address ``geolocation`` / ``ror-organization-geolocation`` (``latitude`` / ``longitude``).

ror-gis extension — free-form polygon territory
-----------------------------------------------
URL ``https://ror-gis.example/fhir/StructureDefinition/ror-gis-intervention-zone-geometry`` (any URL
whose last segment is ``ror-gis-intervention-zone-geometry``), on HealthcareService, 0..*:

- ``valueString``: a GeoJSON ``Polygon`` or ``MultiPolygon`` geometry (or a Feature /
  FeatureCollection of them), WGS84 longitude/latitude (RFC 7946); or
- ``valueAttachment`` with ``contentType`` ``application/geo+json`` and ``data`` = the same GeoJSON,
  base64-encoded.

All polygons of an offer are unioned, made valid and stored in ``zone_polygone`` (EPSG:4326 and
Lambert-93). It complements, and does not replace, ``ror-territorial-division``.

Rejections (French reasons in ``import_rejet``): an invalid NDJSON line (the others are loaded), a
Bundle entry without resource, a resource without usable id, an Organization whose kind cannot be
determined or without a name, an offer without identifier or name, an offer whose organisation is
missing. Unsupported resource types (Practitioner, Task…) are counted as ``ignores``. A file that is
not JSON, or JSON that is not FHIR, raises: nothing is written.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from gis.db import Conn
from gis.import_runs import shown_path
from gis.importers.fhir import streaming
from gis.importers.fhir.locations import write_capacities, write_locations
from gis.importers.fhir.offers import write_offers
from gis.importers.fhir.organisations import write_organisations
from gis.importers.fhir.read import list_files, read_items
from gis.importers.fhir.references import Context
from gis.importers.offer_merge import absorb_cnsa_offers
from gis.importers.report import ImportReport, analyze, run_import
from gis.progress import Progress, silent
from gis.territories import coverage

log = logging.getLogger(__name__)

#: Offers written beyond which the tables are analysed before the coverage refresh.
LARGE_IMPORT = 5_000

#: Tables a FHIR import writes (analysed at the end of the load).
TABLES = ("entite_juridique", "etablissement", "organisation_interne", "lieu", "offre", "zone_intervention",
          "zone_polygone", "couverture")


def load_fhir(
    conn: Conn,
    paths: Sequence[Path | str],
    *,
    source: str = "fhir",
    fictif: bool = False,
    progress: Progress | None = None,
    today: date | None = None,
    replace_source: bool = False,
    batch_bytes: int = streaming.BATCH_BYTES,
) -> ImportReport:
    """Import ROR FHIR files (see the module docstring) in one transaction.

    Parameters
    ----------
    conn
        Open connection (rows as dicts).
    paths
        Files (Bundle JSON, NDJSON, single resource) or folders of them.
    source
        Stored in ``source`` of every row written, and names the run in the import history (the
        default ``"fhir"`` is replaced there by the file names, relative to the data directory).
    fictif
        Marks the offers and the establishments created by this import as fictitious (an EG merged
        into an existing, real FINESS row keeps that row's flag).
    progress
        Where long steps are reported (default: nowhere).
    today
        Date the opening status is computed for (default: today).
    replace_source
        After the import, delete the offers, places, organisations internes and establishments of
        the same ``source`` that this input no longer contains (a reload replaces the set exactly).
    batch_bytes
        Input larger than this is read in batches of files of about this size (one file at least), so
        that memory does not depend on the input size (see :mod:`gis.importers.fhir.streaming`).

    Returns
    -------
    ImportReport
        Counts, rejected and flagged rows; the run is recorded in ``import_run``.

    Raises
    ------
    ImportFailed
        When an input file is not JSON or not FHIR: nothing is written.
    """
    files_in = [Path(p) for p in paths]

    def load_bundles(report: ImportReport) -> None:
        ctx = Context(conn, report, source=source, fictif=fictif, progress=progress or silent(),
                      today=today or date.today())
        _import(ctx, files_in, replace_source=replace_source, batch_bytes=batch_bytes)

    # The history names the run by its source, or by its files for the default source.
    label = source
    if source == "fhir" and files_in:
        label = ", ".join(shown_path(p) for p in files_in[:3]) + (" …" if len(files_in) > 3 else "")
    return run_import(conn, "fhir", label, load_bundles, tables=TABLES)


def _import(ctx: Context, paths: list[Path], *, replace_source: bool, batch_bytes: int) -> None:
    """Read, write organisations, places and offers, drop what a replaced source lost, then coverage."""
    files = list_files(paths)
    batches = streaming.batches(files, batch_bytes)
    if len(batches) == 1:
        ctx.progress.step(f"lecture de {len(files)} fichier(s) FHIR")
        ctx.index(read_items(files, ctx.report))
        write_resources(ctx)
        kept = streaming.kept_ids(ctx)
        offer_ids = ctx.offre_ids
    else:
        kept, offer_ids = streaming.write_batches(ctx, batches, read_items, write_structures, write_offer_rows)
    if replace_source:
        _drop_stale(ctx, kept)
    if len(batches) > 1 or len(offer_ids) > LARGE_IMPORT:
        # Plans of the coverage refresh must see the rows just written (a table empty at its last ANALYZE
        # gets nested loops over 100,000 offers).
        analyze(ctx.conn, TABLES)
    ctx.progress.step("calcul de la couverture des offres importées")
    started = time.perf_counter()
    ctx.report.counts["couverture"] = coverage.refresh(ctx.conn, sorted(set(offer_ids)))
    log.info("import FHIR : couverture et documents publics de %d offre(s) en %.1f s", len(set(offer_ids)),
             time.perf_counter() - started)


def write_resources(ctx: Context) -> None:
    """Write the indexed resources: organisations, places, offers, capacities; a real offer replaces the CNSA one.

    Shared by :func:`load_fhir` and the harvester (``gis.sync``), so that both write the same rows.
    """
    write_structures(ctx)
    write_offer_rows(ctx)


def write_structures(ctx: Context) -> None:
    """Write the indexed organisations and places."""
    ctx.oi_egs.clear()  # organisations internes may be moved to another EG by this batch
    write_organisations(ctx)
    write_locations(ctx)


def write_offer_rows(ctx: Context) -> None:
    """Write the indexed offers and their capacities; a real offer replaces the CNSA one."""
    write_offers(ctx)
    write_capacities(ctx)
    merged = 0 if ctx.fictif else absorb_cnsa_offers(ctx.conn, sorted(set(ctx.offre_ids)))
    if merged:  # a ROR offer replaced the CNSA offer of the same unit, field by field
        ctx.report.counts["offres_cnsa_remplacees"] += merged


def _drop_stale(ctx: Context, keep: dict[str, list[str]]) -> None:
    """Delete the rows of ``ctx.source`` that this import did not write (see ``replace_source``)."""
    orgs = keep["Organization"]
    conn, src = ctx.conn, ctx.source
    n = conn.execute("DELETE FROM offre WHERE source = %s AND NOT (ror_id = ANY(%s))",
                     (src, keep["HealthcareService"])).rowcount
    conn.execute("DELETE FROM lieu WHERE source = %s AND NOT (ror_id = ANY(%s))", (src, keep["Location"]))
    conn.execute("DELETE FROM organisation_interne WHERE source = %s AND NOT (ror_id = ANY(%s))", (src, orgs))
    conn.execute("DELETE FROM etablissement WHERE source = %s AND fictif AND NOT (ror_id = ANY(%s)) "
                 "AND NOT EXISTS (SELECT 1 FROM offre o WHERE o.etablissement_id = etablissement.id)", (src, orgs))
    ctx.report.counts["offres_supprimees"] = n


__all__ = ["TABLES", "load_fhir", "write_resources"]
