"""Load the real Île-de-France establishment lists (``data/establishments``, ``data/hopitaux-eurostat``)
into ``etablissement`` / ``entite_juridique``.

One declarative ``SourceSpec`` per source (file, format, encoding, vintage, column → field mapping,
category rule, IDF filter) and one generic reader. Rows are keyed on the FINESS ET:

- the newest vintage wins for every field it has, older values are kept where it has none (the rule
  is applied in SQL, ``upsert_etablissements``, so it also holds against rows loaded earlier, e.g. by
  the FINESS importer);
- ``provenance`` lists every source that described the établissement (source, libellé, vintage, row);
- re-running gives the same rows (provenance entries are replaced, not appended twice).

Vintages: Région IDF files and the centres de santé = FINESS extraction of 2013-05-15; Eurostat =
its ``ref_date`` 2020-03-06; CNSA annuaire = 2021-01-01 (undated; prices in the same export range
2017-02 → 2020-11, so the data describe the situation at the turn of 2020/2021: we take the first day
of 2021, later than Eurostat and earlier than the IME list); IME list = 2021-12-31 (FINESS export
containing openings up to 2021).

Coordinates: every source here is an IDF list, so a point outside the IDF box (lat 48.1–49.25,
lon 1.4–3.6) is an error of the source. When latitude/longitude are outside France but swapped they
fall in IDF, they are swapped back (warning). Otherwise the point is dropped with a warning and the
établissement is still loaded: the IME 950002220 (Jacques Maraux, Andilly) at latitude 50.99 keeps
the position given by the 2013 list (older source, but the only plausible point).
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import psycopg

from gis.errors import InvalidInput
from gis.importers.geocoding import locate_etablissements
from gis.importers.report import ImportReport, run_import
from gis.progress import Progress, silent
from gis.text import normalize

IDF_DEPARTEMENTS = frozenset({"75", "77", "78", "91", "92", "93", "94", "95"})
IDF_BBOX = (48.1, 49.25, 1.4, 3.6)  # lat min, lat max, lon min, lon max
FRANCE_BBOX = (41.0, 51.5, -5.5, 10.0)  # metropolitan France
FINESS_RE = re.compile(r"^[0-9][0-9A-Z][0-9]{7}$")
_CP_VILLE = re.compile(r"^\s*(\d{5})\s+(.*?)\s*$")
_CEDEX = re.compile(r"\s+CEDEX(\s+\d+)?\s*$", re.IGNORECASE)
# Values a spreadsheet turned into dates: "03-mai", "sept.-21", "déc.-14".
_MANGLED = re.compile(r"^(\d{1,2}-[^\W\d]+\.?|[^\W\d]+\.?-\d{1,2})$", re.UNICODE)


# --------------------------------------------------------------------------------------------------
# Declarative source description


@dataclass(frozen=True)
class CategoryRule:
    """How a source gives the TRE_R66 category: ``column`` (a code column), ``constant``,
    ``flags`` (first true flag column of ``flags``), ``label`` (FINESS label matched against the
    ``categorie_eg`` nomenclature with ``gis.text.normalize``)."""

    kind: str
    column: str | None = None
    code: str | None = None
    flags: tuple[tuple[str, str | None], ...] = ()


@dataclass(frozen=True)
class SourceSpec:
    name: str                    # stored in etablissement.source / provenance
    label: str                   # French, for reports
    path: str                    # relative to the data folder
    format: str                  # 'csv' or 'geojson'
    vintage: date
    columns: Mapping[str, str]   # source column → field
    category: CategoryRule
    delimiter: str = ","
    encoding: str = "utf-8"
    idf_column: str | None = None  # keep rows whose value (first 2 chars) is an IDF département
    skip_empty_finess: bool = False  # summary lines without FINESS are skipped, not rejected


_REGION_COMMON = {
    "FINESS_ET": "finess", "FINESS_EJ": "finess_ej", "RAISON_SOCIALE": "nom",
    "RAISON_SOCIALE_ENTITE_JURIDIQUE": "ej_nom", "ADRESSE_COMPLETE": "adresse",
    "ADRESSE_ADMINISTRATIVE_1": "adresse_secours", "CP_VILLE": "cp_ville", "NUM_TEL": "telephone",
    "NUM_CAT": "categorie", "DATE_OUVERTURE": "date_ouverture",
}
_REGION_DATE = date(2013, 5, 15)

SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec(
        name="idf_hopitaux_2013", label="Région IDF 2013 – établissements hospitaliers",
        path="establishments/region-idf-finess-2013/les_etablissements_hospitaliers_franciliens.csv",
        format="csv", delimiter=";", encoding="utf-8-sig", vintage=_REGION_DATE,
        columns={**_REGION_COMMON, "lat": "lat", "lng": "lon"},
        category=CategoryRule("column", column="NUM_CAT"),
    ),
    SourceSpec(
        name="idf_handicap_adultes_2013", label="Région IDF 2013 – adultes handicapés",
        path="establishments/region-idf-finess-2013/etablissements_et_services_pour_adultes_handicapes.csv",
        format="csv", delimiter=";", encoding="utf-8-sig", vintage=_REGION_DATE,
        columns={**_REGION_COMMON, "LAT": "lat", "LNG": "lon"},
        category=CategoryRule("column", column="NUM_CAT"),
    ),
    SourceSpec(
        name="idf_handicap_enfants_2013", label="Région IDF 2013 – enfance et jeunesse handicapées",
        path="establishments/region-idf-finess-2013/"
        "etablissements_et_services_pour_l_enfance_et_la_jeunesse_handicapee.csv",
        format="csv", delimiter=";", encoding="utf-8-sig", vintage=_REGION_DATE,
        columns={**_REGION_COMMON, "LAT": "lat", "LNG": "lon"},
        category=CategoryRule("column", column="NUM_CAT"),
    ),
    SourceSpec(
        name="idf_centres_sante_2013", label="Région IDF 2013 – centres de soins (Paris)",
        path="establishments/region-idf-finess-2013/centres_de_soins_en_ile-de-france.geojson",
        format="geojson", vintage=_REGION_DATE,
        columns={
            "finess_et": "finess", "finess_ej": "finess_ej", "raison_sociale": "nom",
            "raison_sociale_entite_juridique": "ej_nom", "adresse_complete": "adresse",
            "cp_ville": "cp_ville", "num_tel": "telephone", "num_cat": "categorie",
            "date_ouverture": "date_ouverture", "geometry.lat": "lat", "geometry.lon": "lon",
        },
        category=CategoryRule("column", column="num_cat"),
    ),
    SourceSpec(
        name="eurostat_hopitaux", label="Eurostat GISCO – hôpitaux (FINESS 03/2020)",
        path="hopitaux-eurostat/FR.csv", format="csv", vintage=date(2020, 3, 6),
        columns={
            "id": "finess", "hospital_name": "nom", "street": "voie", "house_number": "numero_voie",
            "postcode": "code_postal", "city": "ville", "tel": "telephone", "lat": "lat", "lon": "lon",
        },
        category=CategoryRule("label", column="facility_type"),
        idf_column="postcode",
    ),
    SourceSpec(
        name="cnsa_annuaire_pa", label="CNSA – annuaire des établissements pour personnes âgées",
        path="establishments/cnsa-annuaire-pa/dataset_to_use.csv", format="csv", vintage=date(2021, 1, 1),
        columns={
            "noFinesset": "finess", "title": "nom", "coordinates.street": "adresse",
            "coordinates.postcode": "code_postal", "coordinates.city": "ville",
            "coordinates.phone": "telephone", "coordinates.gestionnaire": "gestionnaire",
            "coordinates.latitude": "lat", "coordinates.longitude": "lon",
        },
        # TRE_R66: 500 EHPAD, 362 établissement de soins longue durée, 202 résidence autonomie,
        # 207 centre de jour pour personnes âgées (accueil de jour autonome). EHPA can be 501 or 502
        # (with or without health-insurance funding): not decidable from the annuaire → NULL + warning.
        category=CategoryRule(
            "flags",
            flags=(("IsEHPAD", "500"), ("IsESLD", "362"), ("IsRA", "202"), ("IsAJA", "207"), ("IsEHPA", None)),
        ),
        idf_column="coordinates.deptcode",
    ),
    SourceSpec(
        name="ime_idf_2021", label="IME d'Île-de-France (export FINESS 2021)",
        path="establishments/ime-idf/ime-idf-geocod-tri.csv", format="csv", vintage=date(2021, 12, 31),
        columns={
            "Numéro_FINESS": "finess", "FINESS_Orga": "finess_ej", "RS_Orga": "ej_nom",
            "Raison_Sociale": "nom", "latitude": "lat", "longitude": "lon",
        },
        category=CategoryRule("constant", code="183"),
        skip_empty_finess=True,
    ),
)


# --------------------------------------------------------------------------------------------------
# Records and the upsert shared with the FINESS importer


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
    extra: dict[str, Any] = field(default_factory=dict)

    def provenance(self) -> dict[str, Any]:
        return {"source": self.source, "libelle": self.source_label,
                "date": self.source_date.isoformat(), "ref": self.ref}


_MERGED_FIELDS = ("finess_ej", "nom", "categorie", "adresse", "code_postal", "ville", "commune_declaree",
                  "telephone", "date_ouverture")
_NEWER = "(t.source_date IS NULL OR excluded.source_date >= t.source_date)"
_TAKE_GEOM = (f"(excluded.geom IS NOT NULL AND (t.geom IS NULL OR t.geocodage_qualite IS DISTINCT FROM 'source' "
              f"OR {_NEWER}))")
_UPSERT = f"""
INSERT INTO etablissement AS t
       (finess, {", ".join(_MERGED_FIELDS)}, geom, geocodage_source, geocodage_qualite,
        source, source_date, provenance, updated_at)
