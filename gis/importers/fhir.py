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
- ``HealthcareService`` → ``offre`` + ``zone_intervention`` + ``zone_polygone``; then
  ``gis.territories.coverage.refresh`` for the offers written.

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

import json
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from gis.errors import InvalidInput, NotFound
from gis.importers.fhir_map import (
    K_ACTIVITE,
    location_fields,
    offer_fields,
    organization_fields,
    organization_kind,
    zone_geometries,
    zones_of,
)
from gis.importers.fhir_read import (
    Item,
    as_list,
    list_files,
    logical_id,
    normalize,
    parse_reference,
    read_items,
)
from gis.importers.report import ImportReport, run_import
from gis.layers.communes import INSEE_RE, check_insee, resolve
from gis.progress import Progress, silent
from gis.territories import coverage

SUPPORTED = ("Organization", "Location", "HealthcareService")
TABLE_OF_KIND = {"EJ": "entite_juridique", "EG": "etablissement", "OI": "organisation_interne"}
KIND_OF_TABLE = {v: k for k, v in TABLE_OF_KIND.items()}
_KIND_LABEL = {"EJ": "entité juridique", "EG": "établissement", "OI": "organisation interne"}


def load_fhir(
    conn: psycopg.Connection,
    paths: list[Path],
    *,
    source: str = "fhir",
    fictif: bool = False,
    progress: Progress | None = None,
    today: date | None = None,
) -> ImportReport:
    """Import ROR FHIR files (see the module docstring); returns the run's report.

    ``fictif=True`` marks the offers and the establishments created by this import as fictitious
    (an EG merged into an existing, real FINESS row keeps that row's flag). ``today`` is the date the
    opening status is computed for (default: today). Raises ImportFailed (nothing written) when an
    input file is not JSON or not FHIR.
    """
    paths = [Path(p) for p in paths]

    def work(report: ImportReport) -> None:
        _Loader(conn, report, source=source, fictif=fictif, progress=progress or silent(),
                today=today or date.today()).run(paths)

    return run_import(conn, "fhir", source, work)


