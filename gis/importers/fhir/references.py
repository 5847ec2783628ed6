"""State of one FHIR import and the resolution of references between resources.

:class:`Context` holds what the steps share: the resources read (by type and logical id), the rows
already written for them, the rejected ones and their reasons. References accepted:
``Organization/123``, absolute URLs ending with it (optionally ``/_history/n``), ``urn:uuid:…``
fullUrls of the same input, logical references by FINESS identifier, and rows already in the
database (by ``ror_id``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from gis.db import Conn
from gis.identifiers import INSEE_RE
from gis.importers.fhir.read import Item, logical_id, normalize, parse_reference
from gis.importers.report import ImportReport
from gis.progress import Progress

Key = tuple[str, str]  # (resourceType, logical id)
SUPPORTED = ("Organization", "Location", "HealthcareService")
TABLE_OF_KIND = {"EJ": "entite_juridique", "EG": "etablissement", "OI": "organisation_interne"}
KIND_OF_TABLE = {v: k for k, v in TABLE_OF_KIND.items()}
#: Start of the warning listing what normalisation fixed in a resource.
FIXED_ON_READING = "Champs corrigés à la lecture : "

_ORG_BY_ROR_ID = (
    "SELECT 'etablissement' AS t, id FROM etablissement WHERE ror_id = %(id)s "
    "UNION ALL SELECT 'organisation_interne', id FROM organisation_interne WHERE ror_id = %(id)s "
    "UNION ALL SELECT 'entite_juridique', id FROM entite_juridique WHERE ror_id = %(id)s LIMIT 1"
)
_ORG_BY_FINESS = (
    "SELECT 'etablissement' AS t, id FROM etablissement WHERE finess = %(v)s "
    "UNION ALL SELECT 'entite_juridique', id FROM entite_juridique WHERE finess = %(v)s LIMIT 1"
)
_ORG_BY_OTHER_ID = (
    "SELECT 'etablissement' AS t, id FROM etablissement WHERE ror_id = %(v)s "
    "UNION ALL SELECT 'organisation_interne', id FROM organisation_interne WHERE ror_id = %(v)s LIMIT 1"
)

# What gis.importers.geocoding.current_commune answers, for every code at once: the commune itself, else the most
# populated current commune of a former, delegated or associated code.
_CURRENT_COMMUNES = """
SELECT insee AS code, insee FROM geo_commune
UNION ALL
(SELECT DISTINCT ON (a.code) a.code, a.insee
   FROM geo_commune_alias a JOIN geo_commune c ON c.insee = a.insee
  WHERE NOT EXISTS (SELECT 1 FROM geo_commune g WHERE g.insee = a.code)
  ORDER BY a.code, c.population DESC NULLS LAST, a.insee)