VALUES (%(finess)s, {", ".join(f"%({f})s" for f in _MERGED_FIELDS)},
        CASE WHEN %(lon)s::float8 IS NULL THEN NULL
             ELSE ST_SetSRID(ST_MakePoint(%(lon)s::float8, %(lat)s::float8), 4326) END,
        %(geocodage_source)s, %(geocodage_qualite)s, %(source)s, %(source_date)s, %(provenance)s::jsonb, now())
ON CONFLICT (finess) DO UPDATE SET
    {", ".join(f"{f} = CASE WHEN {_NEWER} THEN COALESCE(excluded.{f}, t.{f}) ELSE COALESCE(t.{f}, excluded.{f}) END"
               for f in _MERGED_FIELDS)},
    geom = CASE WHEN {_TAKE_GEOM} THEN excluded.geom ELSE t.geom END,
    geocodage_source = CASE WHEN {_TAKE_GEOM} THEN excluded.geocodage_source ELSE t.geocodage_source END,
    geocodage_qualite = CASE WHEN {_TAKE_GEOM} THEN excluded.geocodage_qualite ELSE t.geocodage_qualite END,
    source = CASE WHEN {_NEWER} THEN excluded.source ELSE t.source END,
    source_date = GREATEST(t.source_date, excluded.source_date),
    provenance = (SELECT COALESCE(jsonb_agg(p), '[]'::jsonb) FROM jsonb_array_elements(t.provenance) p
                   WHERE NOT excluded.provenance @> jsonb_build_array(p)) || excluded.provenance,
    updated_at = now()