class _Loader:
    def __init__(
        self, conn: psycopg.Connection, report: ImportReport, *, source: str, fictif: bool,
        progress: Progress, today: date,
    ) -> None:
        self.conn = conn
        self.report = report
        self.source = source
        self.fictif = fictif
        self.progress = progress
        self.today = today
        self.items: dict[tuple[str, str], Item] = {}
        self.by_ref: dict[str, tuple[str, str]] = {}
        self.org_rows: dict[tuple[str, str], tuple[str, int]] = {}
        self.org_kinds: dict[tuple[str, str], str] = {}
        self.failed: dict[tuple[str, str], str] = {}
        self.lieu_rows: dict[tuple[str, str], int] = {}
        self.commune_cache: dict[str, str | None] = {}
        self.offre_ids: list[int] = []

    # ------------------------------------------------------------------ reading

    def run(self, paths: list[Path]) -> None:
        files = list_files(paths)
        self.progress.step(f"lecture de {len(files)} fichier(s) FHIR")
        items = read_items(files, self.report)
        ignored: Counter = Counter()
        for item in items:
            rtype = item.resource["resourceType"]
            self.report.counts["ressources"] += 1
            if rtype not in SUPPORTED:
                ignored[rtype] += 1
                continue
            self._index(item)
        for rtype, n in sorted(ignored.items()):
            self.report.counts["ignores"] += n
            self.report.warn(rtype, f"{n} ressource(s) {rtype} ignorée(s) : type non pris en charge par ror-gis.")
        self._organizations()
        self._locations()
        self._offers()
        self.progress.step("calcul de la couverture des offres importées")
        self.report.counts["couverture"] = coverage.refresh(self.conn, sorted(set(self.offre_ids)))

    def _index(self, item: Item) -> None:
        res = item.resource
        rtype = res["resourceType"]
        notes = normalize(res)
        lid, origin = logical_id(item)
        if lid is None:
            self.report.reject(item.ref, f"{rtype} sans identifiant logique (id, fullUrl ou identifier) : ignoré.")
            return
        ref = f"{rtype}/{lid}"
        if notes:
            self.report.warn(ref, "Champs corrigés à la lecture : " + ", ".join(notes) + ".")
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

    # ------------------------------------------------------------------ references

    def _ref_key(self, reference: Any, rtype: str) -> tuple[str, str] | None:
        if not isinstance(reference, dict) or not isinstance(reference.get("reference"), str):
            return None
        ref = reference["reference"].strip()
        if ref in self.by_ref:
            return self.by_ref[ref]
        parsed = parse_reference(ref)
        if parsed and parsed[0] == rtype:
            return parsed
        return None

    def _resolve_org(self, reference: Any) -> tuple[tuple[str, int] | None, str]:
        """((table, id) or None, readable reference)."""
        if not isinstance(reference, dict):
            return None, "?"
        key = self._ref_key(reference, "Organization")
        label = str(reference.get("reference") or "")
        if key is not None:
            if key in self.org_rows:
                return self.org_rows[key], label
            if key in self.items:  # in this input but rejected or not yet written
                return None, label
            row = self.conn.execute(
                "SELECT 'etablissement' AS t, id FROM etablissement WHERE ror_id = %(id)s "
                "UNION ALL SELECT 'organisation_interne', id FROM organisation_interne WHERE ror_id = %(id)s "
                "UNION ALL SELECT 'entite_juridique', id FROM entite_juridique WHERE ror_id = %(id)s LIMIT 1",
                {"id": key[1]},
            ).fetchone()
            if row:
                self.org_rows[key] = (row["t"], row["id"])
                return self.org_rows[key], label
            return None, label
        ident = reference.get("identifier")
        if isinstance(ident, dict) and isinstance(ident.get("value"), str):
            value = ident["value"].strip()
            label = f"{ident.get('system') or ''}|{value}"
            system = str(ident.get("system") or "").rstrip("/")
            if system.endswith("finess.esante.gouv.fr"):
                row = self.conn.execute(
                    "SELECT 'etablissement' AS t, id FROM etablissement WHERE finess = %(f)s "
                    "UNION ALL SELECT 'entite_juridique', id FROM entite_juridique WHERE finess = %(f)s LIMIT 1",
                    {"f": value},
                ).fetchone()
            else:
                row = self.conn.execute(
                    "SELECT 'etablissement' AS t, id FROM etablissement WHERE ror_id = %(v)s "
                    "UNION ALL SELECT 'organisation_interne', id FROM organisation_interne WHERE ror_id = %(v)s "
                    "LIMIT 1",
                    {"v": value},
                ).fetchone()
            if row:
                return (row["t"], row["id"]), label
        return None, label or "?"

    # ------------------------------------------------------------------ organizations

    def _organizations(self) -> None:
        keys = sorted(k for k in self.items if k[0] == "Organization")
        pending: dict[tuple[str, str], dict[str, Any]] = {}
        for key in keys:
            res = self.items[key].resource
            parent = self._ref_key(res.get("partOf"), "Organization")
            parent_res = self.items.get(parent) if parent else None
            parent_kind = None
            if parent_res is not None:
                parent_kind = organization_kind(parent_res.resource, None)
            kind = organization_kind(res, parent_kind)
            if kind is None and parent and parent_res is None:
                found, _ = self._resolve_org(res.get("partOf"))
                if found:
                    kind = organization_kind(res, KIND_OF_TABLE[found[0]])
            if kind is None:
                self._fail(key, "nature de l'Organization (entité juridique, établissement ou organisation "
                                "interne) impossible à déterminer : ni type (TRE_R66, TRE_R72/R69, TRE_R207), "
                                "ni identifiant FINESS / SIREN / SIRET / OI.")
                continue
            self.org_kinds[key] = kind
            pending[key] = res
        for kind in ("EJ", "EG"):
            for key in [k for k in keys if self.org_kinds.get(k) == kind and k in pending]:
                self._write_org(key, pending.pop(key), kind)
        # OIs: parents first (an OI may be part of another OI).
        while pending:
            progressed = False
            for key in sorted(pending):
                parent = self._ref_key(pending[key].get("partOf"), "Organization")
                if parent is not None and parent in pending:
                    continue
                self._write_org(key, pending.pop(key), "OI")
                progressed = True
            if not progressed:
                for key in sorted(pending):
                    self._fail(key, "organisation interne prise dans un cycle de rattachements (partOf).")
                break

    def _fail(self, key: tuple[str, str], motif: str) -> None:
        self.failed[key] = motif
        self.report.reject(f"{key[0]}/{key[1]}", motif[0].upper() + motif[1:])

    def _write_org(self, key: tuple[str, str], res: dict[str, Any], kind: str) -> None:
        fields, warnings = organization_fields(res)
        ref = f"Organization/{key[1]}"
        for w in warnings:
            self.report.warn(ref, w)
        parent, parent_label = (None, "")
        if res.get("partOf"):
            parent, parent_label = self._resolve_org(res["partOf"])
            if parent is None:
                self.report.warn(ref, f"Rattachement (partOf) {parent_label} introuvable : {_KIND_LABEL[kind]} "
                                      "chargé(e) sans rattachement.")
        if kind == "EJ":
            row_id = self._upsert_ej(key[1], fields)
        elif kind == "EG":
            ej_id = parent[1] if parent and parent[0] == "entite_juridique" else None
            row_id = self._upsert_eg(key[1], fields, ej_id, ref)
        else:
            row_id = self._upsert_oi(key[1], fields, parent)
        if row_id is None:
            self._fail(key, f"{_KIND_LABEL[kind]} sans nom (name) : impossible à enregistrer.")
            return
        self.org_rows[key] = (TABLE_OF_KIND[kind], row_id)

    def _upsert_ej(self, ror_id: str, f: dict[str, Any]) -> int | None:
        row = self.conn.execute("SELECT id FROM entite_juridique WHERE ror_id = %s", (ror_id,)).fetchone()
        if row is None and f["finess"]:
            row = self.conn.execute(
                "SELECT id FROM entite_juridique WHERE finess = %s", (f["finess"],)
            ).fetchone()
        params = {"ror_id": ror_id, "finess": f["finess"], "nom": f["nom"], "sj": f["statut_juridique"],
                  "source": self.source}
        if row is None:
            self.report.counts["entites_juridiques"] += 1
            return self.conn.execute(
                "INSERT INTO entite_juridique (ror_id, finess, nom, statut_juridique, source) "
                "VALUES (%(ror_id)s, %(finess)s, %(nom)s, %(sj)s, %(source)s) RETURNING id", params
            ).fetchone()["id"]
        params["id"] = row["id"]
        self.report.counts["entites_juridiques"] += 1
        self.conn.execute(
            "UPDATE entite_juridique SET ror_id = %(ror_id)s, finess = COALESCE(finess, %(finess)s), "
            "nom = COALESCE(%(nom)s, nom), statut_juridique = COALESCE(%(sj)s, statut_juridique), "
            "source = %(source)s, updated_at = now() WHERE id = %(id)s", params,
        )
        return row["id"]

    def _upsert_eg(self, ror_id: str, f: dict[str, Any], ej_id: int | None, ref: str) -> int | None:
        conn = self.conn
        row = conn.execute("SELECT id, finess, fictif FROM etablissement WHERE ror_id = %s", (ror_id,)).fetchone()
        merged = False
        if row is None and f["finess"]:
            row = conn.execute(
                "SELECT id, finess, fictif, ror_id FROM etablissement WHERE finess = %s", (f["finess"],)
            ).fetchone()
            if row is not None and row["ror_id"] is not None:
                self.report.warn(ref, f"FINESS {f['finess']} déjà rattaché à l'Organization {row['ror_id']} : "
                                      "établissement fusionné, l'ancien identifiant ROR est remplacé.")
            merged = row is not None
        finess = f["finess"]
        if row is not None and finess and row["finess"] != finess:
            other = conn.execute("SELECT id FROM etablissement WHERE finess = %s AND id <> %s",
                                 (finess, row["id"])).fetchone()
            if other:
                self.report.warn(ref, f"FINESS {finess} déjà porté par un autre établissement : FINESS non modifié.")
                finess = None
        finess_ej = None
        if ej_id is not None:
            finess_ej = conn.execute("SELECT finess FROM entite_juridique WHERE id = %s", (ej_id,)).fetchone()["finess"]
        fictif = self.fictif or f["fictif"]
        prov = {"source": self.source, "ror_id": ror_id}
        params = {
            "ror_id": ror_id, "finess": finess, "finess_ej": finess_ej, "ej_id": ej_id, "nom": f["nom"],
            "categorie": f["categorie"], "adresse": f["adresse"], "code_postal": f["code_postal"],
            "ville": f["ville"], "commune_declaree": f["commune_declaree"], "telephone": f["telephone"],
            "date_ouverture": f["date_ouverture"], "source": self.source, "source_date": f["source_date"],
            "prov": Jsonb([prov]), "fictif": fictif,
        }
        if row is None:
            if not f["nom"]:
                return None
            eg_id = conn.execute(
                "INSERT INTO etablissement (ror_id, finess, finess_ej, ej_id, nom, categorie, adresse, code_postal, "
                "ville, commune_declaree, telephone, date_ouverture, source, source_date, provenance, fictif, "
                "geocodage_qualite) VALUES (%(ror_id)s, %(finess)s, %(finess_ej)s, %(ej_id)s, %(nom)s, %(categorie)s, "
                "%(adresse)s, %(code_postal)s, %(ville)s, %(commune_declaree)s, %(telephone)s, %(date_ouverture)s, "
                "%(source)s, %(source_date)s, %(prov)s, %(fictif)s, 'aucune') RETURNING id",
                params,
            ).fetchone()["id"]
            self.report.counts["etablissements_crees"] += 1
        else:
            eg_id = row["id"]
            params["id"] = eg_id
            # A merge into a FINESS row keeps that row's fictif flag; an update of our own row follows the import.
            params["set_fictif"] = not merged
            conn.execute(
                "UPDATE etablissement SET ror_id = %(ror_id)s, finess = COALESCE(%(finess)s, finess), "
                "finess_ej = COALESCE(%(finess_ej)s, finess_ej), ej_id = COALESCE(%(ej_id)s, ej_id), "
                "nom = COALESCE(%(nom)s, nom), categorie = COALESCE(%(categorie)s, categorie), "
                "adresse = COALESCE(%(adresse)s, adresse), code_postal = COALESCE(%(code_postal)s, code_postal), "
                "ville = COALESCE(%(ville)s, ville), "
                "commune_declaree = COALESCE(%(commune_declaree)s, commune_declaree), "
                "telephone = COALESCE(%(telephone)s, telephone), "
                "date_ouverture = COALESCE(%(date_ouverture)s, date_ouverture), source = %(source)s, "
                "source_date = COALESCE(%(source_date)s, source_date), "
                "provenance = CASE WHEN provenance @> %(prov)s THEN provenance ELSE provenance || %(prov)s END, "
                "fictif = CASE WHEN %(set_fictif)s THEN %(fictif)s ELSE fictif END, updated_at = now() "
                "WHERE id = %(id)s",
                params,
            )
            self.report.counts["etablissements_fusionnes" if merged else "etablissements_mis_a_jour"] += 1
        self._geocode_eg(eg_id, f, ref)
        return eg_id

    def _geocode_eg(self, eg_id: int, f: dict[str, Any], ref: str) -> None:
        """Point from the FHIR geolocation; else keep the existing one; else the declared commune's centre."""
        conn = self.conn
        declared = self._commune(f["commune_declaree"], ref) if f["commune_declaree"] else None
        if f["point"] is not None:
            lat, lon = f["point"]
            conn.execute(
                "UPDATE etablissement SET geom = ST_SetSRID(ST_MakePoint(%s, %s), 4326), geocodage_source = %s, "
                "geocodage_qualite = 'source' WHERE id = %s",
                (lon, lat, f"fhir:{self.source}", eg_id),
            )
        elif declared:
            placed = conn.execute(
                "UPDATE etablissement e SET geom = c.centre, geocodage_source = 'fhir:centre de commune', "
                "geocodage_qualite = 'commune' FROM geo_commune c WHERE e.id = %s AND e.geom IS NULL "
                "AND c.insee = %s RETURNING e.id",
                (eg_id, declared),
            ).fetchone()
            if placed is None:
                return  # existing geocoding (e.g. from the FINESS files) kept as it is
        else:
            return
        row = conn.execute(
            "SELECT ST_Y(geom) AS lat, ST_X(geom) AS lon, geocodage_qualite FROM etablissement WHERE id = %s", (eg_id,)
        ).fetchone()
        if row["lat"] is None:
            return
        commune, arrondissement = self._point_commune(row["lat"], row["lon"])
        alert = None
        if commune is None:
            alert = "point hors des communes chargées"
        elif declared and declared not in (commune, arrondissement) and row["geocodage_qualite"] == "source":
            alert = f"commune déclarée {declared}, point situé dans {arrondissement or commune}"
        conn.execute(
            "UPDATE etablissement SET commune_insee = %s, arrondissement_insee = %s, geocodage_alerte = %s "
            "WHERE id = %s",
            (commune, arrondissement, alert, eg_id),
        )

    def _upsert_oi(self, ror_id: str, f: dict[str, Any], parent: tuple[str, int] | None) -> int | None:
        eg_id = parent_oi = None
        if parent and parent[0] == "etablissement":
            eg_id = parent[1]
        elif parent and parent[0] == "organisation_interne":
            parent_oi = parent[1]
            eg_id = self.conn.execute(
                "SELECT etablissement_id FROM organisation_interne WHERE id = %s", (parent_oi,)
            ).fetchone()["etablissement_id"]
        self.report.counts["organisations_internes"] += 1
        return self.conn.execute(
            "INSERT INTO organisation_interne (ror_id, nom, type_oi, etablissement_id, parent_id, source) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (ror_id) DO UPDATE SET nom = EXCLUDED.nom, "
            "type_oi = EXCLUDED.type_oi, etablissement_id = EXCLUDED.etablissement_id, "
            "parent_id = EXCLUDED.parent_id, source = EXCLUDED.source, updated_at = now() RETURNING id",
            (ror_id, f["nom"], f["type_oi"], eg_id, parent_oi, self.source),
        ).fetchone()["id"]

    # ------------------------------------------------------------------ communes

    def _commune(self, code: str, ref: str) -> str | None:
        """Current commune (or arrondissement) for a declared COG code; warning when unknown."""
        code = code.strip().upper()
        if code.isdigit() and len(code) == 4:
            code = code.zfill(5)
        if code not in self.commune_cache:
            try:
                self.commune_cache[code] = resolve(self.conn, check_insee(code))["insee"]
            except (NotFound, InvalidInput):
                self.commune_cache[code] = None
            if self.commune_cache[code] is None:
                self.report.warn(ref, f"Code commune {code} inconnu du référentiel géographique chargé.")
        return self.commune_cache[code]

    def _point_commune(self, lat: float, lon: float) -> tuple[str | None, str | None]:
        """(commune, arrondissement municipal or None) containing a point."""
        rows = self.conn.execute(
            "SELECT insee, type, parent_insee FROM geo_commune "
            "WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) ORDER BY type, insee",
            (lon, lat),
        ).fetchall()
        arr = next((r for r in rows if r["type"] == "arrondissement-municipal"), None)
        if arr:
            return arr["parent_insee"], arr["insee"]
        com = next((r for r in rows if r["type"] == "commune"), None)
        return (com["insee"], None) if com else (None, None)

    # ------------------------------------------------------------------ locations

    def _locations(self) -> None:
        for key in sorted(k for k in self.items if k[0] == "Location"):
            ref = f"Location/{key[1]}"
            f, warnings = location_fields(self.items[key].resource)
            for w in warnings:
                self.report.warn(ref, w)
            commune = self._commune(f["commune_cog"], ref) if f["commune_cog"] else None
            if commune is None and f["point"] is not None:
                com, arr = self._point_commune(*f["point"])
                commune = arr or com
            if commune is None:
                self.report.warn(ref, "Lieu sans commune : ni ror-commune-cog connu, ni position dans une commune "
                                      "chargée.")
            lat, lon = f["point"] if f["point"] else (None, None)
            row = self.conn.execute(
                "INSERT INTO lieu (ror_id, nom, adresse, code_postal, ville, commune_cog, commune_insee, geom, statut, "
                "source) VALUES (%(ror_id)s, %(nom)s, %(adresse)s, %(cp)s, %(ville)s, %(cog)s, %(insee)s, "
                "CASE WHEN %(lon)s::float8 IS NULL THEN NULL "
                "ELSE ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) END, "
                "%(statut)s, %(source)s) ON CONFLICT (ror_id) DO UPDATE SET nom = EXCLUDED.nom, "
                "adresse = EXCLUDED.adresse, code_postal = EXCLUDED.code_postal, ville = EXCLUDED.ville, "
                "commune_cog = EXCLUDED.commune_cog, commune_insee = EXCLUDED.commune_insee, geom = EXCLUDED.geom, "
                "statut = EXCLUDED.statut, source = EXCLUDED.source, updated_at = now() RETURNING id",
                {"ror_id": key[1], "nom": f["nom"], "adresse": f["adresse"], "cp": f["code_postal"],
                 "ville": f["ville"], "cog": f["commune_cog"], "insee": commune, "lon": lon, "lat": lat,
                 "statut": f["statut"], "source": self.source},
            ).fetchone()
            self.lieu_rows[key] = row["id"]
            self.report.counts["lieux"] += 1

    def _resolve_location(self, reference: Any) -> int | None:
        key = self._ref_key(reference, "Location")
        if key is None:
            return None
        if key in self.lieu_rows:
            return self.lieu_rows[key]
        row = self.conn.execute("SELECT id FROM lieu WHERE ror_id = %s", (key[1],)).fetchone()
        return row["id"] if row else None

    # ------------------------------------------------------------------ offers

    def _offers(self) -> None:
        keys = sorted(k for k in self.items if k[0] == "HealthcareService")
        for n, key in enumerate(keys, 1):
            self.progress.count("offres", n, len(keys))
            self._offer(key, self.items[key].resource)

    def _offer(self, key: tuple[str, str], hs: dict[str, Any]) -> None:
        ref = f"HealthcareService/{key[1]}"
        f, warnings = offer_fields(hs, self.today)
        if not f["identifiant"]:
            self.report.reject(ref, "Offre sans identifiant (identifier, identifiantOffre ROR) : non chargée.")
            return
        if not f["nom"]:
            self.report.reject(ref, "Offre sans nom (name) : non chargée.")
            return
        eg_id = oi_id = None
        provided = hs.get("providedBy")
        if provided:
            org, label = self._resolve_org(provided)
            if org is None:
                motif = self.failed.get(self._ref_key(provided, "Organization") or ("", ""))
                why = f" (elle a été rejetée : {motif})" if motif else " ni dans le fichier ni en base"
                self.report.reject(ref, f"Offre rattachée à une organisation introuvable ({label}){why} : "
                                        "offre non chargée.")
                return
            if org[0] == "etablissement":
                eg_id = org[1]
            elif org[0] == "organisation_interne":
                oi_id = org[1]
                eg_id = self.conn.execute("SELECT etablissement_id FROM organisation_interne WHERE id = %s",
                                          (oi_id,)).fetchone()["etablissement_id"]
            else:
                warnings.append("Offre rattachée à une entité juridique : aucun établissement (EG) associé.")
        else:
            warnings.append("Offre sans structure de rattachement (providedBy).")
        lieu_id = None
        locations = [loc for loc in as_list(hs.get("location")) if isinstance(loc, dict)]
        for loc in locations:
            lieu_id = self._resolve_location(loc)
            if lieu_id is not None:
                break
        if locations and lieu_id is None:
            labels = ", ".join(str(loc.get("reference")) for loc in locations)
            warnings.append(f"Lieu de réalisation introuvable ({labels}) : offre chargée sans lieu.")
        if not f["activites"] and not any(as_list(hs.get("specialty"))):
            warnings.append("Offre sans activité opérationnelle (specialty).")
        elif not f["activites"]:
            warnings.append(f"Aucune activité opérationnelle ({'/'.join(sorted(K_ACTIVITE))}) dans specialty.")
        for w in warnings:
            self.report.warn(ref, w)
        params = {
            **{k: f[k] for k in (
                "identifiant", "nom", "type_offre", "champ", "activites", "familles", "modes_pec", "publics",
                "modalites_accueil", "temporalites", "actes", "specialisations", "age_min", "age_max",
                "unite_sensible", "statut", "date_fermeture", "date_reouverture")},
            "ror_id": key[1], "contacts": Jsonb(f["contacts"]), "horaires": Jsonb(f["horaires"]),
            "eg": eg_id, "oi": oi_id, "lieu": lieu_id, "source": self.source, "fictif": self.fictif,
            "maj": _timestamp(f["derniere_maj"]),
        }
        row = self.conn.execute(
            """
            INSERT INTO offre (ror_id, identifiant, nom, type_offre, champ, activites, familles, modes_pec, publics,
                modalites_accueil, temporalites, actes, specialisations, age_min, age_max, unite_sensible, statut,
                date_fermeture, date_reouverture, contacts, horaires, etablissement_id, oi_id, lieu_id, source,
                fictif, derniere_maj)
            VALUES (%(ror_id)s, %(identifiant)s, %(nom)s, %(type_offre)s, %(champ)s, %(activites)s, %(familles)s,
                %(modes_pec)s, %(publics)s, %(modalites_accueil)s, %(temporalites)s, %(actes)s, %(specialisations)s,
                %(age_min)s, %(age_max)s, %(unite_sensible)s, %(statut)s, %(date_fermeture)s, %(date_reouverture)s,
                %(contacts)s, %(horaires)s, %(eg)s, %(oi)s, %(lieu)s, %(source)s, %(fictif)s, %(maj)s)
            ON CONFLICT (ror_id) DO UPDATE SET identifiant = EXCLUDED.identifiant, nom = EXCLUDED.nom,
                type_offre = EXCLUDED.type_offre, champ = EXCLUDED.champ, activites = EXCLUDED.activites,
                familles = EXCLUDED.familles, modes_pec = EXCLUDED.modes_pec, publics = EXCLUDED.publics,
                modalites_accueil = EXCLUDED.modalites_accueil, temporalites = EXCLUDED.temporalites,
                actes = EXCLUDED.actes, specialisations = EXCLUDED.specialisations, age_min = EXCLUDED.age_min,
                age_max = EXCLUDED.age_max, unite_sensible = EXCLUDED.unite_sensible, statut = EXCLUDED.statut,
                date_fermeture = EXCLUDED.date_fermeture, date_reouverture = EXCLUDED.date_reouverture,
                contacts = EXCLUDED.contacts, horaires = EXCLUDED.horaires,
                etablissement_id = EXCLUDED.etablissement_id, oi_id = EXCLUDED.oi_id, lieu_id = EXCLUDED.lieu_id,
                source = EXCLUDED.source, fictif = EXCLUDED.fictif, derniere_maj = EXCLUDED.derniere_maj,
                updated_at = now()
            RETURNING id, (xmax = 0) AS inserted
            """,
            params,
        ).fetchone()
        offre_id = row["id"]
        self.report.counts["offres_creees" if row["inserted"] else "offres_mises_a_jour"] += 1
        self.report.counts["offres"] += 1
        self.offre_ids.append(offre_id)
        self._zones(offre_id, hs, ref)
        self._polygon(offre_id, hs, ref)

    def _zones(self, offre_id: int, hs: dict[str, Any], ref: str) -> None:
        raw, warnings = zones_of(hs)
        for w in warnings:
            self.report.warn(ref, w)
        rows: list[tuple[str, str]] = []
        for kind, code, _key in raw:
            normalised = self._zone_code(kind, code, ref)
            if normalised and (kind, normalised) not in rows:
                rows.append((kind, normalised))
        self.conn.execute("DELETE FROM zone_intervention WHERE offre_id = %s", (offre_id,))
        if rows:
            with self.conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO zone_intervention (offre_id, type_division, code) VALUES (%s, %s, %s)",
                    [(offre_id, kind, code) for kind, code in rows],
                )
            self.report.counts["zones"] += len(rows)

    def _zone_code(self, kind: str, code: str, ref: str) -> str | None:
        code = code.strip().upper()
        if kind == "3":
            if code.isdigit() and len(code) == 4:
                code = code.zfill(5)
            if not INSEE_RE.match(code):
                self.report.warn(ref, f"Zone d'intervention : code commune « {code} » mal formé (5 caractères "
                                      "attendus) : ignoré.")
                return None
            self._commune(code, ref)  # warns when unknown; the code is kept
            return code
        if kind == "2":
            if code.isdigit() and len(code) == 1:
                code = code.zfill(2)
            elif code.isdigit() and len(code) == 3 and code.startswith("0"):
                code = code[1:]
            if not (len(code) == 2 and (code.isdigit() or code in ("2A", "2B"))) and not (
                len(code) == 3 and code.startswith("97") and code.isdigit()
            ):
                self.report.warn(ref, f"Zone d'intervention : code département « {code} » mal formé : ignoré.")
                return None
            if not self.conn.execute("SELECT 1 FROM geo_departement WHERE code = %s", (code,)).fetchone():
                self.report.warn(ref, f"Zone d'intervention : département {code} absent du référentiel chargé "
                                      "(conservé).")
            return code
        if kind == "1":
            if not code.isdigit() or len(code) > 3:
                self.report.warn(ref, f"Zone d'intervention : code région « {code} » mal formé : ignoré.")
                return None
            code = str(int(code)).zfill(2)
            if not self.conn.execute("SELECT 1 FROM geo_region WHERE code = %s", (code,)).fetchone():
                self.report.warn(ref, f"Zone d'intervention : région {code} absente du référentiel chargé "
                                      "(conservée).")
            return code
        return code

    def _polygon(self, offre_id: int, hs: dict[str, Any], ref: str) -> None:
        geoms, warnings = zone_geometries(hs)
        for w in warnings:
            self.report.warn(ref, w)
        self.conn.execute("DELETE FROM zone_polygone WHERE offre_id = %s", (offre_id,))
        if not geoms:
            return
        try:
            with self.conn.transaction():
                row = self.conn.execute(
                    """
                    WITH parts AS (
                        SELECT ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON(j), 4326)) AS g FROM unnest(%(g)s::text[]) j
                    ), u AS (
                        SELECT ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(g)), 3)) AS g FROM parts
                    )
                    INSERT INTO zone_polygone (offre_id, geom, geom_l93)
                    SELECT %(id)s, g, ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Transform(g, 2154)), 3))
                      FROM u WHERE g IS NOT NULL AND NOT ST_IsEmpty(g)
                    RETURNING offre_id
                    """,
                    {"id": offre_id, "g": [json.dumps(g) for g in geoms]},
                ).fetchone()
        except psycopg.Error as exc:
            self.report.warn(ref, f"Zone polygonale refusée par PostGIS ({exc.diag.message_primary}) : ignorée.")
            return
        if row is None:
            self.report.warn(ref, "Zone polygonale vide après correction de la géométrie : ignorée.")
            return
        self.report.counts["polygones"] += 1


def _updated(resource: dict[str, Any]) -> str:
    meta = resource.get("meta") if isinstance(resource.get("meta"), dict) else {}
    return str(meta.get("lastUpdated") or "")


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


__all__ = ["load_fhir"]
