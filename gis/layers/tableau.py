"""Spreadsheet → communes: read a planner's CSV/XLSX, find its code and value columns, match the
codes to communes (one SQL query), classify the values.

Matching rules (in this order, for each distinct code as written):

1. current INSEE code (COG 2026, Paris arrondissements included);
2. 5-digit postcode: if it serves exactly one commune (or one Paris arrondissement, not the
   whole city) the row goes to that commune; if it serves several, the row is **not assigned**
   and is reported as ambiguous with the list of communes — assigning the value to all of them
   would count it several times (beds, places, amounts…), and splitting it would be arbitrary;
3. former / delegated / associated code (``geo_commune_alias``) → the current commune.

Postcodes come before former codes (same order as the communes search API): "75016" in a
2026 spreadsheet is Paris 16e, not the pre-1968 code of Cachan.

A numeric code that lost its leading zero (``1053``, ``1053.0`` from Excel) is padded to five
characters first. Two rows landing on the same commune: the first is kept, the others are reported.
Every row that is not mapped is reported with the code as written and a French reason.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

import psycopg

from gis.errors import InvalidInput
from gis.text import strip_accents

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 200

INSEE_RE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
_LOOSE_CODE_RE = re.compile(r"^(?:\d{4,5}|2[AB]\d{3})$")

METHODS: dict[str, str] = {
    "quantiles": "Quantiles (effectifs égaux)",
    "seuils-naturels": "Seuils naturels (Jenks)",
    "amplitudes-egales": "Amplitudes égales",
}
_METHOD_ALIASES = {"quantiles": "quantiles", "naturalbreaks": "seuils-naturels", "jenks": "seuils-naturels",
                   "seuilsnaturels": "seuils-naturels", "equalinterval": "amplitudes-egales",
                   "amplitudesegales": "amplitudes-egales"}

_CODE_HEADERS = ("code_insee", "insee", "codgeo", "code_geo", "codegeo", "code_commune", "codecommune",
                 "code_com", "codecom", "com", "depcom", "cog", "insee_com", "code_insee_commune",
                 "code_commune_insee", "codeinsee", "cod_com", "code")
_POSTCODE_HEADERS = ("code_postal", "codepostal", "cp", "postcode")
_VALUE_HEADERS = ("valeur", "value", "val", "nombre", "nb", "total", "effectif", "taux", "montant", "indicateur")
_MISSING = {"", "na", "n/a", "nan", "nd", "n.d.", "-", "–", "—", "s", "ns", "secret", "null", "none"}


# --- Reading ----------------------------------------------------------------------------------------
@dataclass
class Sheet:
    """A table read from a file: headers, data rows (cells as str/float/int/None), row numbers."""

    headers: list[str]
    rows: list[list[Any]]
    row_numbers: list[int]  # file line (CSV) or row (XLSX) number of each data row
    format_label: str


def _norm_header(text: Any) -> str:
    return re.sub(r"[^a-z0-9]+", "_", strip_accents(str(text or "")).lower()).strip("_")


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "UTF-16"
    if b"\x00" in data[:8192]:
        raise InvalidInput("Fichier illisible : ce n'est ni un CSV ni un classeur Excel .xlsx "
                           "(contenu binaire).")
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        raise InvalidInput("Fichier illisible : encodage non reconnu (attendu : UTF-8 ou Windows-1252).") from None


def _read_csv(data: bytes) -> Sheet:
    text, encoding = _decode(data)
    controls = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\r\n\t")
    if controls > max(3, len(text[:20000]) // 100):
        raise InvalidInput("Fichier illisible : ce n'est ni un CSV ni un classeur Excel .xlsx "
                           "(caractères de contrôle).")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise InvalidInput("Le fichier est vide.")
    header_line = lines[0]
    counts = {d: header_line.count(d) for d in (";", "\t", ",")}
    delimiter = max(counts, key=lambda d: counts[d])
    if counts[delimiter] == 0:
        delimiter = ";"
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[list[Any]] = []
    try:
        for row in reader:
            if len(rows) > MAX_ROWS:
                raise InvalidInput(f"Trop de lignes : au plus {MAX_ROWS:,} lignes.".replace(",", "\u202f"))
            rows.append([c.strip() for c in row[:MAX_COLUMNS]])
    except csv.Error as exc:
        raise InvalidInput(f"Fichier CSV mal formé : {exc}.") from None
    names = {";": "point-virgule", "\t": "tabulation", ",": "virgule"}
    return _to_sheet(rows, f"CSV, séparateur {names[delimiter]}, encodage {encoding}")


def _read_xlsx(data: bytes) -> Sheet:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError) as exc:
        raise InvalidInput("Classeur Excel illisible ou endommagé : enregistrez-le à nouveau au format .xlsx "
                           "ou exportez-le en CSV.") from exc
    except Exception as exc:  # openpyxl raises many kinds of errors on corrupt workbooks
        raise InvalidInput("Classeur Excel illisible ou endommagé : enregistrez-le à nouveau au format .xlsx "
                           "ou exportez-le en CSV.") from exc
    try:
        ws = wb.worksheets[0] if wb.worksheets else None
        if ws is None:
            raise InvalidInput("Le classeur Excel ne contient aucune feuille.")
        rows: list[list[Any]] = []
        for values in ws.iter_rows(values_only=True):
            if len(rows) > MAX_ROWS:
                raise InvalidInput(f"Trop de lignes : au plus {MAX_ROWS} lignes.")
            rows.append([v.strip() if isinstance(v, str) else v for v in values[:MAX_COLUMNS]])
    except InvalidInput:
        raise
    except Exception as exc:
        raise InvalidInput("Classeur Excel illisible ou endommagé : enregistrez-le à nouveau au format .xlsx "
                           "ou exportez-le en CSV.") from exc
    finally:
        wb.close()
    return _to_sheet(rows, f"classeur Excel, feuille « {ws.title} »")


def _is_blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _to_sheet(raw: list[list[Any]], label: str) -> Sheet:
    # Keep file row numbers while dropping blank lines.
    numbered = [(i + 1, r) for i, r in enumerate(raw) if any(not _is_blank(v) for v in r)]
    if not numbered:
        raise InvalidInput("Le fichier est vide.")
    width = max(len(r) for _, r in numbered)
    header = numbered[0][1]
    header = list(header) + [None] * (width - len(header))
    data = [(n, list(r) + [None] * (width - len(r))) for n, r in numbered[1:]]
    has_header = not any(_looks_like_code(v) for v in header) or any(
        _norm_header(h) in _CODE_HEADERS + _POSTCODE_HEADERS for h in header)
    if not has_header:  # first line is data: name the columns A, B, C…
        data = numbered
        data = [(n, list(r) + [None] * (width - len(r))) for n, r in data]
        header = [None] * width
    headers = [str(h).strip() if not _is_blank(h) else f"Colonne {_letter(i)}" for i, h in enumerate(header)]
    sheet = Sheet(headers, [r for _, r in data], [n for n, _ in data], label)
    if not sheet.rows:
        raise InvalidInput("Le fichier ne contient que la ligne d'en-tête : aucune ligne de données.")
    return sheet


def _letter(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def read_sheet(data: bytes, filename: str | None = None) -> Sheet:
    """Read an uploaded CSV or XLSX file; raise InvalidInput with a French message if unreadable."""
    if not data or not data.strip():
        raise InvalidInput("Le fichier est vide.")
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"Fichier trop volumineux (au plus {MAX_BYTES // (1024 * 1024)} Mo).")
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InvalidInput("Format Excel 97-2003 (.xls) non pris en charge : enregistrez le classeur au "
                           "format .xlsx ou exportez-le en CSV.")
    if data.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        raise InvalidInput("Fichier illisible : ce n'est ni un CSV ni un classeur Excel .xlsx.")
    if (filename or "").lower().endswith((".xlsx", ".xlsm")):
        raise InvalidInput("Classeur Excel illisible ou endommagé : enregistrez-le à nouveau au format .xlsx "
                           "ou exportez-le en CSV.")
    return _read_csv(data)


# --- Values and codes -------------------------------------------------------------------------------
def parse_number(value: Any) -> float | None:
    """A number from a cell: ``12,5``, ``1 234,5``, ``1.234,5``, ``12.5``, Excel floats; None if not one."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return None if isinstance(value, float) and (math.isnan(value) or math.isinf(value)) else float(value)
    text = str(value).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("'", "")
    text = text.replace("\u2212", "-")
    if not text:
        return None
    if "," in text and "." in text:
        decimal_comma = text.rfind(",") > text.rfind(".")
        text = text.replace(".", "").replace(",", ".") if decimal_comma else text.replace(",", "")
    elif "," in text:
        text = text.replace(",", ".") if text.count(",") == 1 else text.replace(",", "")
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
        return None
    number = float(text)
    return None if math.isinf(number) or math.isnan(number) else number


