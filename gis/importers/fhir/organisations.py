"""Organization resources → ``entite_juridique`` (EJ), ``etablissement`` (EG), ``organisation_interne`` (OI).

The kind comes from :func:`gis.importers.fhir.mapping.organization_kind`; EJs are written first,
then EGs, then OIs parents first (an OI may be part of another OI). An EG whose FINESS already
exists (loaded from the FINESS files) is merged into that row: its ``ror_id`` is set and its
geocoding kept unless the FHIR EG carries a geolocation. The EGs written are placed at the end by
:func:`gis.importers.geocoding.locate_etablissements` (the one point-in-polygon of the importers).

The legal status (from the EJ) and the lowest accommodation price the ROR gives for an EG
(:mod:`gis.importers.fhir.eg_mapping`) fill ``etablissement.statut_juridique`` / ``prix_min`` with the provenance
``ROR``, which wins over the CNSA annuaire field by field (:func:`_write_described`).
"""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from gis.importers.etablissements.record import ROR_SOURCE
from gis.importers.fhir.eg_mapping import legal_status, lowest_price
from gis.importers.fhir.establishments import EG, write_establishments
from gis.importers.fhir.mapping import fhir_date, organization_fields, organization_kind
from gis.importers.fhir.references import KIND_OF_TABLE, TABLE_OF_KIND, Context, Key
from gis.importers.geocoding import locate_etablissements
from gis.importers.statements import one, statement

KIND_LABEL = {"EJ": "entité juridique", "EG": "établissement", "OI": "organisation interne"}
_UNDECIDABLE = (
    "nature de l'Organization (entité juridique, établissement ou organisation interne) impossible à "
    "déterminer : ni type (TRE_R66, TRE_R72/R69, TRE_R207), ni identifiant FINESS / SIREN / SIRET / OI."
)


def write_organisations(ctx: Context) -> None:
    """Write every Organization of the input (see the module docstring), then place the EGs."""
    keys = ctx.keys("Organization")
    pending = _classify(ctx, keys)
    for key in [k for k in keys if ctx.org_kinds.get(k) == "EJ" and k in pending]:
        _write_org(ctx, key, pending.pop(key), "EJ")
    egs = [_mapped_eg(ctx, key, pending.pop(key)) for key in keys if ctx.org_kinds.get(key) == "EG" and key in pending]
    rest = write_establishments(ctx, egs)
    one_by_one = {eg.key for eg in rest}
    for eg in egs:
        if eg.key in ctx.org_rows and eg.key not in one_by_one:  # written in bulk
            _write_described(ctx, ctx.org_rows[eg.key][1], eg.resource, eg.ej_id, eg.ref, created=eg.created)
    for eg in rest:  # those that meet another row: one by one
        _store(ctx, eg.key, "EG", eg.resource, eg.fields, ("entite_juridique", eg.ej_id) if eg.ej_id else None)
    while pending:  # OIs: parents first
        ready = [k for k in sorted(pending) if ctx.ref_key(pending[k].get("partOf"), "Organization") not in pending]
        if not ready:
            for key in sorted(pending):
                ctx.fail(key, "organisation interne prise dans un cycle de rattachements (partOf).")
            break
        for key in ready:
            _write_org(ctx, key, pending.pop(key), "OI")
    if ctx.eg_ids:
        locate_etablissements(ctx.conn, sorted(set(ctx.eg_ids)))


def _classify(ctx: Context, keys: list[Key]) -> dict[Key, dict[str, Any]]:
    """Kind of each Organization (rejecting the undecidable ones); returns those to write."""
    pending: dict[Key, dict[str, Any]] = {}
    for key in keys:
        res = ctx.items[key].resource
        parent = ctx.ref_key(res.get("partOf"), "Organization")
        parent_res = ctx.items.get(parent) if parent else None
        parent_kind = organization_kind(parent_res.resource, None) if parent_res is not None else None
        kind = organization_kind(res, parent_kind)
        if kind is None and parent and parent_res is None:
            found, _ = ctx.resolve_org(res.get("partOf"))
            if found:
                kind = organization_kind(res, KIND_OF_TABLE[found[0]])
        if kind is None:
            ctx.fail(key, _UNDECIDABLE)
            continue
        ctx.org_kinds[key] = kind
        pending[key] = res
    return pending