"""  # noqa: S608 - fixed column names, values bound


def upsert_etablissements(conn: psycopg.Connection, records: list[EtabRecord]) -> list[int]:
    """Insert or merge ``records`` (newest source wins field by field) and their entités juridiques;
    returns the ids of the établissements touched."""
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
            _UPSERT,
            [
                {
                    **{f: getattr(r, f) for f in _MERGED_FIELDS},
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


# --------------------------------------------------------------------------------------------------
# Field cleaning (pure functions)


def clean_finess(value: Any) -> str | None:
    """FINESS number as 9 characters: integers and float-formatted values are zero-padded
    (centres de santé are JSON integers, Eurostat dropped leading zeros). None when empty."""
    if value is None:
        return None
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    if text.isdigit() and 7 <= len(text) < 9:
        text = text.zfill(9)
    return text or None


def clean_postcode(value: Any) -> str | None:
    """'75017.0' → '75017', '1600.0' → '01600'."""
    if value is None:
        return None
    text = str(value).strip()
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    if text.isdigit() and len(text) == 4:
        text = text.zfill(5)
    return text if re.fullmatch(r"\d{5}", text) else None


def split_cp_ville(value: str | None) -> tuple[str | None, str | None]:
    """'95800 CERGY' → ('95800', 'CERGY'); '75738 PARIS CEDEX 15' → ('75738', 'PARIS')."""
    if not value:
        return None, None
    m = _CP_VILLE.match(value)
    if not m:
        return None, value.strip() or None
    ville = _CEDEX.sub("", m.group(2)).strip()
    return m.group(1), ville or None


def clean_phone(value: Any) -> str | None:
    """Digits only; a French number whose leading zero was dropped (9 digits) gets it back."""
    if value is None:
        return None
    digits = re.sub(r"\D", "", str(value))
    if len(digits) == 9 and not digits.startswith("0"):
        digits = "0" + digits
    return digits or None


def is_mangled(value: str) -> bool:
    """True for an address sub-field turned into a date by a spreadsheet ('03-mai', 'sept.-21')."""
    return bool(_MANGLED.match(value.strip()))


def _in_box(lat: float, lon: float, box: tuple[float, float, float, float]) -> bool:
    return box[0] <= lat <= box[1] and box[2] <= lon <= box[3]


def _float(value: Any) -> float | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        return float(str(value).replace(",", "."))
    except ValueError:
        return None


# --------------------------------------------------------------------------------------------------
# Generic reader


def read_rows(spec: SourceSpec, data_dir: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(reference, raw row) of a source file; GeoJSON rows get ``geometry.lon``/``geometry.lat``."""
    path = Path(data_dir) / spec.path
    if not path.is_file():
        raise InvalidInput(f"Fichier source introuvable : {path}")
    if spec.format == "csv":
        with path.open(encoding=spec.encoding, newline="") as f:
            reader = csv.DictReader(f, delimiter=spec.delimiter)
            missing = [c for c in spec.columns if c not in (reader.fieldnames or [])]
            if missing:
                raise InvalidInput(f"{path.name} : colonnes absentes : {', '.join(missing)}")
            for row in reader:
                yield f"{path.name}:{reader.line_num}", row
    elif spec.format == "geojson":
        with path.open(encoding=spec.encoding) as f:
            doc = json.load(f)
        if doc.get("type") != "FeatureCollection":
            raise InvalidInput(f"{path.name} n'est pas une FeatureCollection GeoJSON.")
        for i, feat in enumerate(doc["features"]):
            row = dict(feat.get("properties") or {})
            geom = feat.get("geometry") or {}
            if geom.get("type") == "Point":
                row["geometry.lon"], row["geometry.lat"] = geom["coordinates"][:2]
            yield f"{path.name}#feature{i}", row
    else:  # pragma: no cover - specs are static
        raise ValueError(spec.format)


