"""The establishment importer: every source of ``SOURCES``, merged by FINESS ET, then placed."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from gis.db import Conn
from gis.import_runs import shown_path
from gis.importers.etablissements.cleaning import category_index, to_record
from gis.importers.etablissements.record import EtabRecord, upsert_etablissements
from gis.importers.etablissements.sources import IDF_DEPARTEMENTS, SOURCES, SourceSpec, read_rows
from gis.importers.geocoding import locate_etablissements
from gis.importers.report import ImportReport, run_import
from gis.progress import Progress, silent

#: Tables an establishment load writes (analysed at the end of the load).
TABLES = ("etablissement", "entite_juridique")
_SOURCE_COUNTS = ("lus", "charges", "doublons", "rejetes", "alertes", "hors_perimetre", "ignores")


def load_establishments(
    conn: Conn, data_dir: Path, progress: Progress | None = None
) -> ImportReport:
    """Load every source of ``SOURCES`` (oldest vintage first), merge by FINESS ET, then place them.

    Parameters
    ----------
    conn
        Open connection.
    data_dir
        The data directory (``establishments/``, ``hopitaux-eurostat/``).
    progress
        Where the steps are reported (default: nowhere).

    Returns
    -------
    ImportReport
        Counts per source, keys ``<source>.<count>``: ``lus`` (rows in the IDF perimeter with a FINESS
        column filled), ``charges``, ``doublons`` (FINESS already described by an earlier row of this
        run), ``rejetes``, ``alertes``, ``hors_perimetre``, ``ignores`` (summary lines). Also
        ``finess_distincts`` and the geocoding counts ``geocodage.*``.
    """
    progress = progress or silent()
    data_dir = Path(data_dir)

    def load_sources(report: ImportReport) -> None:
        index = category_index(conn)
        seen: set[str] = set()
        all_ids: set[int] = set()
        for spec in sorted(SOURCES, key=lambda s: s.vintage):
            progress.step(f"lecture de {spec.label}")
            records = _read_source(spec, data_dir, index, report, seen)
            all_ids.update(upsert_etablissements(conn, records))
        report.counts["finess_distincts"] = len(seen)
        progress.step("géolocalisation (point dans polygone)")
        for key, value in locate_etablissements(conn, sorted(all_ids)).items():
            report.counts[f"geocodage.{key}"] = value

    return run_import(conn, "establishments", shown_path(data_dir), load_sources, tables=TABLES)


def _read_source(
    spec: SourceSpec, data_dir: Path, index: dict[str, str | None], report: ImportReport, seen: set[str]
) -> list[EtabRecord]:
    """Return the records of one source (counted under ``<source>.*``); ``seen`` collects the FINESS numbers."""
    c: Counter[str] = Counter()
    records: list[EtabRecord] = []
    finess_column = next(k for k, v in spec.columns.items() if v == "finess")
    for ref, row in read_rows(spec, data_dir):
        if spec.idf_column and str(row.get(spec.idf_column) or "").strip()[:2] not in IDF_DEPARTEMENTS:
            c["hors_perimetre"] += 1
            continue
        if spec.skip_empty_finess and str(row.get(finess_column) or "").strip() == "":
            c["ignores"] += 1
            continue
        c["lus"] += 1
        before = (report.counts["rejetes"], report.counts["alertes"])
        rec = to_record(spec, ref, row, index, report)
        c["rejetes"] += report.counts["rejetes"] - before[0]
        c["alertes"] += report.counts["alertes"] - before[1]
        if rec is None:
            continue
        if rec.finess in seen:
            c["doublons"] += 1
        seen.add(rec.finess)
        records.append(rec)
        c["charges"] += 1
    for key in _SOURCE_COUNTS:
        report.counts[f"{spec.name}.{key}"] = c[key]
    return records