def _mapped(ctx: Context, key: Key, res: dict[str, Any], kind: str) -> tuple[dict[str, Any], tuple[str, int] | None]:
    """Columns and parent row of one organisation (reporting the mapping's warnings)."""
    fields, warnings = organization_fields(res)
    ref = f"Organization/{key[1]}"
    for w in warnings:
        ctx.report.warn(ref, w)
    parent: tuple[str, int] | None = None
    if res.get("partOf"):
        parent, parent_label = ctx.resolve_org(res["partOf"])
        if parent is None:
            ctx.report.warn(ref, f"Rattachement (partOf) {parent_label} introuvable : {KIND_LABEL[kind]} "
                                 "chargé(e) sans rattachement.")
    return fields, parent


def _mapped_eg(ctx: Context, key: Key, res: dict[str, Any]) -> EG:
    fields, parent = _mapped(ctx, key, res, "EG")
    ej_id = parent[1] if parent and parent[0] == "entite_juridique" else None
    return EG(key, res, fields, ej_id, f"Organization/{key[1]}")


def _write_org(ctx: Context, key: Key, res: dict[str, Any], kind: str) -> None:
    fields, parent = _mapped(ctx, key, res, kind)
    _store(ctx, key, kind, res, fields, parent)


def _store(ctx: Context, key: Key, kind: str, res: dict[str, Any], fields: dict[str, Any],
           parent: tuple[str, int] | None) -> None:
    ref = f"Organization/{key[1]}"
    if kind == "EJ":
        row_id = _upsert_ej(ctx, key[1], fields)
    elif kind == "EG":
        ej_id = parent[1] if parent and parent[0] == "entite_juridique" else None
        row_id = _upsert_eg(ctx, key[1], fields, ej_id, ref)
        if row_id is not None:
            _write_described(ctx, row_id, res, ej_id, ref)
    else:
        row_id = _upsert_oi(ctx, key[1], fields, parent)
    if row_id is None:
        ctx.fail(key, f"{KIND_LABEL[kind]} sans nom (name) : impossible à enregistrer.")
        return
    ctx.org_rows[key] = (TABLE_OF_KIND[kind], row_id)


def _upsert_ej(ctx: Context, ror_id: str, f: dict[str, Any]) -> int | None:
    conn = ctx.conn
    row = conn.execute("SELECT id FROM entite_juridique WHERE ror_id = %s", (ror_id,)).fetchone()
    if row is None and f["finess"]:
        row = conn.execute("SELECT id FROM entite_juridique WHERE finess = %s", (f["finess"],)).fetchone()
    params = {"ror_id": ror_id, "finess": f["finess"], "nom": f["nom"], "sj": f["statut_juridique"],
              "source": ctx.source}
    ctx.report.counts["entites_juridiques"] += 1
    if row is None:
        return int(one(conn.execute(
            "INSERT INTO entite_juridique (ror_id, finess, nom, statut_juridique, source) "
            "VALUES (%(ror_id)s, %(finess)s, %(nom)s, %(sj)s, %(source)s) RETURNING id", params
        ))["id"])
    conn.execute(
        "UPDATE entite_juridique SET ror_id = %(ror_id)s, finess = COALESCE(finess, %(finess)s), "
        "nom = COALESCE(%(nom)s, nom), statut_juridique = COALESCE(%(sj)s, statut_juridique), "
        "source = %(source)s, updated_at = now() WHERE id = %(id)s", {**params, "id": row["id"]},
    )
    return int(row["id"])


def _existing_eg(ctx: Context, ror_id: str, f: dict[str, Any], ref: str) -> tuple[dict[str, Any] | None, bool]:
    """(row of the EG with this ror_id, or of the same FINESS; whether it is a merge into a FINESS row)."""
    conn = ctx.conn
    row = conn.execute("SELECT id, finess, fictif FROM etablissement WHERE ror_id = %s", (ror_id,)).fetchone()
    if row is not None or not f["finess"]:
        return row, False
    row = conn.execute(
        "SELECT id, finess, fictif, ror_id FROM etablissement WHERE finess = %s", (f["finess"],)
    ).fetchone()
    if row is not None and row["ror_id"] is not None:
        ctx.report.warn(ref, f"FINESS {f['finess']} déjà rattaché à l'Organization {row['ror_id']} : "
                             "établissement fusionné, l'ancien identifiant ROR est remplacé.")
    return row, row is not None


