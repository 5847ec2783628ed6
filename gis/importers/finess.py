"""Load a FINESS extraction « etalab-cs1100507 » into ``etablissement`` and ``entite_juridique``.

The extraction is the one of the établissements géolocalisés.

Layout (``data/finess/README.md``): line 1 is a manifest ``finess;etalab;<n>;<YYYY-MM-DD>`` (the date
is the extraction date, used as ``source_date``); then ``structureet`` lines (32 fields incl. the
section tag and the trailing ``numuai``), then ``geolocalisation`` lines joined on ``nofinesset``.
Separator ``;``, fields may be double-quoted with doubled quotes. Encoding: UTF-8 when the bytes
decode as UTF-8, else Windows-1252 / latin-1. Old files have ``;`` instead of ``,`` inside
``sourcecoordet``: we take fields 2–4 (FINESS, X, Y) and the last field (date); the projection is the
last token of what lies between.

Projections (EPSG codes checked against pyproj's CRS database): LAMBERT_93 → 2154 (RGF93 /
Lambert-93), UTM_N20 → 5490 (RGAF09 / UTM 20N, Guadeloupe, Martinique), UTM_N22 → 2972 (RGFG95 /
UTM 22N, Guyane), UTM_S40 → 2975 (RGR92 / UTM 40S, Réunion), UTM_S38 → 4471 (RGM04 / UTM 38S,
Mayotte), UTM_N21 → 4467 (RGSPM06 / UTM 21N, Saint-Pierre-et-Miquelon).

INSEE code of the commune: ``departement`` + ``commune`` in metropolitan France; overseas FINESS
départements 9A…9F are 971…976 and their communes are ``97`` + the 3-character code (9A/101 → 97101).
Paris (75056): the arrondissement is taken from the postcode (75013 → 75113, 75116 → 75116); a
CEDEX postcode leaves 75056.

Rows of départements not loaded in ``geo_departement`` (or not in ``departements``) are counted as
``hors_perimetre``, not rejected. A file that is not a FINESS extraction raises (nothing written).
"""

from __future__ import annotations

import csv
import re
from datetime import date
from functools import cache
from pathlib import Path

from pyproj import Transformer

from gis.db import Conn
from gis.errors import InvalidInput
from gis.identifiers import is_finess
from gis.import_runs import shown_path
from gis.importers.etablissements.cleaning import clean_phone, split_cp_ville
from gis.importers.etablissements.record import EtabRecord, upsert_etablissements
from gis.importers.geocoding import locate_etablissements
from gis.importers.report import ImportReport, run_import

SOURCE = "finess"
#: Tables a FINESS load writes (analysed at the end of the load).
TABLES = ("etablissement", "entite_juridique")
SOURCE_LABEL = "FINESS – extraction etalab cs1100507"
PROJECTIONS: dict[str, int] = {
    "LAMBERT_93": 2154,
    "UTM_N20": 5490,
    "UTM_N22": 2972,
    "UTM_S40": 2975,
    "UTM_S38": 4471,
    "UTM_N21": 4467,
}
OVERSEAS_DEPARTEMENTS = {"9A": "971", "9B": "972", "9C": "973", "9D": "974", "9E": "975", "9F": "976"}
# Where a point may lie (lat min, lat max, lon min, lon max): metropolitan France and each overseas area.
FRANCE_AREAS = (
    (41.0, 51.5, -5.5, 10.0),      # France métropolitaine et Corse
    (14.3, 18.2, -63.2, -60.7),    # Guadeloupe, Martinique, Saint-Martin, Saint-Barthélemy
    (2.0, 6.0, -54.7, -51.5),      # Guyane
    (-21.5, -20.8, 55.1, 56.0),    # La Réunion
    (-13.1, -12.5, 44.9, 45.4),    # Mayotte
    (46.7, 47.2, -56.5, -56.0),    # Saint-Pierre-et-Miquelon
)
_MANIFEST = re.compile(r"^finess;etalab;\d+;(\d{4}-\d{2}-\d{2})\s*;?\s*$")
STRUCTURE_FIELDS = 31  # without numuai (older files); 32 with it


@cache
def transformer(epsg: int) -> Transformer:
    """Return the cached transformer from ``epsg`` to WGS84 (lon, lat order)."""
    return Transformer.from_crs(epsg, 4326, always_xy=True)


