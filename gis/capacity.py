"""Capacity lines of a ROR Location (``ror-location-supported-capacity``) and what is derived from them.

Pure functions, shared by the FHIR import (read) and the FHIR output (write back), so that a round trip gives the
same lines. A line is a dict with the keys of :data:`FIELDS` (missing sub-extensions are absent):

========================  ======================  ==========================================
sub-extension             key                     value
========================  ======================  ==========================================
nbCapacity                nombre                  integer
capacityUpdateDate        maj                     dateTime (text, as read)
capacityStatus            statut                  TRE_R330 (01 installé, 02 disponible, 06 supplémentaire…)
capacityType              type                    TRE_R329 (01 lit, 02 place)
temporalityCapacity       temporalite             TRE_R331 (01 courant…)
capacitySourceType        source                  TRE_R335
genderCapacityAvailable   genre                   TRE_R332
temporaryAssignement      affectation             TRE_R337
additionalBedType         type_supplementaire     TRE_R334
crisisType                type_crise              TRE_R336
========================  ======================  ==========================================

Derived (:func:`summary`): the **installed** capacity is the sum of the lines of status 01 (installé), the
**available** capacity (*Disponibilités*) the sum of the lines of status 02 (disponible, e.g. one line per gender),
each counting only current lines (temporalité 01 or none) outside any crisis plan or additional-bed type; the date
of each is the newest ``capacityUpdateDate`` of its lines; its nature is lit or place when all its lines agree.

An offer with a capacity but no place of its own (the units of the CNSA annuaire, an offer whose ROR Location is
unknown) is published with a *derived* Location ``offre-<id>-lieu`` (:func:`derived_location_id`): identifier
system :data:`DERIVED_LOCATION_SYSTEM`, lines stating its figures (:func:`offer_lines`) and where each comes from
(:func:`provenance_extensions`). The FHIR import recognises it (:func:`derived_offer`) and gives the figures back
to that offer without creating a place.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

NOS = "https://mos.esante.gouv.fr/NOS"
EXTENSION = "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition/ror-location-supported-capacity"

#: sub-extension name → (key of the line, NOS code system or None for a plain value)
FIELDS: dict[str, tuple[str, str | None]] = {
    "nbCapacity": ("nombre", None),
    "capacityUpdateDate": ("maj", None),
    "capacityStatus": ("statut", "TRE_R330-TypeStatutCapacite"),
    "capacityType": ("type", "TRE_R329-NatureCapacite"),
    "temporalityCapacity": ("temporalite", "TRE_R331-TemporaliteCapacite"),
    "capacitySourceType": ("source", "TRE_R335-TypeSourceCapacite"),
    "genderCapacityAvailable": ("genre", "TRE_R332-GenreCapacite"),
    "temporaryAssignement": ("affectation", "TRE_R337-AffectationTemporaire"),
    "additionalBedType": ("type_supplementaire", "TRE_R334-TypeLitSupplementaire"),
    "crisisType": ("type_crise", "TRE_R336-TypeCrise"),
}
INSTALLED, AVAILABLE = "01", "02"
NATURE = {"01": "lit", "02": "place"}


def _name(url: Any) -> str:
    return str(url or "").rstrip("/").rsplit("/", 1)[-1]


def _code(value: Any) -> str | None:
    """Code of a CodeableConcept / Coding / bare code."""
    if isinstance(value, dict):
        for coding in value.get("coding") or [value]:
            if isinstance(coding, dict) and coding.get("code") not in (None, ""):
                return str(coding["code"])
        return None
    return None if value in (None, "") else str(value)


def read_lines(location: dict[str, Any], warnings: list[str] | None = None) -> list[dict[str, Any]]:
    """Return the capacity lines of a Location resource, in order.

    Parameters
    ----------
    location
        The FHIR Location.
    warnings
        Receives a French warning for a line without a readable ``nbCapacity``.

    Returns
    -------
    list of dict
        One dict per ``ror-location-supported-capacity`` extension (keys of :data:`FIELDS`).
    """
    out: list[dict[str, Any]] = []
    for ext in location.get("extension") or []:
        if not isinstance(ext, dict) or _name(ext.get("url")) != "ror-location-supported-capacity":
            continue
        line: dict[str, Any] = {}
        for sub in ext.get("extension") or []:
            if not isinstance(sub, dict) or _name(sub.get("url")) not in FIELDS:
                continue
            key, system = FIELDS[_name(sub.get("url"))]
            value = next((v for k, v in sub.items() if k.startswith("value")), None)
            line[key] = _code(value) if system else value
        nombre = line.get("nombre")
        if not isinstance(nombre, int) or isinstance(nombre, bool) or nombre < 0:
            if warnings is not None:
                warnings.append(f"Capacité illisible (nbCapacity {nombre!r}) : ligne de capacité ignorée.")
            continue
        out.append(line)
    return out


def to_extensions(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the ``ror-location-supported-capacity`` extensions of capacity lines (inverse of :func:`read_lines`)."""
    out: list[dict[str, Any]] = []
    for line in lines:
        subs: list[dict[str, Any]] = []
        for name, (key, system) in FIELDS.items():
            if line.get(key) is None:
                continue
            if system is None:
                kind = "valueInteger" if key == "nombre" else "valueDateTime"
                subs.append({"url": name, kind: line[key]})
            else:
                url = f"{NOS}/{system}/FHIR/{system.replace('_', '-')}"
                subs.append({"url": name, "valueCodeableConcept": {"coding": [{"system": url, "code": line[key]}]}})
        out.append({"url": EXTENSION, "extension": subs})
    return out