def _upsert_eg(ctx: Context, ror_id: str, f: dict[str, Any], ej_id: int | None, ref: str) -> int | None:
    conn = ctx.conn
    row, merged = _existing_eg(ctx, ror_id, f, ref)
    finess = f["finess"]
    if row is not None and finess and row["finess"] != finess:
        other = conn.execute("SELECT id FROM etablissement WHERE finess = %s AND id <> %s",
                             (finess, row["id"])).fetchone()
        if other:
            ctx.report.warn(ref, f"FINESS {finess} déjà porté par un autre établissement : FINESS non modifié.")
            finess = None
    finess_ej = None
    if ej_id is not None:
        finess_ej = one(conn.execute("SELECT finess FROM entite_juridique WHERE id = %s", (ej_id,)))["finess"]
    params = {
        **{k: f[k] for k in ("nom", "categorie", "adresse", "code_postal", "ville", "commune_declaree",
                             "telephone", "date_ouverture", "source_date")},
        "ror_id": ror_id, "finess": finess, "finess_ej": finess_ej, "ej_id": ej_id, "source": ctx.source,
        "prov": Jsonb([{"source": ctx.source, "ror_id": ror_id}]), "fictif": ctx.fictif or f["fictif"],
    }
    if row is None:
        if not f["nom"]:
            return None
        eg_id = int(one(conn.execute(statement("fhir_eg_insert"), params))["id"])
        ctx.report.counts["etablissements_crees"] += 1
    else:
        eg_id = int(row["id"])
        conn.execute(statement("fhir_eg_update"), {**params, "id": eg_id, "set_fictif": not merged})
        ctx.report.counts["etablissements_fusionnes" if merged else "etablissements_mis_a_jour"] += 1
    if f["point"] is not None:
        lat, lon = f["point"]
        conn.execute(
            "UPDATE etablissement SET geom = ST_SetSRID(ST_MakePoint(%s, %s), 4326), geocodage_source = %s, "
            "geocodage_qualite = 'source' WHERE id = %s",
            (lon, lat, f"fhir:{ctx.source}", eg_id),
        )
    if f["commune_declaree"]:
        ctx.commune(f["commune_declaree"], ref)  # warns when the declared code is unknown
    ctx.eg_ids.append(eg_id)
    return eg_id


def _write_described(ctx: Context, eg_id: int, res: dict[str, Any], ej_id: int | None, ref: str, *,
                     created: bool = False) -> None:
    """Legal status (of the EJ) and lowest monthly price of an EG, with their provenance (ROR wins).

    A row just ``created`` has nothing to clear: nothing is written when the ROR gives neither.
    """
    warnings: list[str] = []
    prix, read = lowest_price(res, warnings)
    for w in warnings:
        ctx.report.warn(ref, w)
    parent = ctx.ref_key(res.get("partOf"), "Organization") if res.get("partOf") else None
    item = ctx.items.get(parent) if parent else None
    stored = None
    if item is None and ej_id is not None:
        stored = one(ctx.conn.execute("SELECT statut_juridique FROM entite_juridique WHERE id = %s",
                                      (ej_id,)))["statut_juridique"]
    status = legal_status(item.resource if item is not None else None, stored)
    source = ctx.source if ctx.fictif else ROR_SOURCE
    updated = fhir_date((res.get("meta") or {}).get("lastUpdated"))
    millesime = updated.isoformat() if updated else ""
    prov: dict[str, Any] = {}
    if status is not None:
        prov["statut_juridique"] = {"source": source, "millesime": millesime}
    if prix is not None:
        prov["prix_min"] = {"source": source, "millesime": read.get("debut_validite") or millesime,
                            "unite": "mensuel", **read}
    if created and status is None and prix is None:
        return
    ctx.conn.execute(statement("ror_eg_described"),
                     {"id": eg_id, "sj": status, "prix": prix, "prov": Jsonb(prov), "ror": source})


def _upsert_oi(ctx: Context, ror_id: str, f: dict[str, Any], parent: tuple[str, int] | None) -> int | None:
    eg_id = parent_oi = None
    if parent and parent[0] == "etablissement":
        eg_id = parent[1]
    elif parent and parent[0] == "organisation_interne":
        parent_oi = parent[1]
        eg_id = ctx.eg_of_oi(parent_oi)
    ctx.report.counts["organisations_internes"] += 1
    return int(one(ctx.conn.execute(
        "INSERT INTO organisation_interne (ror_id, nom, type_oi, etablissement_id, parent_id, source) "
        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (ror_id) DO UPDATE SET nom = EXCLUDED.nom, "
        "type_oi = EXCLUDED.type_oi, etablissement_id = EXCLUDED.etablissement_id, "
        "parent_id = EXCLUDED.parent_id, source = EXCLUDED.source, updated_at = now() RETURNING id",
        (ror_id, f["nom"], f["type_oi"], eg_id, parent_oi, ctx.source),
    ))["id"])