def _category_index(conn: psycopg.Connection) -> dict[str, str | None]:
    """normalised label → TRE_R66 code (None when a label is ambiguous)."""
    index: dict[str, str | None] = {}
    for r in conn.execute("SELECT code, label, extra FROM nomenclature WHERE name = 'categorie_eg'"):
        for text in {r["label"], r["extra"].get("label_ror_jdv_j55"), r["extra"].get("label_2026")}:
            if not text:
                continue
            key = normalize(text)
            index[key] = r["code"] if index.get(key, r["code"]) == r["code"] else None
    return index


def _category(spec: SourceSpec, row: dict[str, Any], index: dict[str, str | None]) -> tuple[str | None, str | None]:
    """(TRE_R66 code, warning)."""
    rule = spec.category
    if rule.kind == "constant":
        return rule.code, None
    if rule.kind == "column":
        raw = str(row.get(rule.column) or "").strip()
        if raw.isdigit():
            return raw.zfill(3), None
        return None, f"catégorie absente ou invalide ({raw!r})"
    if rule.kind == "flags":
        for flag, code in rule.flags:
            if str(row.get(flag)).strip() == "True":
                if code is None:
                    return None, f"catégorie non déterminable pour {flag} (TRE_R66 501 ou 502) : laissée vide"
                return code, None
        return None, "aucun type d'établissement indiqué : catégorie laissée vide"
    if rule.kind == "label":
        raw = str(row.get(rule.column) or "").strip()
        code = index.get(normalize(raw)) if raw else None
        if code:
            return code, None
        return None, f"catégorie « {raw} » introuvable dans la nomenclature TRE_R66 : laissée vide"
    raise ValueError(rule.kind)  # pragma: no cover


def _parse_date(value: Any, vintage: date) -> tuple[date | None, str | None]:
    text = str(value or "").strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None, None
    try:
        d = date.fromisoformat(text)
    except ValueError:
        return None, f"date d'ouverture invalide ({text})"
    if d.year > vintage.year + 1:  # 20th-century dates read as 2061/2062 by a spreadsheet
        fixed = d.replace(year=d.year - 100)
        return fixed, f"date d'ouverture {text} postérieure au millésime, lue {fixed.isoformat()} (siècle corrigé)"
    return d, None