def code_text(value: Any) -> str:
    """The code as written (for reports)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def normalize_code(value: Any) -> tuple[str | None, str | None, bool]:
    """``(code, problem, padded)``: a 5-character candidate code (``padded`` if a leading zero was
    restored), or a French reason why there is none."""
    text = code_text(value).upper().replace(" ", "").replace("\u00a0", "")
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    if not text:
        return None, "code vide", False
    padded = bool(re.fullmatch(r"\d{4}", text))
    if padded:
        text = "0" + text
    if INSEE_RE.match(text):
        return text, None, padded
    return None, "code mal formé (attendu : 5 caractères, ex. 93066)", False


def _looks_like_code(v: Any) -> bool:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return float(v).is_integer() and 1000 <= v <= 99999
    return bool(v) and isinstance(v, str) and bool(_LOOSE_CODE_RE.match(v.strip().upper()))


def _column_index(sheet: Sheet, wanted: str, what: str) -> int:
    w = wanted.strip()
    norm = _norm_header(w)
    for i, h in enumerate(sheet.headers):
        if h.strip() == w or _norm_header(h) == norm:
            return i
    if re.fullmatch(r"[A-Za-z]{1,2}", w):
        for i in range(len(sheet.headers)):
            if _letter(i) == w.upper():
                return i
    available = ", ".join(f"« {h} »" for h in sheet.headers[:20])
    raise InvalidInput(f"Colonne {what} « {w[:50]} » introuvable. Colonnes du fichier : {available}.")


def detect_columns(sheet: Sheet, code_column: str | None = None, value_column: str | None = None) -> tuple[int, int]:
    """Indexes of the code and value columns (given by name/letter, else detected)."""
    n = len(sheet.headers)
    sample = sheet.rows[:500]

    def share(i: int, test) -> float:
        values = [r[i] for r in sample if not _is_blank(r[i])]
        return sum(1 for v in values if test(v)) / len(values) if values else 0.0

    if code_column and code_column.strip():
        code_idx = _column_index(sheet, code_column, "du code commune")
    else:
        normed = [_norm_header(h) for h in sheet.headers]
        code_idx = -1
        for names in (_CODE_HEADERS, _POSTCODE_HEADERS):
            for name in names:
                if name in normed and share(normed.index(name), _looks_like_code) >= 0.3:
                    code_idx = normed.index(name)
                    break
            if code_idx >= 0:
                break
        if code_idx < 0:
            for i, h in enumerate(normed):
                if "insee" in h and share(i, _looks_like_code) >= 0.3:
                    code_idx = i
                    break
        if code_idx < 0:
            scores = [share(i, _looks_like_code) for i in range(n)]
            best = max(range(n), key=lambda i: scores[i])
            if scores[best] >= 0.6:
                code_idx = best
        if code_idx < 0:
            raise InvalidInput("Aucune colonne de code commune trouvée (en-tête attendu : code_insee, insee, "
                               "codgeo, code commune… ou des codes à 5 chiffres). Indiquez la colonne à utiliser.")
    if value_column and value_column.strip():
        value_idx = _column_index(sheet, value_column, "de la valeur")
        if value_idx == code_idx:
            raise InvalidInput("La colonne de la valeur doit être différente de la colonne du code.")
    else:
        candidates = [i for i in range(n) if i != code_idx and share(i, lambda v: parse_number(v) is not None) >= 0.6]
        if not candidates:
            raise InvalidInput("Aucune colonne de valeurs numériques trouvée. Indiquez la colonne à utiliser.")
        normed = [_norm_header(h) for h in sheet.headers]
        named = [i for i in candidates if any(normed[i].startswith(v) for v in _VALUE_HEADERS)]
        not_codes = [i for i in candidates if share(i, _looks_like_code) < 0.6]
        value_idx = (named or not_codes or candidates)[0]
    return code_idx, value_idx


# --- Matching ---------------------------------------------------------------------------------------
_MATCH_SQL = """
WITH input AS (
    SELECT DISTINCT code FROM unnest(%(codes)s::text[]) AS t(code)
), postal AS MATERIALIZED (
    SELECT c.insee, c.parent_insee, cp FROM geo_commune c CROSS JOIN LATERAL unnest(c.codes_postaux) AS cp
), hits AS (
    SELECT i.code, c.insee, 0 AS rank, 'actuel' AS kind
      FROM input i JOIN geo_commune c ON c.insee = i.code
    UNION ALL
    SELECT i.code, a.insee, 2, a.kind
      FROM input i JOIN geo_commune_alias a ON a.code = i.code
    UNION ALL
    SELECT i.code, p.insee, 1, 'postal'
      FROM input i JOIN postal p ON p.cp = i.code
     WHERE NOT EXISTS (SELECT 1 FROM postal a WHERE a.parent_insee = p.insee AND a.cp = i.code)
), best AS (
    SELECT code, min(rank) AS rank FROM hits GROUP BY code
)
SELECT i.code, b.rank, min(h.kind) AS kind,
       array_agg(c.insee ORDER BY c.population DESC NULLS LAST, c.insee) FILTER (WHERE c.insee IS NOT NULL)
           AS insees,
       array_agg(c.nom ORDER BY c.population DESC NULLS LAST, c.insee) FILTER (WHERE c.insee IS NOT NULL)
           AS noms,
       EXISTS (SELECT 1 FROM geo_departement d WHERE d.code = left(i.code, 2)
                  OR d.code = left(i.code, 3)) AS departement_charge
  FROM input i
  LEFT JOIN best b ON b.code = i.code
  LEFT JOIN hits h ON h.code = i.code AND h.rank = b.rank
  LEFT JOIN geo_commune c ON c.insee = h.insee
 GROUP BY i.code, b.rank