def _instant(value: Any) -> datetime | None:
    """Return an aware datetime of a FHIR dateTime (a date alone is midnight UTC); None when unreadable."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _counted(line: dict[str, Any], status: str) -> bool:
    return (line.get("statut") == status and line.get("temporalite") in (None, "01")
            and line.get("type_crise") is None and line.get("type_supplementaire") is None)


def summary(lines: list[dict[str, Any]]) -> dict[str, Any]:
    """Return installed and available capacity with their dates and nature (see the module docstring).

    Parameters
    ----------
    lines
        Capacity lines (:func:`read_lines`).

    Returns
    -------
    dict
        ``capacite``, ``capacite_type`` (lit / place / None), ``capacite_maj``, ``capacite_disponible``,
        ``capacite_disponible_maj`` (aware datetimes); None where no line counts.
    """
    out: dict[str, Any] = {}
    for prefix, status in (("capacite", INSTALLED), ("capacite_disponible", AVAILABLE)):
        chosen = [ln for ln in lines if _counted(ln, status)]
        out[prefix] = sum(int(ln["nombre"]) for ln in chosen) if chosen else None
        dates = [d for ln in chosen if (d := _instant(ln.get("maj"))) is not None]
        out[f"{prefix}_maj"] = max(dates) if dates else None
        if status == INSTALLED:
            natures = {NATURE.get(str(ln.get("type"))) for ln in chosen}
            out["capacite_type"] = natures.pop() if len(natures) == 1 else None
    return out


# --------------------------------------------------------------------------- offers without a place

#: Identifier system of the Location ror-gis publishes for an offer that has a capacity but no place of its own
#: (value: the offer's logical id). Such a Location is *derived*: the FHIR import never stores it as a ``lieu``.
DERIVED_LOCATION_SYSTEM = "https://ror-gis.example/fhir/lieu-deduit-offre"
#: ror-gis extension on a Location: where a capacity figure comes from (sub-extensions ``champ``, ``source``,
#: ``millesime``, ``fictif``).
PROVENANCE_EXTENSION = "https://ror-gis.example/fhir/StructureDefinition/ror-gis-capacity-provenance"
_PROVENANCE_FIELDS = ("capacite", "capacite_disponible")


def derived_location_id(offer_id: str) -> str:
    """Return the logical id of the Location derived from an offer (``offre-<id>-lieu``)."""
    return f"offre-{offer_id}-lieu"


def derived_offer(location: dict[str, Any]) -> str | None:
    """Return the logical id of the offer a derived Location stands for (None for a real place)."""
    for ident in location.get("identifier") or []:
        if isinstance(ident, dict) and ident.get("system") == DERIVED_LOCATION_SYSTEM:
            value = ident.get("value")
            return value if isinstance(value, str) and value else None
    return None


def offer_lines(row: dict[str, Any]) -> list[dict[str, Any]]:
    """Return capacity lines stating an offer's installed and available capacity (inverse of :func:`summary`).

    Parameters
    ----------
    row
        ``capacite``, ``capacite_type`` (lit / place), ``capacite_maj``, ``capacite_disponible``,
        ``capacite_disponible_maj`` of the offer.

    Returns
    -------
    list of dict
        One current line of status 01 (installé) and one of status 02 (disponible) for the figures the offer has;
        the nature only on the installed line, a date only where the offer has one.
    """
    code_of = {nature: code for code, nature in NATURE.items()}
    lines: list[dict[str, Any]] = []
    for prefix, status in (("capacite", INSTALLED), ("capacite_disponible", AVAILABLE)):
        if row.get(prefix) is None:
            continue
        line: dict[str, Any] = {"nombre": int(row[prefix]), "statut": status, "temporalite": "01"}
        if status == INSTALLED and row.get("capacite_type") in code_of:
            line["type"] = code_of[row["capacite_type"]]
        moment = row.get(f"{prefix}_maj")
        if isinstance(moment, datetime):
            line["maj"] = moment.isoformat()
        lines.append(line)
    return lines


def provenance_extensions(provenance: dict[str, Any], fictive: bool = False) -> list[dict[str, Any]]:
    """Return the ``ror-gis-capacity-provenance`` extensions of an offer's ``provenance`` (capacity fields only).

    Parameters
    ----------
    provenance
        ``offre.provenance``: field → ``{source, millesime}``.
    fictive
        Whether the available places are fictitious (demonstration): said on the ``capacite_disponible`` entry.

    Returns
    -------
    list of dict
        One extension per capacity field with a known source.
    """
    out: list[dict[str, Any]] = []
    for name in _PROVENANCE_FIELDS:
        entry = provenance.get(name)
        if not isinstance(entry, dict) or not entry.get("source"):
            continue
        subs: list[dict[str, Any]] = [{"url": "champ", "valueCode": name},
                                      {"url": "source", "valueString": str(entry["source"])}]
        if entry.get("millesime"):
            subs.append({"url": "millesime", "valueString": str(entry["millesime"])})
        if name == "capacite_disponible" and fictive:
            subs.append({"url": "fictif", "valueBoolean": True})
        out.append({"url": PROVENANCE_EXTENSION, "extension": subs})
    return out


def read_provenance(location: dict[str, Any]) -> tuple[dict[str, dict[str, str]], bool]:
    """Return the capacity provenance a Location carries (inverse of :func:`provenance_extensions`).

    Parameters
    ----------
    location
        The FHIR Location.

    Returns
    -------
    tuple
        field → ``{source, millesime}``, and whether the available places are said fictitious.
    """
    out: dict[str, dict[str, str]] = {}
    fictive = False
    for ext in location.get("extension") or []:
        if not isinstance(ext, dict) or _name(ext.get("url")) != _name(PROVENANCE_EXTENSION):
            continue
        subs = {_name(s.get("url")): next((v for k, v in s.items() if k.startswith("value")), None)
                for s in ext.get("extension") or [] if isinstance(s, dict)}
        if subs.get("champ") in _PROVENANCE_FIELDS and isinstance(subs.get("source"), str):
            out[str(subs["champ"])] = {"source": str(subs["source"]), "millesime": str(subs.get("millesime") or "")}
            fictive = fictive or (subs["champ"] == "capacite_disponible" and subs.get("fictif") is True)
    return out, fictive