def departement_insee(finess_departement: str) -> str:
    """FINESS département code → INSEE département code ('9A' → '971', '75' → '75')."""
    return OVERSEAS_DEPARTEMENTS.get(finess_departement, finess_departement)


def commune_insee(finess_departement: str, commune: str, postcode: str | None) -> str | None:
    """INSEE commune code from the FINESS département and commune fields (see module docstring)."""
    if not re.fullmatch(r"[0-9A-Z]{3}", commune or ""):
        return None
    if finess_departement in OVERSEAS_DEPARTEMENTS:
        return "97" + commune
    code = finess_departement + commune
    if code == "75056" and postcode and re.fullmatch(r"750(0[1-9]|1[0-9]|20)|75116", postcode):
        return "75116" if postcode == "75116" else "751" + postcode[3:]
    return code


def _in_france(lat: float, lon: float) -> bool:
    return any(a[0] <= lat <= a[1] and a[2] <= lon <= a[3] for a in FRANCE_AREAS)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            return raw.decode("latin-1")


def parse_extraction(text: str, name: str) -> tuple[date, list[tuple[str, list[str]]]]:
    """Return (extraction date, [(reference, fields)]) of a FINESS file.

    Raises InvalidInput when the file is not a FINESS extraction.
    """
    lines = text.splitlines()
    m = _MANIFEST.match(lines[0]) if lines else None
    if not m:
        raise InvalidInput(
            f"{name} n'est pas une extraction FINESS etalab : première ligne inattendue "
            f"({(lines[0][:80] if lines else 'fichier vide')!r}, attendu « finess;etalab;<n>;<date> »)."
        )
    try:
        extraction = date.fromisoformat(m.group(1))
    except ValueError as exc:
        raise InvalidInput(f"{name} : date d'extraction invalide ({m.group(1)}).") from exc
    rows = []
    for lineno, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        fields = next(csv.reader([line], delimiter=";", quotechar='"', doublequote=True))
        rows.append((f"{name}:{lineno}", fields))
    if not any(f and f[0] == "structureet" for _ref, f in rows):
        raise InvalidInput(f"{name} : aucune ligne « structureet », ce n'est pas une extraction FINESS.")
    return extraction, rows


def _geolocation(fields: list[str]) -> tuple[str, str, str, str, str]:
    """(finess, x, y, projection, source text) of a geolocalisation line, old or new style."""
    finess, x, y = fields[1].strip(), fields[2].strip(), fields[3].strip()
    source = ",".join(fields[4:-1])
    projection = source.split(",")[-1].strip() if source else ""
    return finess, x, y, projection, source


def load_finess(conn: Conn, path: Path, *, departements: set[str] | None = None) -> ImportReport:
    """Load a cs1100507 extraction (see the module docstring) and place the loaded établissements.

    Parameters
    ----------
    conn
        Open connection.
    path
        The extraction file.
    departements
        INSEE département codes to keep ('75', '971'…); default: those loaded in ``geo_departement``.

    Returns
    -------
    ImportReport
        Counts: ``lignes_structure``, ``lignes_geolocalisation``, ``charges``, ``hors_perimetre``,
        ``sans_coordonnees``, ``rejetes``, ``alertes``, ``geocodage.*``.
    """
    path = Path(path)

    def load_rows(report: ImportReport) -> None:
        if not path.is_file():
            raise InvalidInput(f"Fichier FINESS introuvable : {shown_path(path)}")
        extraction, rows = parse_extraction(_decode(path.read_bytes()), path.name)
        report.counts["date_extraction"] = int(extraction.strftime("%Y%m%d"))
        keep = departements
        if keep is None:
            keep = {r["code"] for r in conn.execute("SELECT code FROM geo_departement")}
        keep = {departement_insee(d) for d in keep}
        structures, geoloc = _sections(rows, keep, extraction, report)
        _geolocate(structures, geoloc, report)
        report.counts["sans_coordonnees"] = sum(1 for r in structures.values() if r.lat is None)
        ids = upsert_etablissements(conn, list(structures.values()))
        report.counts["charges"] = len(ids)
        for key, value in locate_etablissements(conn, ids).items():
            report.counts[f"geocodage.{key}"] = value

    return run_import(conn, "finess", shown_path(path), load_rows, tables=TABLES)


