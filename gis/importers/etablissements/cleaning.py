"""Field cleaning and the mapping of one raw source row to an :class:`EtabRecord`.

No database access except :func:`category_index`.

Coordinates: every source here is an IDF list, so a point outside the IDF box (lat 48.1–49.25,
lon 1.4–3.6) is an error of the source. When latitude/longitude are outside France but swapped they
fall in IDF, they are swapped back (warning). Otherwise the point is dropped with a warning and the
établissement is still loaded.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from gis.db import Conn
from gis.identifiers import is_finess
from gis.importers.etablissements.record import EtabRecord
from gis.importers.etablissements.sources import SourceSpec
from gis.importers.report import ImportReport
from gis.text import normalize

IDF_BBOX = (48.1, 49.25, 1.4, 3.6)  # lat min, lat max, lon min, lon max
FRANCE_BBOX = (41.0, 51.5, -5.5, 10.0)  # metropolitan France
_CP_VILLE = re.compile(r"^\s*(\d{5})\s+(.*?)\s*$")
_CEDEX = re.compile(r"\s+CEDEX(\s+\d+)?\s*$", re.IGNORECASE)
# Values a spreadsheet turned into dates: "03-mai", "sept.-21", "déc.-14".
_MANGLED = re.compile(r"^(\d{1,2}-[^\W\d]+\.?|[^\W\d]+\.?-\d{1,2})$", re.UNICODE)


def clean_finess(value: Any) -> str | None:
    """FINESS number as 9 characters (None when empty).

    Integers and float-formatted values are zero-padded (centres de santé are JSON integers,
    Eurostat dropped leading zeros).
    """
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
    """Return True for an address sub-field turned into a date by a spreadsheet ('03-mai', 'sept.-21')."""
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


def category_index(conn: Conn) -> dict[str, str | None]:
    """Normalised label → TRE_R66 code (None when a label is ambiguous)."""
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
        raw = str(row.get(rule.column or "") or "").strip()
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
        raw = str(row.get(rule.column or "") or "").strip()
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


def _fields(spec: SourceSpec, row: dict[str, Any]) -> dict[str, Any]:
    """Field → stripped value (None when empty) of one raw row, through the spec's column mapping."""
    f: dict[str, Any] = {}
    for column, name in spec.columns.items():
        value = row.get(column)
        if isinstance(value, str):
            value = value.strip()
        f[name] = value if value not in ("", None) else None
    return f


def to_record(
    spec: SourceSpec, ref: str, row: dict[str, Any], index: dict[str, str | None], report: ImportReport
) -> EtabRecord | None:
    """Map one raw row to a record.

    Parameters
    ----------
    spec
        The source the row comes from.
    ref
        Where the row is (``file.csv:12``), for the report.
    row
        The raw row.
    index
        Normalised category label → TRE_R66 code (:func:`category_index`).
    report
        Receives the rejection or the warnings (French).

    Returns
    -------
    EtabRecord or None
        None when the row is rejected (no valid FINESS, no name).
    """
    f = _fields(spec, row)
    finess = clean_finess(f.get("finess"))
    if not finess or not is_finess(finess):
        report.reject(ref, f"numéro FINESS ET invalide ({f.get('finess')!r})")
        return None
    if not f.get("nom"):
        report.reject(ref, f"FINESS {finess} : raison sociale absente")
        return None

    def warn(motif: str) -> None:
        report.warn(f"{ref} FINESS {finess}", motif)

    rec = EtabRecord(finess=finess, nom=str(f["nom"]), source=spec.name, source_label=spec.label,
                     source_date=spec.vintage, ref=ref)
    ej = clean_finess(f.get("finess_ej"))
    if ej and is_finess(ej):
        rec.finess_ej, rec.ej_nom = ej, f.get("ej_nom")
    elif ej:
        warn(f"numéro FINESS EJ invalide ({ej!r}) : ignoré")
    if f.get("gestionnaire"):
        rec.extra["gestionnaire"] = f["gestionnaire"]
    rec.categorie, motif = _category(spec, row, index)
    if motif:
        warn(motif)
    _address(rec, f, warn)
    rec.telephone = clean_phone(f.get("telephone"))
    rec.date_ouverture, motif = _parse_date(f.get("date_ouverture"), spec.vintage)
    if motif:
        warn(motif)
    _coordinates(rec, f, warn)
    _described(spec, rec, f, warn)
    return rec


def _described(spec: SourceSpec, rec: EtabRecord, f: dict[str, Any], warn: Callable[[str], None]) -> None:
    """Capacity, legal status and minimum price, with their provenance (sources with ``field_provenance``)."""
    if spec.field_provenance is None:
        return
    source, millesime = spec.field_provenance
    capacite = _float(f.get("capacite"))
    if capacite is not None and (capacite < 0 or capacite != int(capacite)):
        warn(f"capacité invalide ({f.get('capacite')!r}) : ignorée")
    elif capacite == 0:
        warn("capacité 0 dans la source : laissée vide")
    elif capacite is not None:
        rec.capacite = int(capacite)
    elif f.get("capacite"):
        warn(f"capacité illisible ({f.get('capacite')!r}) : ignorée")
    rec.statut_juridique = f.get("statut_juridique")
    prix = _float(f.get("prix_min"))
    if prix is not None and 0 < prix < 1_000_000:
        rec.prix_min = round(prix, 2)
    elif f.get("prix_min"):
        warn(f"prix minimum invalide ({f.get('prix_min')!r}) : ignoré")
    for name in ("capacite", "statut_juridique", "prix_min"):
        if getattr(rec, name) is not None:
            rec.provenance_champs[name] = {"source": source, "millesime": millesime}


def _address(rec: EtabRecord, f: dict[str, Any], warn: Callable[[str], None]) -> None:
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


def _coordinates(rec: EtabRecord, f: dict[str, Any], warn: Callable[[str], None]) -> None:
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
