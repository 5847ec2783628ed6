"""Établissements (EG) of one batch written in bulk: staged, then inserted and updated by one statement each.

:func:`write_establishments` takes the EGs of a batch, already mapped (``organization_fields``) and resolved (their
EJ). Those that cannot meet another row of the batch are written in bulk: a new EG (no row with its ``ror_id``, and
a FINESS that is absent from the database and unique in the batch) is inserted by ``fhir_eg_bulk_insert``; an EG
already loaded under its ``ror_id`` whose FINESS stays its own is updated by ``fhir_eg_bulk_update`` (same field
by field rules as ``fhir_eg_update``). The others (a merge into a FINESS row, a FINESS held by another row or
given twice in the batch) are returned to be written one by one, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg.types.json import Jsonb

from gis.importers.fhir.references import Context, Key
from gis.importers.staging import stage
from gis.importers.statements import statement

_FIELDS = ("nom", "categorie", "adresse", "code_postal", "ville", "commune_declaree", "telephone", "date_ouverture",
           "source_date")
#: Columns of ``fhir_eg_stage``, in the order of a staged row.
STAGE_COLUMNS = ("ord", "id", "ror_id", "finess", "ej_id", *_FIELDS, "provenance", "fictif", "lon", "lat")
_STAGE_TEMPLATE = ("SELECT 0::int AS ord, id, ror_id, finess, ej_id, nom, categorie, adresse, code_postal, ville, "
                   "commune_declaree, telephone, date_ouverture, source_date, provenance, fictif, 0::float8 AS lon, "
                   "0::float8 AS lat FROM etablissement")


@dataclass
class EG:
    """One mapped EG of the batch."""

    key: Key
    resource: dict[str, Any]
    fields: dict[str, Any]
    ej_id: int | None
    ref: str
    created: bool = False


def write_establishments(ctx: Context, egs: list[EG]) -> list[EG]:
    """Insert and update in bulk the EGs that meet no other row (see the module docstring).

    Parameters
    ----------
    ctx
        State of the import (``org_rows``, ``eg_ids`` and the counts are updated).
    egs
        The mapped EGs of the batch, in key order.

    Returns
    -------
    list of EG
        The EGs left to write one by one, in key order.
    """
    if not egs:
        return []
    by_ror = {r["ror_id"]: r for r in ctx.conn.execute(
        "SELECT id, ror_id, finess FROM etablissement WHERE ror_id = ANY (%s)", ([e.key[1] for e in egs],))}
    given = [e.fields["finess"] for e in egs if e.fields["finess"]]
    held = {r["finess"] for r in ctx.conn.execute(
        "SELECT finess FROM etablissement WHERE finess = ANY (%s)", (given,))}
    twice = {f for f in given if given.count(f) > 1} if len(set(given)) < len(given) else set()
    new: list[EG] = []
    known: list[tuple[EG, int]] = []
    rest: list[EG] = []
    for eg in egs:
        finess, row = eg.fields["finess"], by_ror.get(eg.key[1])
        free = not finess or (finess not in held and finess not in twice)
        if row is None and free:
            new.append(eg)
        elif row is not None and (free or finess == row["finess"]) and finess not in twice:
            known.append((eg, row["id"]))
        else:
            rest.append(eg)
    _insert(ctx, [eg for eg in new if eg.fields["nom"]])
    for eg in new:
        if not eg.fields["nom"]:
            ctx.fail(eg.key, "établissement sans nom (name) : impossible à enregistrer.")
    _update(ctx, known)
    return rest


def _row(ctx: Context, ord_: int, eg: EG, row_id: int | None) -> tuple[Any, ...]:
    f = eg.fields
    lat, lon = f["point"] if f["point"] is not None else (None, None)
    return (ord_, row_id, eg.key[1], f["finess"], eg.ej_id, *(f[k] for k in _FIELDS),
            Jsonb([{"source": ctx.source, "ror_id": eg.key[1]}]), ctx.fictif or f["fictif"], lon, lat)


def _insert(ctx: Context, egs: list[EG]) -> None:
    if not egs:
        return
    stage(ctx.conn, "fhir_eg_stage", _STAGE_TEMPLATE, STAGE_COLUMNS,
          (_row(ctx, i, eg, None) for i, eg in enumerate(egs)))
    ids = {r["ror_id"]: r["id"] for r in ctx.conn.execute(
        statement("fhir_eg_bulk_insert"), {"source": ctx.source, "geocodage": f"fhir:{ctx.source}"})}
    for eg in egs:
        eg.created = True
        _written(ctx, eg, ids[eg.key[1]])
    ctx.report.counts["etablissements_crees"] += len(egs)


def _update(ctx: Context, egs: list[tuple[EG, int]]) -> None:
    if not egs:
        return
    stage(ctx.conn, "fhir_eg_stage", _STAGE_TEMPLATE, STAGE_COLUMNS,
          (_row(ctx, i, eg, row_id) for i, (eg, row_id) in enumerate(egs)))
    ctx.conn.execute(statement("fhir_eg_bulk_update"), {"source": ctx.source, "geocodage": f"fhir:{ctx.source}"})
    for eg, row_id in egs:
        _written(ctx, eg, row_id)
    ctx.report.counts["etablissements_mis_a_jour"] += len(egs)


def _written(ctx: Context, eg: EG, row_id: int) -> None:
    if eg.fields["commune_declaree"]:
        ctx.commune(eg.fields["commune_declaree"], eg.ref)  # warns when the declared code is unknown
    ctx.eg_ids.append(row_id)
    ctx.org_rows[eg.key] = ("etablissement", row_id)