"""

_GEOMETRY_SQL = """
SELECT c.insee, c.nom, c.departement, ST_AsGeoJSON(c.geom_simple, 5)::json AS geometry,
       ST_XMin(c.geom_simple) AS xmin, ST_YMin(c.geom_simple) AS ymin,
       ST_XMax(c.geom_simple) AS xmax, ST_YMax(c.geom_simple) AS ymax
  FROM geo_commune c
 WHERE c.insee = ANY (%(insees)s::text[])
"""

_ALIAS_LABELS = {"ancien": "ancien code INSEE", "deleguee": "code de commune déléguée",
                 "associee": "code de commune associée"}


def match_codes(conn: psycopg.Connection, codes: list[str]) -> dict[str, dict[str, Any]]:
    """For each distinct code: ``{"rank", "kind", "insees", "noms", "departement_charge"}`` (one query)."""
    if not codes:
        return {}
    rows = conn.execute(_MATCH_SQL, {"codes": sorted(set(codes))}).fetchall()
    return {r["code"]: r for r in rows}


def geometries(conn: psycopg.Connection, insees: list[str]) -> dict[str, dict[str, Any]]:
    """Simplified geometry (5 decimals) and bbox of the given communes."""
    if not insees:
        return {}
    rows = conn.execute(_GEOMETRY_SQL, {"insees": sorted(set(insees))}).fetchall()
    return {r["insee"]: r for r in rows}


# --- Classification ---------------------------------------------------------------------------------
def method_key(value: str | None) -> str:
    """Normalise a method name (French keys, or mapclassify names); InvalidInput if unknown."""
    key = _norm_header(value or "quantiles").replace("_", "")
    for k in METHODS:
        if k.replace("-", "") == key:
            return k
    if key in _METHOD_ALIASES:
        return _METHOD_ALIASES[key]
    raise InvalidInput("Méthode de discrétisation inconnue : quantiles, seuils-naturels ou amplitudes-egales.")


def classify(values: list[float], k: int, method: str) -> list[float]:
    """Upper bounds of the classes (ascending, last = max) computed with mapclassify."""
    import warnings

    import mapclassify
    import numpy as np

    if not values:
        return []
    distinct = sorted(set(values))
    k = max(1, min(int(k), 7, len(distinct)))
    if k == 1 or len(distinct) == 1:
        return [distinct[-1]]
    y = np.asarray(values, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "seuils-naturels":
            classifier = mapclassify.NaturalBreaks(y, k=k)
        elif method == "amplitudes-egales":
            classifier = mapclassify.EqualInterval(y, k=k)
        else:
            classifier = mapclassify.Quantiles(y, k=k)
    bins: list[float] = []
    for b in classifier.bins.tolist():
        if not bins or b > bins[-1]:
            bins.append(float(b))
    bins[-1] = max(bins[-1], distinct[-1])
    return bins


def _decimals(value: float) -> int:
    """Decimals needed to show ``value`` (0, 1 or 2)."""
    for d in (0, 1):
        if abs(value - round(value, d)) < 1e-9:
            return d
    return 2


# --- The whole analysis -----------------------------------------------------------------------------
@dataclass
class TableauResult:
    """Outcome of an upload: matched rows (one per commune), unmatched rows with reasons, geometry."""

    filename: str
    format_label: str
    code_column: str
    value_column: str
    rows_read: int
    matched: list[dict[str, Any]] = field(default_factory=list)
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    features: list[dict[str, Any]] = field(default_factory=list)
    bbox: list[float] | None = None
    bins: list[float] = field(default_factory=list)
    method: str = "quantiles"
    method_label: str = METHODS["quantiles"]
    zero_count: int = 0
    decimals: int = 0
    classes: list[dict[str, Any]] = field(default_factory=list)  # filled by the renderer (labels, colours)


def analyse(
    conn: psycopg.Connection,
    sheet: Sheet,
    *,
    filename: str = "fichier",
    code_column: str | None = None,
    value_column: str | None = None,
    k: int = 5,
    method: str = "quantiles",
) -> TableauResult:
    """Detect the columns, match every row, classify the values (zeros are set apart)."""
    method = method_key(method)
    code_idx, value_idx = detect_columns(sheet, code_column, value_column)
    result = TableauResult(filename=filename, format_label=sheet.format_label, code_column=sheet.headers[code_idx],
                           value_column=sheet.headers[value_idx], rows_read=len(sheet.rows), method=method,
                           method_label=METHODS[method])
    prepared = []
    for number, row in zip(sheet.row_numbers, sheet.rows, strict=True):
        raw_code, raw_value = row[code_idx], row[value_idx]
        code, problem, padded = normalize_code(raw_code)
        prepared.append((number, raw_code, raw_value, code, problem, padded))
    matches = match_codes(conn, [p[3] for p in prepared if p[3]])

    def reject(number: int, raw_code: Any, raw_value: Any, motif: str) -> None:
        result.unmatched.append({"ligne": number, "code_saisi": code_text(raw_code) or "(vide)",
                                 "valeur_saisie": code_text(raw_value) or "(vide)", "motif": motif})

    by_insee: dict[str, dict[str, Any]] = {}
    for number, raw_code, raw_value, code, problem, padded in prepared:
        if problem:
            reject(number, raw_code, raw_value, problem)
            continue
        m = matches.get(code)
        if m is None or m["rank"] is None:
            motif = "code inconnu" if m is None or m["departement_charge"] else (
                "code inconnu (commune hors Île-de-France ou code erroné)")
            reject(number, raw_code, raw_value, f"{code} : {motif}")
            continue
        insees, noms = m["insees"], m["noms"]
        if m["rank"] == 1 and len(insees) > 1:
            listed = ", ".join(noms[:6]) + (" …" if len(noms) > 6 else "")
            reject(number, raw_code, raw_value,
                   f"code postal {code} commun à {len(insees)} communes ({listed}) : valeur non affectée, "
                   "indiquez le code INSEE")
            continue
        value = parse_number(raw_value)
        if value is None:
            text = code_text(raw_value)
            if not text:
                motif = "valeur vide"
            elif text.lower() in _MISSING:
                motif = f"valeur manquante (« {text[:30]} »)"
            else:
                motif = f"valeur non numérique (« {text[:30]} »)"
            reject(number, raw_code, raw_value, motif)
            continue
        insee, nom = insees[0], noms[0]
        if m["rank"] == 0:
            how = "code INSEE"
        elif m["rank"] == 2:
            how = f"{_ALIAS_LABELS.get(m['kind'], 'ancien code')} → {nom}"
        else:
            how = "code postal (commune unique)"
        if padded:
            how += f" ; zéro initial restauré ({code})"
        if insee in by_insee:
            first = by_insee[insee]
            reject(number, raw_code, raw_value,
                   f"doublon : {nom} ({insee}) déjà renseignée ligne {first['ligne']} (première valeur conservée)")
            continue
        entry = {"ligne": number, "code_saisi": code_text(raw_code), "insee": insee, "nom": nom,
                 "correspondance": how, "valeur": value}
        by_insee[insee] = entry
        result.matched.append(entry)

    values = [e["valeur"] for e in result.matched]
    result.decimals = max((_decimals(v) for v in values), default=0)
    result.zero_count = sum(1 for v in values if v == 0)
    non_zero = [v for v in values if v != 0]
    result.bins = classify(non_zero, k, method)

    geoms = geometries(conn, list(by_insee))
    boxes = []
    for entry in result.matched:
        g = geoms.get(entry["insee"])
        if g is None or g["geometry"] is None:
            continue
        entry["departement"] = g["departement"]
        boxes.append((g["xmin"], g["ymin"], g["xmax"], g["ymax"]))
        result.features.append({"type": "Feature", "id": entry["insee"], "geometry": g["geometry"],
                                "properties": {"insee": entry["insee"], "nom": entry["nom"],
                                               "valeur": entry["valeur"]}})
    if boxes:
        result.bbox = [round(min(b[0] for b in boxes), 5), round(min(b[1] for b in boxes), 5),
                       round(max(b[2] for b in boxes), 5), round(max(b[3] for b in boxes), 5)]
    result.unmatched.sort(key=lambda r: r["ligne"])
    return result


__all__ = ["MAX_BYTES", "METHODS", "Sheet", "TableauResult", "analyse", "classify", "detect_columns",
           "geometries", "match_codes", "method_key", "normalize_code", "parse_number", "read_sheet"]
