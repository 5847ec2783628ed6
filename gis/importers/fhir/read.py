"""Reading ROR FHIR input files and normalising real-world variations (no database access).

Inputs: a Bundle (any ``type``: collection, searchset, transaction, batch…; resources in
``entry[].resource``), an NDJSON file (one resource per line), a single resource JSON, or a directory
of such files. Everything here is pure: it returns plain data and reports problems through the
``ImportReport`` given (``reject`` for a line or entry that cannot be used, ``warn`` for a fixed one).

A file that is not JSON at all, or JSON that is not FHIR, raises ``InvalidInput``: the whole import
is then rolled back by ``run_import``.

Helpers match extensions by the LAST segment of their URL and code systems by their NOS name
(``TRE_R211`` / ``TRE-R211`` / ``JDV_J17``…), because real data mixes ``http``/``https`` and
``ig/fhir/ror`` / ``fhir/ig/ror30`` prefixes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from gis.errors import InvalidInput
from gis.identifiers import system_key
from gis.importers.report import ImportReport

FILE_SUFFIXES = (".json", ".ndjson", ".jsonl", ".fhir.json")
NDJSON_SUFFIXES = (".ndjson", ".jsonl")

_REFERENCE = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]*)?/?$")
_ID_RE = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")

# Fields that are arrays in FHIR R4 but that hand-written payloads give as one object.
_ARRAY_FIELDS: dict[str, tuple[str, ...]] = {
    "*": ("identifier", "extension", "modifierExtension", "telecom", "contained"),
    "HealthcareService": (
        "category", "type", "specialty", "characteristic", "location", "availableTime", "notAvailable",
        "coverageArea", "endpoint", "serviceProvisionCode", "program", "communication", "referralMethod",
    ),
    "Organization": ("type", "address", "alias", "contact", "endpoint"),
    "Location": ("type", "alias", "endpoint", "hoursOfOperation"),
}
# A value normalisation may fix: a string where a number or a boolean is expected, an object where ``extension``
# should be an array; or a key written with a \u escape, which the first two could not see.
_FIXABLE = re.compile(
    r'"(?:valueInteger|valuePositiveInt|valueUnsignedInt|valueDecimal|valueBoolean)"\s*:\s*"|"extension"\s*:\s*\{'
    r'|\\u[0-9a-fA-F]{4}[^"]*"\s*:')
_NUMERIC_VALUES = {"valueInteger": int, "valuePositiveInt": int, "valueUnsignedInt": int, "valueDecimal": float}


@dataclass
class Item:
    """One resource read from the input, with where it came from."""

    resource: dict[str, Any]
    ref: str                       # "file.json#entry[3]", "file.ndjson:12", "file.json"
    full_url: str | None = None
    request_url: str | None = None
    clean: bool = False            # its file has no value that normalisation would fix (see ``needs_fixing``)


# --------------------------------------------------------------------------- files


def list_files(paths: Iterable[Path]) -> list[Path]:
    """Expand directories (recursively, sorted); raise InvalidInput for a missing path."""
    files: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(FILE_SUFFIXES))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise InvalidInput(f"Fichier ou dossier introuvable : {path}")
    if not files:
        raise InvalidInput("Aucun fichier FHIR (.json, .ndjson) trouvé dans les chemins donnés.")
    return files


def read_items(files: list[Path], report: ImportReport) -> list[Item]:
    """Every resource of every file, in file order."""
    items: list[Item] = []
    for path in files:
        items.extend(_read_file(path, report))
    return items


def parse_json(text: str) -> Any:
    """Parse JSON with orjson, falling back to :func:`json.loads` (its errors, NaN, integers beyond 64 bits)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _read_file(path: Path, report: ImportReport) -> list[Item]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path.name} : fichier illisible (encodage UTF-8 attendu).") from exc
    name = path.name
    if name.lower().endswith(NDJSON_SUFFIXES):
        return _read_ndjson(name, text, report)
    try:
        data = parse_json(text)
    except json.JSONDecodeError as exc:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) > 1 and all(line.lstrip().startswith("{") for line in lines):
            return _read_ndjson(name, text, report)  # NDJSON saved with a .json name
        raise InvalidInput(
            f"{name} n'est pas un fichier JSON valide (ligne {exc.lineno}, colonne {exc.colno} : {exc.msg})."
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
        raise InvalidInput(f"{name} n'est pas une ressource FHIR : l'objet JSON n'a pas de « resourceType ».")
    clean = _FIXABLE.search(text) is None
    return [Item(i.resource, i.ref, i.full_url, i.request_url, clean)
            for i in _items_of(data, name, report, full_url=None, request_url=None)]


def _read_ndjson(name: str, text: str, report: ImportReport) -> list[Item]:
    items: list[Item] = []
    lines = bad = 0
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        lines += 1
        ref = f"{name}:{n}"
        try:
            data = parse_json(line)
        except json.JSONDecodeError as exc:
            report.reject(ref, f"Ligne JSON invalide ({exc.msg}, colonne {exc.colno}) : ligne ignorée.")
            bad += 1
            continue
        if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
            report.reject(ref, "Ligne sans « resourceType » : ce n'est pas une ressource FHIR, ligne ignorée.")
            bad += 1
            continue
        items.extend(_items_of(data, ref, report, full_url=None, request_url=None))
    if lines and bad == lines:
        raise InvalidInput(f"{name} : aucune ligne n'est une ressource FHIR valide, fichier refusé.")
    return items


def _items_of(
    data: dict[str, Any], ref: str, report: ImportReport, *, full_url: str | None, request_url: str | None
) -> Iterator[Item]:
    if data["resourceType"] != "Bundle":
        yield Item(data, ref, full_url, request_url)
        return
    entries = data.get("entry") or []
    if not isinstance(entries, list):
        raise InvalidInput(f"{ref} : Bundle.entry doit être un tableau.")
    report.counts["bundles"] += 1
    for i, entry in enumerate(entries):
        eref = f"{ref}#entry[{i}]"
        if not isinstance(entry, dict):
            report.reject(eref, "Entrée de Bundle qui n'est pas un objet JSON.")
            continue
        request: dict[str, Any] = entry["request"] if isinstance(entry.get("request"), dict) else {}
        method = str(request.get("method") or "").upper()
        search: dict[str, Any] = entry["search"] if isinstance(entry.get("search"), dict) else {}
        if method == "DELETE":
            report.counts["ignores"] += 1
            report.warn(eref, f"Suppression ({request.get('url')}) non prise en charge : entrée ignorée.")
            continue
        if search.get("mode") == "outcome":
            report.counts["ignores"] += 1
            continue
        resource = entry.get("resource")
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            report.reject(eref, "Entrée de Bundle sans ressource FHIR (resource.resourceType absent).")
            continue
        url = request.get("url") if method in ("PUT", "PATCH") else None
        yield from _items_of(resource, eref, report, full_url=entry.get("fullUrl"), request_url=url)


# --------------------------------------------------------------------------- normalisation


def normalize(resource: dict[str, Any], *, deep: bool = True) -> list[str]:
    """Fix, in place, the variations of hand-written payloads; return what was fixed (French).

    ``deep=False`` skips the walk through every value, for a resource whose file text has nothing it could fix.
    """
    notes: list[str] = []
    rtype = resource.get("resourceType", "")
    for fld in _ARRAY_FIELDS["*"] + _ARRAY_FIELDS.get(rtype, ()):
        value = resource.get(fld)
        if isinstance(value, dict | str):
            resource[fld] = [value]
            notes.append(f"{fld} (objet au lieu d'un tableau)")
    fixed: set[str] = set()
    if deep:
        _fix_values(resource, fixed)
    notes.extend(f"{key} (texte au lieu d'un nombre ou d'un booléen)" for key in sorted(fixed))
    return notes


def _fix_values(node: Any, fixed: set[str]) -> None:
    if isinstance(node, list):
        for child in node:
            if isinstance(child, dict | list):
                _fix_values(child, fixed)
        return
    if not isinstance(node, dict):
        return
    if isinstance(node.get("extension"), dict):
        node["extension"] = [node["extension"]]
        fixed.add("extension")
    for key, value in node.items():  # values are replaced, keys never added: iterating in place is safe
        if isinstance(value, str):
            if key in _NUMERIC_VALUES:
                try:
                    node[key] = _NUMERIC_VALUES[key](value.strip())
                    fixed.add(key)
                except ValueError:
                    pass
            elif key == "valueBoolean" and value.strip().lower() in ("true", "false"):
                node[key] = value.strip().lower() == "true"
                fixed.add(key)
        elif isinstance(value, dict | list):
            _fix_values(value, fixed)


def logical_id(item: Item) -> tuple[str | None, str | None]:
    """Return the FHIR logical id and, when it was not ``id``, where it came from (for a warning)."""
    res = item.resource
    rid = res.get("id")
    if isinstance(rid, str | int) and str(rid).strip():
        return str(rid).strip(), None
    for url, what in ((item.full_url, "fullUrl"), (item.request_url, "request.url")):
        if not url:
            continue
        if url.startswith("urn:uuid:") or url.startswith("urn:oid:"):
            return url.rsplit(":", 1)[-1], what
        parsed = parse_reference(url)
        if parsed and parsed[0] == res.get("resourceType"):
            return parsed[1], what
    for ident in as_list(res.get("identifier")):
        value = ident.get("value") if isinstance(ident, dict) else None
        if isinstance(value, str) and _ID_RE.match(value.replace("/", "-")):
            return value, "identifier"
    return None, None


def parse_reference(ref: str) -> tuple[str, str] | None:
    """("Organization", "123") from "Organization/123" or an absolute URL ending with it."""
    m = _REFERENCE.search(ref.strip())
    return (m.group(1), m.group(2)) if m else None


# --------------------------------------------------------------------------- generic helpers


def as_list(value: Any) -> list[Any]:
    """``value`` as a list (None → [], a single item → [item])."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def url_name(url: Any) -> str:
    """Last segment of an extension URL, lower-cased ("…/ror-commune-cog" -> "ror-commune-cog")."""
    return _url_name(url) if isinstance(url, str) else str(url or "").rstrip("/").rsplit("/", 1)[-1].lower()


@lru_cache(maxsize=4096)
def _url_name(url: str) -> str:
    """Last segment of one URL (cached: an import meets the same few dozen extension URLs again and again)."""
    return url.rstrip("/").rsplit("/", 1)[-1].lower()


def extensions(node: Any, *names: str) -> list[dict[str, Any]]:
    """Extensions of ``node`` whose URL's last segment is one of ``names`` (case-insensitive)."""
    if not isinstance(node, dict):
        return []
    wanted = {n.lower() for n in names}
    return [e for e in as_list(node.get("extension")) if isinstance(e, dict) and url_name(e.get("url")) in wanted]


def extensions_ending(node: Any, suffix: str) -> list[dict[str, Any]]:
    """Extensions of ``node`` whose URL's last segment ends with ``suffix`` (case-insensitive)."""
    if not isinstance(node, dict):
        return []
    suffix = suffix.lower()
    found = as_list(node.get("extension"))
    return [e for e in found if isinstance(e, dict) and url_name(e.get("url")).endswith(suffix)]


def value_of(ext: dict[str, Any]) -> Any:
    """Return the ``value[x]`` of an extension (None without one)."""
    for key, value in ext.items():
        if key.startswith("value"):
            return value
    return None


def codings(concept: Any) -> list[dict[str, Any]]:
    """Codings of a CodeableConcept, a list of them, or a bare Coding."""
    out: list[dict[str, Any]] = []
    for cc in as_list(concept):
        if not isinstance(cc, dict):
            continue
        if "coding" in cc:
            out.extend(c for c in as_list(cc["coding"]) if isinstance(c, dict))
        elif "code" in cc:
            out.append(cc)
    return out


def codes(concept: Any, keys: Iterable[str], *, bare: bool = True) -> list[str]:
    """Codes whose system is one of the NOS ``keys`` (e.g. {"R211", "J17"}).

    Codes without a recognisable system are accepted when ``bare``. Order kept, duplicates removed.
    """
    keyset = {k.upper() for k in keys}
    out: list[str] = []
    for c in codings(concept):
        code = c.get("code")
        if code is None or str(code).strip() == "":
            continue
        key = system_key(c.get("system"))
        if (key in keyset or (key is None and bare)) and str(code).strip() not in out:
            out.append(str(code).strip())
    return out


def first_code(concept: Any, keys: Iterable[str], *, bare: bool = True) -> str | None:
    """Return the first of :func:`codes`, or None."""
    found = codes(concept, keys, bare=bare)
    return found[0] if found else None


def any_key(concept: Any) -> set[str]:
    """NOS keys of every coding system of a concept."""
    return {k for c in codings(concept) if (k := system_key(c.get("system")))}
