"""Mapping ROR FHIR Organization and Location resources (modèle d'exposition 3.0) to table columns.

Pure functions: a resource dict in, a dict of column values and a list of French warnings out. The
NOS code-system keys used by every mapping are here; offers are mapped in
:mod:`gis.importers.fhir.offer_mapping`, zones in :mod:`gis.importers.fhir.zone_mapping`; the
database side is in :mod:`gis.importers.fhir.organisations`, ``locations``, ``offers`` and ``zones``.

Confidentiality levels fail closed (issue #9): a level that is not one of the known codes of
TRE_R283 (1 accès libre, 2 accès restreint, 3 accès très restreint; ``01``… accepted) is treated as
3 with a warning, so nothing unqualified reaches a public map.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from gis.identifiers import is_finess
from gis.importers.fhir.read import (
    any_key,
    as_list,
    codes,
    extensions,
    extensions_ending,
    first_code,
    value_of,
)

# NOS keys of the code systems (TRE) and ROR value sets (JDV) used by each field.
K_TYPE_OFFRE = {"R244", "J238", "J34"}
K_CHAMP = {"R227", "J20"}
K_ACTIVITE = {"R211", "J17"}
K_FAMILLE = {"R265", "R266", "J51"}
K_MODE_PEC = {"R213", "J19"}
K_PUBLIC = {"R239", "J29"}
K_MODALITE = {"R338", "J226"}
K_TEMPORALITE = {"R240", "J30"}
K_ACTE = {"R210", "J16"}
K_SPECIALISATION = {"R245", "J35"}
K_CATEGORIE_EG = {"R66", "J55"}
K_TYPE_OI = {"R207", "J203"}
K_STATUT_JURIDIQUE = {"R72", "J199"}
K_SOUS_ENSEMBLE_SJ = {"R69", "J200"}
K_TYPE_DIVISION = {"R201", "J223"}
K_CONFIDENTIALITE = {"R283", "J222"}
K_CANAL = {"R200", "J225"}
K_NATURE_CONTACT = {"R287", "J221"}
K_TYPE_HORAIRE = {"R252"}
K_COMMUNE = {"R13", "J124", "J230"}
K_DEPARTEMENT = {"G09", "J248"}
K_REGION = {"R30", "J237"}
K_TERRITOIRE_SANTE = {"J249", "R38"}
K_PAYS = {"R20", "J247"}
K_TYPE_IDENTIFIANT_STRUCTURE = {"G07"}
K_TYPE_IDENTIFIANT_AUTRE = {"R345"}

FICTIF_SYSTEM = "https://ror-gis.example/fictif"
ZONE_GEOMETRY_EXTENSION = "ror-gis-intervention-zone-geometry"

KNOWN_LEVELS = ("1", "2", "3")


# --------------------------------------------------------------------------- small parsers


def fhir_date(value: Any) -> date | None:
    """Return the date of a FHIR date or dateTime string (None when unreadable)."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def to_int(value: Any) -> int | None:
    """Return an integer from a number or a numeric string (None otherwise; booleans are not numbers)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value.strip().replace(",", ".")))
        except ValueError:
            return None
    return None


def to_float(value: Any) -> float | None:
    """Return a float from a number or a numeric string with ``.`` or ``,`` (None otherwise)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().replace(",", "."))
        except ValueError:
            return None
    return None


def text(value: Any) -> str | None:
    """Return a non-empty string with its whitespace collapsed (None otherwise)."""
    if isinstance(value, str) and value.strip():
        return " ".join(value.split())
    return None


def address_fields(address: Any) -> dict[str, Any]:
    """adresse, code_postal, ville and the INSEE code of a FHIR Address."""
    if not isinstance(address, dict):
        return {"adresse": None, "code_postal": None, "ville": None, "insee": None}
    lines = [text(x) for x in as_list(address.get("line"))]
    insee = None
    for ext in extensions_ending(address, "insee-code") + extensions(address, "inseeCode", "insee"):
        insee = first_code(value_of(ext), K_COMMUNE) or insee
    return {
        "adresse": ", ".join(x for x in lines if x) or text(address.get("text")),
        "code_postal": text(address.get("postalCode")),
        "ville": text(address.get("city")),
        "insee": insee,
    }