"""


@dataclass
class Context:
    """Everything the steps of one FHIR import share."""

    conn: Conn
    report: ImportReport
    source: str
    fictif: bool
    progress: Progress
    today: date
    items: dict[Key, Item] = field(default_factory=dict)
    by_ref: dict[str, Key] = field(default_factory=dict)
    org_rows: dict[Key, tuple[str, int]] = field(default_factory=dict)
    org_kinds: dict[Key, str] = field(default_factory=dict)
    failed: dict[Key, str] = field(default_factory=dict)
    lieu_rows: dict[Key, int] = field(default_factory=dict)
    commune_cache: dict[str, str | None] = field(default_factory=dict)
    offre_ids: list[int] = field(default_factory=list)
    eg_ids: list[int] = field(default_factory=list)
    oi_egs: dict[int, int | None] = field(default_factory=dict)
    codes: dict[str, frozenset[str]] = field(default_factory=dict)
    communes: dict[str, str] | None = None

    # ------------------------------------------------------------------ indexing

    def index(self, items: list[Item], *, normalise: Collection[str] = SUPPORTED) -> None:
        """Keep the supported resources (newest version of each) and count the others.

        Only the resources of the types in ``normalise`` are normalised (a batched import normalises each
        type in the pass that writes it, :mod:`gis.importers.fhir.streaming`).
        """
        ignored: Counter[str] = Counter()
        for item in items:
            rtype = item.resource["resourceType"]
            self.report.counts["ressources"] += 1
            if rtype not in SUPPORTED:
                ignored[rtype] += 1
                continue
            self._index(item, rtype in normalise)
        for rtype, n in sorted(ignored.items()):
            self.report.counts["ignores"] += n
            self.report.warn(rtype, f"{n} ressource(s) {rtype} ignorée(s) : type non pris en charge par ror-gis.")

    def _index(self, item: Item, normalise: bool = True) -> None:
        res = item.resource
        rtype = res["resourceType"]
        notes = normalize(res, deep=not item.clean) if normalise else []
        lid, origin = logical_id(item)
        if lid is None:
            self.report.reject(item.ref, f"{rtype} sans identifiant logique (id, fullUrl ou identifier) : ignoré.")
            return
        ref = f"{rtype}/{lid}"
        if notes:
            self.report.warn(ref, FIXED_ON_READING + ", ".join(notes) + ".")
        if origin == "identifier":  # fullUrl / request.url ids are normal in transaction Bundles
            self.report.warn(ref, f"{rtype} sans « id » ni fullUrl : identifié par son identifiant ({lid}).")
        key = (rtype, lid)
        previous = self.items.get(key)
        if previous is not None:
            if _updated(previous.resource) > _updated(res):
                return
            self.report.warn(ref, "Ressource présente plusieurs fois : la version la plus récente est retenue.")
        self.items[key] = item
        self.by_ref[ref] = key
        if item.full_url:
            self.by_ref[item.full_url] = key

    def keys(self, rtype: str) -> list[Key]:
        """Sorted keys of the indexed resources of one type."""
        return sorted(k for k in self.items if k[0] == rtype)

    # ------------------------------------------------------------------ references

    def ref_key(self, reference: Any, rtype: str) -> Key | None:
        """Key of a literal reference to a resource of ``rtype`` (None when there is none)."""
        if not isinstance(reference, dict) or not isinstance(reference.get("reference"), str):
            return None
        ref = reference["reference"].strip()
        if ref in self.by_ref:
            return self.by_ref[ref]
        parsed = parse_reference(ref)
        if parsed and parsed[0] == rtype:
            return parsed
        return None

    def resolve_org(self, reference: Any) -> tuple[tuple[str, int] | None, str]:
        """((table, id) or None, readable reference) of an Organization reference."""
        if not isinstance(reference, dict):
            return None, "?"
        key = self.ref_key(reference, "Organization")
        label = str(reference.get("reference") or "")
        if key is not None:
            return self._org_by_key(key), label
        ident = reference.get("identifier")
        if isinstance(ident, dict) and isinstance(ident.get("value"), str):
            value = ident["value"].strip()
            system = str(ident.get("system") or "").rstrip("/")
            query = _ORG_BY_FINESS if system.endswith("finess.esante.gouv.fr") else _ORG_BY_OTHER_ID
            row = self.conn.execute(query, {"v": value}).fetchone()
            label = f"{ident.get('system') or ''}|{value}"
            if row:
                return (row["t"], row["id"]), label
        return None, label or "?"

    def _org_by_key(self, key: Key) -> tuple[str, int] | None:
        if key in self.org_rows:
            return self.org_rows[key]
        if key in self.items:  # in this input but rejected or not yet written
            return None
        row = self.conn.execute(_ORG_BY_ROR_ID, {"id": key[1]}).fetchone()
        if row:
            self.org_rows[key] = (row["t"], row["id"])
            return self.org_rows[key]
        return None

    def resolve_location(self, reference: Any) -> int | None:
        """``lieu.id`` of a Location reference (this input or the database), None if unknown."""
        key = self.ref_key(reference, "Location")
        if key is None:
            return None
        if key in self.lieu_rows:
            return self.lieu_rows[key]
        row = self.conn.execute("SELECT id FROM lieu WHERE ror_id = %s", (key[1],)).fetchone()
        return row["id"] if row else None

    def eg_of_oi(self, oi_id: int) -> int | None:
        """Return the établissement an organisation interne belongs to (remembered for the import)."""
        if oi_id not in self.oi_egs:
            row = self.conn.execute("SELECT etablissement_id FROM organisation_interne WHERE id = %s",
                                    (oi_id,)).fetchone()
            self.oi_egs[oi_id] = row["etablissement_id"] if row else None
        return self.oi_egs[oi_id]

    def known(self, table: str, code: str) -> bool:
        """Whether ``code`` is in ``geo_departement`` or ``geo_region`` (the codes are read once per import)."""
        if table not in self.codes:
            query = {"geo_departement": "SELECT code FROM geo_departement", "geo_region": "SELECT code FROM geo_region"}
            self.codes[table] = frozenset(r["code"] for r in self.conn.execute(query[table]))
        return code in self.codes[table]

    def fail(self, key: Key, motif: str) -> None:
        """Reject a resource (its dependants are rejected with this reason)."""
        self.failed[key] = motif
        self.report.reject(f"{key[0]}/{key[1]}", motif[0].upper() + motif[1:])

    # ------------------------------------------------------------------ communes

    def commune(self, code: str, ref: str) -> str | None:
        """Return the current commune (or arrondissement) for a declared COG code; warning when unknown."""
        code = code.strip().upper()
        if code.isdigit() and len(code) == 4:
            code = code.zfill(5)
        if code not in self.commune_cache:
            if self.communes is None:  # every current, former and delegated code, read once per import
                self.communes = {r["code"]: r["insee"] for r in self.conn.execute(_CURRENT_COMMUNES)}
            found = self.communes.get(code) if INSEE_RE.match(code) else None
            self.commune_cache[code] = found
            if found is None:
                self.report.warn(ref, f"Code commune {code} inconnu du référentiel géographique chargé.")
        return self.commune_cache[code]


def _updated(resource: dict[str, Any]) -> str:
    meta: dict[str, Any] = resource["meta"] if isinstance(resource.get("meta"), dict) else {}
    return str(meta.get("lastUpdated") or "")