def to_record(
    spec: SourceSpec, ref: str, row: dict[str, Any], index: dict[str, str | None], report: ImportReport
) -> EtabRecord | None:
    """Map one raw row to a record (None when rejected; reasons go to ``report``)."""
    f: dict[str, Any] = {}
    for column, name in spec.columns.items():
        value = row.get(column)
        if isinstance(value, str):
            value = value.strip()
        f[name] = value if value not in ("", None) else None
    finess = clean_finess(f.get("finess"))
    warn: Callable[[str], None] = lambda motif: report.warn(f"{ref} FINESS {finess}", motif)  # noqa: E731
    if not finess or not FINESS_RE.match(finess):
        report.reject(ref, f"numéro FINESS ET invalide ({f.get('finess')!r})")
        return None
    nom = f.get("nom")
    if not nom:
        report.reject(ref, f"FINESS {finess} : raison sociale absente")
        return None
    rec = EtabRecord(finess=finess, nom=str(nom), source=spec.name, source_label=spec.label,
                     source_date=spec.vintage, ref=ref)
    ej = clean_finess(f.get("finess_ej"))
    if ej and FINESS_RE.match(ej):
        rec.finess_ej, rec.ej_nom = ej, f.get("ej_nom")
    elif ej:
        warn(f"numéro FINESS EJ invalide ({ej!r}) : ignoré")
    if f.get("gestionnaire"):
        rec.extra["gestionnaire"] = f["gestionnaire"]

    rec.categorie, motif = _category(spec, row, index)
    if motif:
        warn(motif)

    adresse = f.get("adresse")
    if not adresse and f.get("adresse_secours") and not is_mangled(str(f["adresse_secours"])):
        adresse = f["adresse_secours"]
    if not adresse and f.get("voie"):
        adresse = " ".join(str(x) for x in (f.get("numero_voie"), f["voie"]) if x)
    rec.adresse = adresse
    if f.get("cp_ville"):
        rec.code_postal, rec.ville = split_cp_ville(str(f["cp_ville"]))
    if f.get("code_postal"):
        rec.code_postal = clean_postcode(f["code_postal"])
        if rec.code_postal is None:
            warn(f"code postal illisible ({f['code_postal']!r})")
    if f.get("ville"):
        rec.ville = _CEDEX.sub("", str(f["ville"])).strip()
    rec.telephone = clean_phone(f.get("telephone"))
    rec.date_ouverture, motif = _parse_date(f.get("date_ouverture"), spec.vintage)
    if motif:
        warn(motif)

    lat, lon = _float(f.get("lat")), _float(f.get("lon"))
    if lat is not None and lon is not None:
        if not _in_box(lat, lon, FRANCE_BBOX) and _in_box(lon, lat, IDF_BBOX):
            warn(f"latitude et longitude inversées dans la source ({lat}, {lon}) : coordonnées rétablies")
            lat, lon = lon, lat
        if _in_box(lat, lon, IDF_BBOX):
            rec.lat, rec.lon = lat, lon
        else:
            warn(f"coordonnées hors d'Île-de-France (lat {lat}, lon {lon}) : position ignorée")
    elif f.get("lat") or f.get("lon"):
        warn(f"coordonnées illisibles ({f.get('lat')!r}, {f.get('lon')!r})")
    return rec


# --------------------------------------------------------------------------------------------------
# The importer


def load_establishments(
    conn: psycopg.Connection, data_dir: Path, progress: Progress | None = None
) -> ImportReport:
    """Load every source of ``SOURCES`` (oldest vintage first), merge by FINESS ET, then place the
    loaded établissements (``locate_etablissements``).

    Counts per source, keys ``<source>.<count>``: ``lus`` (rows in the IDF perimeter with a FINESS
    column filled), ``charges``, ``doublons`` (FINESS already described by an earlier row of this run),
    ``rejetes``, ``alertes``, ``hors_perimetre``, ``ignores`` (summary lines). Also ``finess_distincts``
    and the geocoding counts ``geocodage.*``.
    """
    progress = progress or silent()
    data_dir = Path(data_dir)

    def work(report: ImportReport) -> None:
        index = _category_index(conn)
        seen: set[str] = set()
        all_ids: set[int] = set()
        for spec in sorted(SOURCES, key=lambda s: s.vintage):
            progress.step(f"lecture de {spec.label}")
            c: Counter = Counter()
            records: list[EtabRecord] = []
            for ref, row in read_rows(spec, data_dir):
                if spec.idf_column and str(row.get(spec.idf_column) or "").strip()[:2] not in IDF_DEPARTEMENTS:
                    c["hors_perimetre"] += 1
                    continue
                finess_raw = row.get(next(k for k, v in spec.columns.items() if v == "finess"))
                if spec.skip_empty_finess and str(finess_raw or "").strip() == "":
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
            all_ids.update(upsert_etablissements(conn, records))
            for key in ("lus", "charges", "doublons", "rejetes", "alertes", "hors_perimetre", "ignores"):
                report.counts[f"{spec.name}.{key}"] = c[key]
        report.counts["finess_distincts"] = len(seen)
        progress.step("géolocalisation (point dans polygone)")
        for key, value in locate_etablissements(conn, sorted(all_ids)).items():
            report.counts[f"geocodage.{key}"] = value

    return run_import(conn, "establishments", str(data_dir), work)
