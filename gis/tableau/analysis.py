"""The whole analysis of an upload: columns, matching of every row, classification, geometry.

Two rows landing on the same commune: the first is kept, the others are reported. Every row that is
not mapped is reported with the code as written and a French reason. Zeros are kept out of the
classes (drawn as "zones blanches").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.rows import DictRow

from gis.classify import METHODS, check_classes, classify, method_key
from gis.tableau.columns import detect_columns
from gis.tableau.matching import ALIAS_LABELS, geometries, match_codes
from gis.tableau.sheet import Sheet
from gis.tableau.values import MISSING, OUT_OF_RANGE, code_text, normalize_code, out_of_range, parse_number


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
    #: False when there were too many communes to inline their geometry (``features`` is then empty).
    geometry_inline: bool = True


def _decimals(value: float) -> int:
    """Decimals needed to show ``value`` (0, 1 or 2)."""
    for d in (0, 1):
        if abs(value - round(value, d)) < 1e-9:
            return d
    return 2


def _missing_value_reason(raw_value: Any) -> str:
    text = code_text(raw_value)
    if not text:
        return "valeur vide"
    if text.lower() in MISSING:
        return f"valeur manquante (« {text[:30]} »)"
    if out_of_range(raw_value):
        return f"{OUT_OF_RANGE} (« {text[:30]} »)"
    return f"valeur non numérique (« {text[:30]} »)"


def _how(m: dict[str, Any], nom: str, code: str, padded: bool) -> str:
    if m["rank"] == 0:
        how = "code INSEE"
    elif m["rank"] == 2:
        how = f"{ALIAS_LABELS.get(m['kind'], 'ancien code')} → {nom}"
    else:
        how = "code postal (commune unique)"
    return how + (f" ; zéro initial restauré ({code})" if padded else "")


def _match_row(code: str, padded: bool, raw_value: Any, m: dict[str, Any] | None) -> dict[str, Any] | str:
    """Return the matched entry of one row, or the French reason why it is not mapped."""
    if m is None or m["rank"] is None:
        motif = "code inconnu" if m is None or m["departement_charge"] else (
            "code inconnu (commune hors Île-de-France ou code erroné)")
        return f"{code} : {motif}"
    insees, noms = m["insees"], m["noms"]
    if m["rank"] == 1 and len(insees) > 1:
        listed = ", ".join(noms[:6]) + (" …" if len(noms) > 6 else "")
        return (f"code postal {code} commun à {len(insees)} communes ({listed}) : valeur non affectée, "
                "indiquez le code INSEE")
    value = parse_number(raw_value)
    if value is None:
        return _missing_value_reason(raw_value)
    return {"insee": insees[0], "nom": noms[0], "correspondance": _how(m, noms[0], code, padded), "valeur": value}


def _match_rows(conn: psycopg.Connection[DictRow], sheet: Sheet, code_idx: int, value_idx: int,
                result: TableauResult) -> None:
    normalized: dict[Any, tuple[str | None, str | None, bool]] = {}  # the same code is often repeated
    prepared = []
    for number, row in zip(sheet.row_numbers, sheet.rows, strict=True):
        raw = row[code_idx]
        key = (type(raw), raw)
        if key not in normalized:
            normalized[key] = normalize_code(raw)
        prepared.append((number, raw, row[value_idx], *normalized[key]))
    matches = match_codes(conn, [p[3] for p in prepared if p[3]])
    by_insee: dict[str, dict[str, Any]] = {}
    for number, raw_code, raw_value, code, problem, padded in prepared:
        outcome: dict[str, Any] | str = (
            _match_row(code, padded, raw_value, matches.get(code)) if code else problem or "code vide")
        if isinstance(outcome, dict) and outcome["insee"] in by_insee:
            first = by_insee[outcome["insee"]]
            outcome = (f"doublon : {outcome['nom']} ({outcome['insee']}) déjà renseignée ligne {first['ligne']} "
                       "(première valeur conservée)")
        if isinstance(outcome, str):
            result.unmatched.append({"ligne": number, "code_saisi": code_text(raw_code) or "(vide)",
                                     "valeur_saisie": code_text(raw_value) or "(vide)", "motif": outcome})
            continue
        entry = {"ligne": number, "code_saisi": code_text(raw_code), **outcome}
        by_insee[entry["insee"]] = entry
        result.matched.append(entry)
    result.unmatched.sort(key=lambda r: r["ligne"])


def _add_geometry(conn: psycopg.Connection[DictRow], result: TableauResult) -> None:
    geoms = geometries(conn, [e["insee"] for e in result.matched], with_geometry=result.geometry_inline)
    boxes = []
    for entry in result.matched:
        g = geoms.get(entry["insee"])
        if g is None or g["xmin"] is None:
            continue
        entry["departement"] = g["departement"]
        boxes.append((g["xmin"], g["ymin"], g["xmax"], g["ymax"]))
        if g["geometry"] is None:
            continue
        result.features.append({"type": "Feature", "id": entry["insee"], "geometry": g["geometry"],
                                "properties": {"insee": entry["insee"], "nom": entry["nom"],
                                               "valeur": entry["valeur"]}})
    if boxes:
        result.bbox = [round(min(b[0] for b in boxes), 5), round(min(b[1] for b in boxes), 5),
                       round(max(b[2] for b in boxes), 5), round(max(b[3] for b in boxes), 5)]


def analyse(
    conn: psycopg.Connection[DictRow],
    sheet: Sheet,
    *,
    filename: str = "fichier",
    code_column: str | None = None,
    value_column: str | None = None,
    k: int = 5,
    method: str = "quantiles",
    inline_max: int | None = None,
) -> TableauResult:
    """Detect the columns, match every row, classify the values (zeros set apart), add geometry.

    Parameters
    ----------
    conn : psycopg.Connection[DictRow]
        A connection with dict rows (two queries: matching, geometry).
    sheet : Sheet
        The table read by :func:`gis.tableau.read_sheet`.
    filename : str
        Shown on the page.
    code_column, value_column : str, optional
        Column names or letters chosen by the user; detected when None.
    k : int
        Number of classes, 3 to 7 (reduced to the number of distinct non-zero values).
    method : str
        Classification method (see :func:`gis.classify.method_key`).
    inline_max : int, optional
        Beyond this many matched communes, no geometry is returned (bounding box only): the page then draws
        them from vector tiles. None: always.

    Returns
    -------
    TableauResult

    Raises
    ------
    InvalidInput
        Bad number of classes or method, column not found or not detected (French messages).
    """
    k = check_classes(k)
    method = method_key(method)
    code_idx, value_idx = detect_columns(sheet, code_column, value_column)
    result = TableauResult(filename=filename, format_label=sheet.format_label, code_column=sheet.headers[code_idx],
                           value_column=sheet.headers[value_idx], rows_read=len(sheet.rows), method=method,
                           method_label=METHODS[method])
    _match_rows(conn, sheet, code_idx, value_idx, result)
    values = [e["valeur"] for e in result.matched]
    result.decimals = max((_decimals(v) for v in values), default=0)
    result.zero_count = sum(1 for v in values if v == 0)
    result.bins = classify([v for v in values if v != 0], k, method)
    result.geometry_inline = inline_max is None or len(result.matched) <= inline_max
    _add_geometry(conn, result)
    return result