def lat_lon(latitude: Any, longitude: Any) -> tuple[float, float] | None:
    """(lat, lon) when both are numbers within WGS84 bounds, else None."""
    lat, lon = to_float(latitude), to_float(longitude)
    if lat is None or lon is None or not (-90 <= lat <= 90) or not (-180 <= lon <= 180):
        return None
    return lat, lon


# --------------------------------------------------------------------------- Organization


def finess_of(org: dict[str, Any]) -> str | None:
    """FINESS number from the identifiers: FINESS system or type, or an idNatSt '1' + FINESS."""
    for ident in as_list(org.get("identifier")):
        if not isinstance(ident, dict) or not isinstance(ident.get("value"), str):
            continue
        value: str = ident["value"].strip().upper()
        system = str(ident.get("system") or "").rstrip("/").lower()
        type_code = first_code(ident.get("type"), K_TYPE_IDENTIFIANT_STRUCTURE, bare=False)
        if system.endswith("finess.esante.gouv.fr") or type_code == "1":
            if is_finess(value):
                return value
        elif (
            (system == "urn:oid:1.2.250.1.71.4.2.2" or type_code == "40")
            and len(value) == 10
            and value[0] == "1"
            and is_finess(value[1:])
        ):
            return value[1:]
    return None


def identifier_systems(org: dict[str, Any]) -> set[str]:
    """Systems of the identifiers of a resource (trailing slash removed)."""
    return {str(i.get("system") or "").rstrip("/") for i in as_list(org.get("identifier")) if isinstance(i, dict)}


def is_fictitious(resource: dict[str, Any]) -> bool:
    """Whether the resource carries an identifier of the ror-gis fictitious-data system."""
    return FICTIF_SYSTEM in identifier_systems(resource)


def organization_kind(org: dict[str, Any], parent_kind: str | None) -> str | None:
    """'EJ', 'EG' or 'OI' from the type slices, then identifiers and partOf; None if undecidable."""
    keys = set()
    for t in as_list(org.get("type")):
        keys |= any_key(t)
    if keys & K_TYPE_OI:
        return "OI"
    if keys & K_CATEGORIE_EG:
        return "EG"
    if keys & (K_STATUT_JURIDIQUE | K_SOUS_ENSEMBLE_SJ):
        return "EJ"
    systems = {s.lower() for s in identifier_systems(org)}
    id_types = set()
    for ident in as_list(org.get("identifier")):
        if isinstance(ident, dict):
            id_types |= set(codes(ident.get("type"), K_TYPE_IDENTIFIANT_STRUCTURE | K_TYPE_IDENTIFIANT_AUTRE))
    if "https://oi.esante.gouv.fr" in systems or "42" in id_types:
        return "OI"
    has_parent = bool(org.get("partOf"))
    if parent_kind in ("EG", "OI"):
        return "OI"
    if "3" in id_types:  # SIRET: an establishment
        return "EG"
    if "2" in id_types:  # SIREN: a legal entity
        return "EJ"
    if finess_of(org):
        return "EG" if has_parent else "EJ"
    return None


