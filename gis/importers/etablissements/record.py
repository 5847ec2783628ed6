"""One établissement as a source describes it, and the upsert shared by every establishment loader.

Rows are keyed on the FINESS ET: the newest vintage wins for every field it has, older values are
kept where it has none (the rule is applied in SQL, so it also holds against rows loaded earlier);
``provenance`` lists every source that described the établissement, replaced (not appended twice)
on a re-run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from psycopg import sql

from gis.db import Conn
from gis.importers.statements import statement

MERGED_FIELDS = ("finess_ej", "nom", "categorie", "adresse", "code_postal", "ville", "commune_declaree",
                 "telephone", "date_ouverture")
#: Descriptive fields with a per-field provenance (``etablissement.provenance_champs``): a source gives a
#: value with its provenance; a value whose provenance is the ROR (FHIR import) is never replaced by another
#: source, every other value is replaced by the last source that gives one.
DESCRIBED_FIELDS = ("capacite", "statut_juridique", "prix_min")
#: The provenance ``source`` of the values read from the ROR (FHIR import), which win over any other source.
ROR_SOURCE = "ROR"


@dataclass
class EtabRecord:
    """One établissement as described by one source row."""

    finess: str
    nom: str
    source: str
    source_date: date
    ref: str
    source_label: str = ""
    finess_ej: str | None = None
    ej_nom: str | None = None
    categorie: str | None = None
    adresse: str | None = None
    code_postal: str | None = None
    ville: str | None = None
    commune_declaree: str | None = None
    telephone: str | None = None
    lat: float | None = None
    lon: float | None = None
    geocodage_source: str | None = None
    date_ouverture: date | None = None
    capacite: int | None = None
    statut_juridique: str | None = None
    prix_min: float | None = None
    #: field -> {source, millesime} for the descriptive fields above that this row gives
    provenance_champs: dict[str, dict[str, str]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def provenance(self) -> dict[str, Any]:
        """Return the ``provenance`` entry of this source row."""
        return {"source": self.source, "libelle": self.source_label,
                "date": self.source_date.isoformat(), "ref": self.ref}


@cache
def _upsert() -> sql.Composed:
    """Return the upsert statement of ``etablissement_upsert.sql`` with the merged columns composed in."""
    newer = sql.SQL("(t.source_date IS NULL OR excluded.source_date >= t.source_date)")
    take_geom = sql.SQL(
        "(excluded.geom IS NOT NULL AND (t.geom IS NULL OR t.geocodage_qualite IS DISTINCT FROM 'source' OR {}))"
    ).format(newer)
    merged = sql.SQL(", ").join(
        sql.SQL("{f} = CASE WHEN {newer} THEN COALESCE(excluded.{f}, t.{f}) ELSE COALESCE(t.{f}, excluded.{f}) END")
        .format(f=sql.Identifier(f), newer=newer)
        for f in MERGED_FIELDS
    )
    described = sql.SQL(", ").join(
        sql.SQL(
            "{f} = CASE WHEN excluded.{f} IS NOT NULL "
            "AND t.provenance_champs -> {k} ->> 'source' IS DISTINCT FROM {ror} THEN excluded.{f} ELSE t.{f} END"
        ).format(f=sql.Identifier(f), k=sql.Literal(f), ror=sql.Literal(ROR_SOURCE))
        for f in DESCRIBED_FIELDS
    )
    return statement("etablissement_upsert").format(
        columns=sql.SQL(", ").join(map(sql.Identifier, MERGED_FIELDS + DESCRIBED_FIELDS)),
        values=sql.SQL(", ").join(map(sql.Placeholder, MERGED_FIELDS + DESCRIBED_FIELDS)),
        merged=merged, described=described, newer=newer, take_geom=take_geom, ror=sql.Literal(ROR_SOURCE),
    )


def upsert_etablissements(conn: Conn, records: list[EtabRecord]) -> list[int]:
    """Insert or merge établissements and their entités juridiques (newest source wins field by field).

    Parameters
    ----------
    conn
        Open connection, inside the load's transaction.
    records
        One record per source row (several may describe the same FINESS).

    Returns
    -------
    list of int
        Ids of the établissements touched.
    """
    if not records:
        return []
    ejs: dict[str, tuple[str | None, str]] = {}
    for r in sorted(records, key=lambda r: r.source_date):
        if r.finess_ej:
            old = ejs.get(r.finess_ej)
            ejs[r.finess_ej] = (r.ej_nom or (old[0] if old else None), r.source)
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO entite_juridique (finess, nom, source) VALUES (%s, %s, %s) "
            "ON CONFLICT (finess) DO UPDATE SET nom = COALESCE(excluded.nom, entite_juridique.nom), "
            "source = excluded.source, updated_at = now()",
            [(k, nom, src) for k, (nom, src) in ejs.items()],
        )
        cur.executemany(
            _upsert(),
            [
                {
                    **{f: getattr(r, f) for f in MERGED_FIELDS + DESCRIBED_FIELDS},
                    "provenance_champs": json.dumps(r.provenance_champs),
                    "finess": r.finess, "lat": r.lat, "lon": r.lon,
                    "geocodage_source": (r.geocodage_source or r.source) if r.lat is not None else None,
                    "geocodage_qualite": "source" if r.lat is not None else None,
                    "source": r.source, "source_date": r.source_date,
                    "provenance": json.dumps([r.provenance()]),
                }
                for r in records
            ],
        )
    finess = sorted({r.finess for r in records})
    conn.execute(
        "UPDATE etablissement e SET ej_id = j.id FROM entite_juridique j "
        "WHERE j.finess = e.finess_ej AND e.finess = ANY(%s) AND e.ej_id IS DISTINCT FROM j.id",
        (finess,),
    )
    return [r["id"] for r in conn.execute("SELECT id FROM etablissement WHERE finess = ANY(%s)", (finess,))]
