"""Generate the demo Bundles and import them, replacing the previous demo set exactly."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from gis.db import Conn
from gis.demo.availability import assign_demo_availability
from gis.demo.generate import generate
from gis.importers.fhir import load_fhir
from gis.importers.report import ImportReport
from gis.progress import Progress

#: ``source`` of every row the demo writes; a reload deletes the rows of this source it no longer has.
DEMO_SOURCE_NAME = "demo (données fictives)"
DEMO_SEED = 20261123


def load_demo(
    conn: Conn,
    out_dir: Path,
    *,
    seed: int = DEMO_SEED,
    progress: Progress | None = None,
    today: date | None = None,
    now: datetime | None = None,
) -> tuple[dict[str, Any], ImportReport]:
    """Generate the fictitious offers into ``out_dir`` and import them as fictitious data.

    Parameters
    ----------
    conn
        Connection to a database with the geography and the real establishments.
    out_dir
        Where the Bundles are written (earlier demo Bundles there are replaced).
    seed
        Seed of the generation.
    progress
        Where the import reports its steps.
    today
        Date the opening status is computed for (default: today).
    now
        Reference time of the fictitious availability dates (default: now).

    Returns
    -------
    tuple
        The generation summary and the import report. Offers, places and invented establishments of
        an earlier demo load that this generation no longer contains are deleted (``offres_supprimees``).
        Then the offers with places get a fictitious availability (:mod:`gis.demo.availability`), counted in
        ``disponibilites_fictives``.
    """
    summary = generate(conn, out_dir, seed=seed)
    report = load_fhir(conn, [out_dir], source=DEMO_SOURCE_NAME, fictif=True, progress=progress, today=today,
                       replace_source=True)
    summary["disponibilites_fictives"] = assign_demo_availability(conn, seed=seed, now=now)
    return summary, report