def _sections(
    rows: list[tuple[str, list[str]]], keep: set[str], extraction: date, report: ImportReport
) -> tuple[dict[str, EtabRecord], dict[str, tuple[str, list[str]]]]:
    """Return the records of the kept ``structureet`` lines, and the ``geolocalisation`` lines by FINESS."""
    structures: dict[str, EtabRecord] = {}
    geoloc: dict[str, tuple[str, list[str]]] = {}
    for ref, f in rows:
        tag = f[0] if f else ""
        if tag == "structureet":
            report.counts["lignes_structure"] += 1
            rec = _structure(ref, f, keep, extraction, report)
            if rec is None:
                continue
            if rec.finess in structures:
                report.reject(ref, f"FINESS {rec.finess} en double dans le fichier")
                continue
            structures[rec.finess] = rec
        elif tag == "geolocalisation":
            report.counts["lignes_geolocalisation"] += 1
            if len(f) < 6:
                report.reject(ref, f"ligne de géolocalisation illisible : {len(f)} champs")
                continue
            geoloc[f[1].strip()] = (ref, f)
        else:
            report.reject(ref, f"ligne illisible : section inconnue {tag[:30]!r}")
    return structures, geoloc


def _structure(ref: str, f: list[str], keep: set[str], extraction: date, report: ImportReport) -> EtabRecord | None:
    """Record of one ``structureet`` line; None when rejected or out of the perimeter (counted)."""
    if len(f) not in (STRUCTURE_FIELDS, STRUCTURE_FIELDS + 1):
        report.reject(ref, f"ligne illisible : {len(f)} champs au lieu de 32")
        return None
    finess = f[1].strip()
    if not is_finess(finess):
        report.reject(ref, f"numéro FINESS ET mal formé ({finess!r})")
        return None
    dep = f[13].strip()
    if departement_insee(dep) not in keep:
        report.counts["hors_perimetre"] += 1
        return None
    nom = (f[4] or f[3]).strip()
    if not nom:
        report.reject(ref, f"FINESS {finess} : raison sociale absente")
        return None
    cp, ville = split_cp_ville(f[15])
    ej = f[2].strip()
    if ej and not is_finess(ej):
        report.warn(ref, f"FINESS {finess} : numéro FINESS EJ mal formé ({ej!r}), ignoré")
        ej = ""
    categorie = f[18].strip()
    try:
        ouverture = date.fromisoformat(f[28].strip()) if f[28].strip() else None
    except ValueError:
        ouverture = None
        report.warn(ref, f"FINESS {finess} : date d'ouverture illisible ({f[28]!r})")
    return EtabRecord(
        finess=finess, nom=nom, source=SOURCE, source_label=SOURCE_LABEL, source_date=extraction, ref=ref,
        finess_ej=ej or None, categorie=categorie if re.fullmatch(r"\d{3}", categorie) else None,
        adresse=" ".join(x.strip() for x in (f[7], f[8], f[9], f[10]) if x.strip()) or None,
        code_postal=cp, ville=ville, commune_declaree=commune_insee(dep, f[12].strip(), cp),
        telephone=clean_phone(f[16]), date_ouverture=ouverture,
    )


def _geolocate(
    structures: dict[str, EtabRecord], geoloc: dict[str, tuple[str, list[str]]], report: ImportReport
) -> None:
    """Set the WGS84 point of the records from their ``geolocalisation`` line (rejections reported)."""
    for finess, (ref, f) in geoloc.items():
        rec = structures.get(finess)
        if rec is None:
            continue  # établissement out of perimeter or rejected
        _finess, x, y, projection, source = _geolocation(f)
        epsg = PROJECTIONS.get(projection)
        if epsg is None:
            report.reject(ref, f"FINESS {finess} : projection inconnue ({projection!r}), coordonnées ignorées")
            continue
        try:
            lon, lat = transformer(epsg).transform(float(x), float(y))
        except ValueError:
            report.reject(ref, f"FINESS {finess} : coordonnées illisibles ({x!r}, {y!r})")
            continue
        if not _in_france(lat, lon):
            report.reject(
                ref, f"FINESS {finess} : coordonnées hors de France ({x}, {y} {projection} → "
                f"lat {lat:.5f}, lon {lon:.5f}), coordonnées ignorées"
            )
            continue
        rec.lat, rec.lon = lat, lon
        rec.geocodage_source = f"finess:{source}"