def organization_fields(org: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Columns shared by EJ / EG / OI rows, and warnings."""
    warnings: list[str] = []
    address = next((a for a in as_list(org.get("address")) if isinstance(a, dict)), None)
    addr = address_fields(address)
    point = None
    for ext in extensions(address, "geolocation", "ror-organization-geolocation"):
        lat = next((value_of(e) for e in extensions(ext, "latitude")), None)
        lon = next((value_of(e) for e in extensions(ext, "longitude")), None)
        point = lat_lon(lat, lon)
        if point is None:
            warnings.append("Géolocalisation de l'adresse invalide (latitude/longitude) : ignorée.")
    type_codes = as_list(org.get("type"))
    telephone = None
    for contact in as_list(org.get("contact")):
        if not isinstance(contact, dict):
            continue
        level = level_of(contact, warnings)
        for tel in as_list(contact.get("telecom")):
            known = [lv for lv in (level, level_of(tel, warnings) if isinstance(tel, dict) else "3") if lv]
            public = isinstance(tel, dict) and max(known or ["3"]) == "1"
            if public and tel.get("system") == "phone" and text(tel.get("value")) and telephone is None:
                telephone = text(tel["value"])
    period = next((value_of(e) for e in extensions(org, "organization-period")), None)
    alias = next((text(a) for a in as_list(org.get("alias")) if text(a)), None)
    fields = {
        "nom": text(org.get("name")) or alias,
        "finess": finess_of(org),
        "categorie": first_code(type_codes, K_CATEGORIE_EG, bare=False),
        "type_oi": first_code(type_codes, K_TYPE_OI, bare=False),
        "statut_juridique": first_code(type_codes, K_STATUT_JURIDIQUE, bare=False)
        or first_code(type_codes, K_SOUS_ENSEMBLE_SJ, bare=False),
        "adresse": addr["adresse"],
        "code_postal": addr["code_postal"],
        "ville": addr["ville"],
        "commune_declaree": addr["insee"],
        "point": point,
        "telephone": telephone,
        "date_ouverture": fhir_date(period.get("start")) if isinstance(period, dict) else None,
        "source_date": fhir_date((org.get("meta") or {}).get("lastUpdated")),
        "fictif": is_fictitious(org),
    }
    return fields, warnings


# --------------------------------------------------------------------------- Location


def location_fields(loc: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Columns of ``lieu`` from a Location, and warnings."""
    warnings: list[str] = []
    position = loc.get("position") if isinstance(loc.get("position"), dict) else None
    point = None
    if position:
        point = lat_lon(position.get("latitude"), position.get("longitude"))
        if point is None:
            warnings.append("Position (latitude/longitude) invalide : ignorée.")
    cog = None
    for ext in extensions(loc, "ror-commune-cog"):
        cog = first_code(value_of(ext), K_COMMUNE) or cog
    address = loc.get("address") if isinstance(loc.get("address"), dict) else None
    addr = address_fields(address)
    status = loc.get("operationalStatus")
    statut = None
    if isinstance(status, dict):
        statut = text(status.get("code")) or text(status.get("display"))
    statut = statut or text(loc.get("status"))
    return {
        "nom": text(loc.get("name")),
        "adresse": addr["adresse"],
        "code_postal": addr["code_postal"],
        "ville": addr["ville"],
        "commune_cog": cog or addr["insee"],
        "point": point,
        "statut": statut,
    }, warnings


# --------------------------------------------------------------------------- confidentiality


def level_of(node: Any, warnings: list[str]) -> str | None:
    """Confidentiality level ('1', '2' or '3') of a contact or telecom node; None when it has none.

    Parameters
    ----------
    node
        A FHIR element that may carry a ``…confidentiality-level`` extension.
    warnings
        French warnings are appended here when the level is present but unknown or unreadable.

    Returns
    -------
    str or None
        The known level; ``'3'`` (accès très restreint) for an unknown code or an extension without
        a code (fail closed); None without any confidentiality extension.

    Examples
    --------
    >>> w = []; level_of({"extension": [{"url": "x/ror-confidentiality-level",
    ...     "valueCodeableConcept": {"coding": [{"code": "9"}]}}]}, w), len(w)
    ('3', 1)
    """
    found = extensions_ending(node, "confidentiality-level")
    if not found:
        return None
    for ext in found:
        code = first_code(value_of(ext), K_CONFIDENTIALITE)
        level = (code.lstrip("0") or code) if code else None
        if level in KNOWN_LEVELS:
            return level
        shown = f"« {code} »" if code else "absent"
        warnings.append(
            f"Niveau de confidentialité {shown} inconnu (1, 2 ou 3 attendu) : contact traité comme "
            "« accès très restreint »."
        )
    return "3"

