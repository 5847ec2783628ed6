"""Mapping ROR FHIR resources (modèle d'exposition 3.0) to the columns of the ROR tables.

Pure functions: a resource dict in, a dict of column values and a list of French warnings out. The
database side (upserts, references, communes, polygons) is in ``gis.importers.fhir``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import date
from typing import Any

from gis.importers.fhir_read import (
    any_key,
    as_list,
    codes,
    codings,
    extensions,
    extensions_ending,
    first_code,
    system_key,
    url_name,
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

_FINESS_RE = re.compile(r"^(?:\d{2}|2[AB])\d{7}$")
_DAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
_CHANNEL_OF_SYSTEM = {"phone": "2", "fax": "3", "email": "4", "url": "5"}


# --------------------------------------------------------------------------- small parsers


def fhir_date(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def to_int(value: Any) -> int | None:
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
        value = ident["value"].strip().upper()
        system = str(ident.get("system") or "").rstrip("/").lower()
        type_code = first_code(ident.get("type"), K_TYPE_IDENTIFIANT_STRUCTURE, bare=False)
        if system.endswith("finess.esante.gouv.fr") or type_code == "1":
            if _FINESS_RE.match(value):
                return value
        elif (
            (system == "urn:oid:1.2.250.1.71.4.2.2" or type_code == "40")
            and len(value) == 10
            and value[0] == "1"
            and _FINESS_RE.match(value[1:])
        ):
            return value[1:]
    return None


def identifier_systems(org: dict[str, Any]) -> set[str]:
    return {str(i.get("system") or "").rstrip("/") for i in as_list(org.get("identifier")) if isinstance(i, dict)}


def is_fictitious(resource: dict[str, Any]) -> bool:
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
        level = _level(contact)
        for tel in as_list(contact.get("telecom")):
            known = [lv for lv in (level, _level(tel) if isinstance(tel, dict) else "3") if lv]
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


# --------------------------------------------------------------------------- HealthcareService


def _level(node: dict[str, Any]) -> str | None:
    for ext in extensions_ending(node, "confidentiality-level"):
        code = first_code(value_of(ext), K_CONFIDENTIALITE)
        if code:
            return code.lstrip("0") or code
    return None


def contacts_of(hs: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """[{nature, canal, valeur, confidentialite}] and how many had no confidentiality level
    (those are stored as '3', très restreint, so that nothing unqualified reaches a public map)."""
    out: list[dict[str, Any]] = []
    unqualified = 0
    for contact in extensions(hs, "ror-healthcareservice-contact"):
        nature = None
        for sub in extensions(contact, "purposeContact"):
            nature = first_code(value_of(sub), K_NATURE_CONTACT) or nature
        name = next((text(value_of(s)) for s in extensions(contact, "name", "nameContact")), None)
        contact_level = _level(contact)
        for tel in extensions(contact, "ror-healthcareservice-contact-telecom"):
            valeur = next((text(value_of(s)) for s in extensions(tel, "telecomAddress")), None)
            if not valeur:
                continue
            canal = None
            for sub in extensions(tel, "ror-telecom-communication-channel"):
                canal = first_code(value_of(sub), K_CANAL) or canal
            levels = [lv for lv in (contact_level, _level(tel)) if lv]
            if not levels:
                unqualified += 1
            row = {"nature": nature, "canal": canal, "valeur": valeur, "confidentialite": max(levels or ["3"])}
            if name:
                row["nom"] = name
            out.append(row)
    for tel in as_list(hs.get("telecom")):
        if not isinstance(tel, dict) or not text(tel.get("value")):
            continue
        canal = None
        for sub in extensions(tel, "ror-telecom-communication-channel"):
            canal = first_code(value_of(sub), K_CANAL) or canal
        level = _level(tel)
        if not level:
            unqualified += 1
        out.append({
            "nature": "MSS" if str(tel.get("system")) == "email" else None,
            "canal": canal or _CHANNEL_OF_SYSTEM.get(str(tel.get("system"))),
            "valeur": text(tel["value"]),
            "confidentialite": level or "3",
        })
    return out, unqualified


def hours_of(hs: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for slot in as_list(hs.get("availableTime")):
        if not isinstance(slot, dict):
            continue
        days: list[int] = []
        for ext in extensions(slot, "ror-available-time-number-days-of-week"):
            day = to_int(value_of(ext))
            if day and 1 <= day <= 7:
                days.append(day)
        if not days:
            days = [_DAYS[d] for d in as_list(slot.get("daysOfWeek")) if d in _DAYS]
        kind = None
        for ext in extensions(slot, "ror-available-time-type-of-time"):
            kind = first_code(value_of(ext), K_TYPE_HORAIRE) or kind
        validity = extensions(slot, "ror-available-time-effective-opening-closing-date")
        period = next((value_of(e) for e in validity), None)
        period = period if isinstance(period, dict) else {}
        start, end = slot.get("availableStartTime"), slot.get("availableEndTime")
        for day in days or [None]:
            out.append({
                "jour": day,
                "debut": start[:5] if isinstance(start, str) else None,
                "fin": end[:5] if isinstance(end, str) else None,
                "toute_la_journee": bool(slot.get("allDay")),
                "type": kind,
                "debut_validite": period.get("start"),
                "fin_validite": period.get("end"),
            })
    out.sort(key=lambda h: (h["jour"] or 0, h["debut"] or "", h["type"] or ""))
    return out


def status_of(hs: dict[str, Any], today: date) -> dict[str, Any]:
    """statut ('ouverte' / 'fermee_temporairement' / 'fermee'), date_fermeture, date_reouverture."""
    closing = reopening = None
    for na in as_list(hs.get("notAvailable")):
        if not isinstance(na, dict) or not isinstance(na.get("during"), dict):
            continue
        if na.get("id") == "closingReopeningDate" or closing is None:
            closing = fhir_date(na["during"].get("start"))
            reopening = fhir_date(na["during"].get("end"))
    if hs.get("active") is False:
        statut = "fermee_temporairement" if reopening and reopening > today else "fermee"
    elif closing and closing <= today:
        if reopening is None:
            statut = "fermee"
        elif reopening > today:
            statut = "fermee_temporairement"
        else:
            statut = "ouverte"
    else:
        statut = "ouverte"
    return {"statut": statut, "date_fermeture": closing, "date_reouverture": reopening}


def ages_of(hs: dict[str, Any]) -> tuple[list[str], int | None, int | None]:
    publics: list[str] = []
    age_min = age_max = None
    for ext in extensions(hs, "ror-healthcareservice-patient-type"):
        for sub in extensions(ext, "supportedPatientInfo"):
            for code in codes(value_of(sub), K_PUBLIC):
                if code not in publics:
                    publics.append(code)
        for sub in extensions(ext, "ageRange"):
            rng = value_of(sub)
            if isinstance(rng, dict):
                age_min = _age(rng.get("low"))
                age_max = _age(rng.get("high"))
    return publics, age_min, age_max


def _age(quantity: Any) -> int | None:
    if not isinstance(quantity, dict):
        return to_int(quantity)
    value = to_float(quantity.get("value"))
    if value is None:
        return None
    unit = str(quantity.get("code") or quantity.get("unit") or "a").lower()
    if unit in ("mo", "mois"):
        value = value / 12
    elif unit in ("wk", "d", "h", "min", "semaine", "jour"):
        value = 0
    return int(value)


def zones_of(hs: dict[str, Any]) -> tuple[list[tuple[str, str, str | None]], list[str]]:
    """Raw zone entries (type, code, code system key) from ror-territorial-division and the older
    ror-healthcareservice-intervention-zone; codes are normalised by the loader."""
    out: list[tuple[str, str, str | None]] = []
    warnings: list[str] = []
    exts = extensions(hs, "ror-territorial-division") + extensions(hs, "ror-healthcareservice-intervention-zone")
    for ext in exts:
        type_cc = next(
            (value_of(s) for s in extensions(ext, "typeTerritorialDivision", "type")), None
        )
        code_cc = next(
            (value_of(s) for s in extensions(ext, "codeTerritorialDivision", "code", "interventionZone")), None
        )
        kind = first_code(type_cc, K_TYPE_DIVISION)
        code_codings = codings(code_cc)
        if not code_codings and isinstance(code_cc, str):
            code_codings = [{"code": code_cc}]
        if not code_codings:
            warnings.append("Zone d'intervention sans code (codeTerritorialDivision) : ignorée.")
            continue
        coding = code_codings[0]
        code = str(coding.get("code") or "").strip()
        if not code:
            warnings.append("Zone d'intervention sans code (codeTerritorialDivision) : ignorée.")
            continue
        key = system_key(coding.get("system"))
        if kind is None:
            kind = _infer_division(key, code)
            if kind is None:
                warnings.append(f"Zone d'intervention {code} sans type (typeTerritorialDivision) : ignorée.")
                continue
            warnings.append(f"Zone d'intervention {code} sans type : type {kind} déduit du code.")
        out.append((kind.lstrip("0") or kind, code, key))
    return out, warnings


def _infer_division(key: str | None, code: str) -> str | None:
    if key in K_COMMUNE:
        return "3"
    if key in K_DEPARTEMENT:
        return "2"
    if key in K_REGION:
        return "1"
    if key in K_TERRITOIRE_SANTE:
        return "4"
    if key in K_PAYS:
        return "5"
    if re.fullmatch(r"\d{5}|2[ABab]\d{3}", code):
        return "3"
    if re.fullmatch(r"\d{2}|2[ABab]|97\d", code):
        return "2"
    return None


def zone_geometries(hs: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """GeoJSON Polygon / MultiPolygon geometries of the ror-gis-intervention-zone-geometry extension."""
    out: list[dict[str, Any]] = []
    warnings: list[str] = []
    for ext in extensions(hs, ZONE_GEOMETRY_EXTENSION):
        raw: Any = None
        if isinstance(ext.get("valueString"), str):
            raw = ext["valueString"]
        elif isinstance(ext.get("valueAttachment"), dict):
            att = ext["valueAttachment"]
            ctype = str(att.get("contentType") or "application/geo+json").split(";")[0].strip().lower()
            if ctype not in ("application/geo+json", "application/json", "application/vnd.geo+json"):
                warnings.append(f"Zone polygonale : type de contenu « {ctype} » non pris en charge (GeoJSON attendu).")
                continue
            try:
                raw = base64.b64decode(str(att.get("data") or ""), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                warnings.append("Zone polygonale : pièce jointe illisible (base64 UTF-8 attendu) : ignorée.")
                continue
        else:
            warnings.append("Zone polygonale sans valueString ni valueAttachment : ignorée.")
            continue
        try:
            geo = json.loads(raw)
        except (json.JSONDecodeError, TypeError):
            warnings.append("Zone polygonale : GeoJSON invalide (JSON illisible) : ignorée.")
            continue
        geoms = _polygonal(geo)
        if not geoms:
            warnings.append("Zone polygonale : un GeoJSON Polygon ou MultiPolygon est attendu : ignorée.")
            continue
        if not all(_wgs84(g["coordinates"]) for g in geoms):
            warnings.append(
                "Zone polygonale : coordonnées hors WGS84 (longitude, latitude en degrés attendues) : ignorée."
            )
            continue
        out.extend(geoms)
    return out, warnings


def _polygonal(geo: Any) -> list[dict[str, Any]]:
    if not isinstance(geo, dict):
        return []
    gtype = geo.get("type")
    if gtype == "Feature":
        return _polygonal(geo.get("geometry"))
    if gtype == "FeatureCollection":
        return [g for f in as_list(geo.get("features")) for g in _polygonal(f)]
    if gtype in ("Polygon", "MultiPolygon") and isinstance(geo.get("coordinates"), list) and geo["coordinates"]:
        return [{"type": gtype, "coordinates": geo["coordinates"]}]
    return []


def _wgs84(coords: Any) -> bool:
    if isinstance(coords, list) and coords and all(isinstance(c, int | float) for c in coords):
        return len(coords) >= 2 and -180 <= coords[0] <= 180 and -90 <= coords[1] <= 90
    return isinstance(coords, list) and bool(coords) and all(_wgs84(c) for c in coords)


def offer_fields(hs: dict[str, Any], today: date) -> tuple[dict[str, Any], list[str]]:
    """Columns of ``offre`` (without the references) and warnings."""
    warnings: list[str] = []
    identifiant = None
    for ident in as_list(hs.get("identifier")):
        if isinstance(ident, dict) and text(ident.get("value")):
            identifiant = text(ident["value"])
            break
    characteristic = as_list(hs.get("characteristic"))
    actes: list[str] = []
    for ch in characteristic:
        act_type = {str(value_of(e)) for e in extensions(ch, "ror-act-type")}
        for code in codes(ch, K_ACTE, bare=bool(act_type & {"specificAct", "outsideOfficeAct"})):
            if code not in actes:
                actes.append(code)
    unclassified = sum(
        1 for ch in characteristic for c in codings(ch)
        if system_key(c.get("system")) is None and not extensions(ch, "ror-act-type")
    )
    if unclassified:
        warnings.append(
            f"{unclassified} caractéristique(s) sans système de codage reconnaissable : ignorée(s) "
            "(mode de prise en charge, modalité, temporalité… ne se distinguent que par leur système)."
        )
    publics, age_min, age_max = ages_of(hs)
    if age_min is not None and age_max is not None and age_min > age_max:
        warnings.append(f"Âge minimum ({age_min}) supérieur à l'âge maximum ({age_max}) : âges ignorés.")
        age_min = age_max = None
    sensitive = False
    for ext in extensions(hs, "ror-healthcareservice-sensitive-unit"):
        sensitive = value_of(ext) is True or sensitive
    contacts, unqualified = contacts_of(hs)
    if unqualified:
        warnings.append(
            f"{unqualified} contact(s) sans niveau de confidentialité : enregistré(s) comme « accès très restreint »."
        )
    specialty = as_list(hs.get("specialty"))
    fields = {
        "identifiant": identifiant,
        "nom": text(hs.get("name")),
        "type_offre": first_code(hs.get("category"), K_TYPE_OFFRE),
        "champ": first_code(hs.get("type"), K_CHAMP),
        "activites": [c for s in specialty for c in codes(s, K_ACTIVITE)],
        "familles": [c for s in specialty for c in codes(s, K_FAMILLE, bare=False)],
        "modes_pec": [c for ch in characteristic for c in codes(ch, K_MODE_PEC, bare=False)],
        "publics": publics,
        "modalites_accueil": [c for ch in characteristic for c in codes(ch, K_MODALITE, bare=False)],
        "temporalites": [c for ch in characteristic for c in codes(ch, K_TEMPORALITE, bare=False)],
        "actes": actes,
        "specialisations": [c for ch in characteristic for c in codes(ch, K_SPECIALISATION, bare=False)],
        "age_min": age_min,
        "age_max": age_max,
        "unite_sensible": sensitive,
        "contacts": contacts,
        "horaires": hours_of(hs),
        "derniere_maj": (hs.get("meta") or {}).get("lastUpdated"),
        **status_of(hs, today),
    }
    for key in ("activites", "familles", "modes_pec", "modalites_accueil", "temporalites", "specialisations"):
        fields[key] = list(dict.fromkeys(fields[key]))
    return fields, warnings


__all__ = [
    "FICTIF_SYSTEM",
    "ZONE_GEOMETRY_EXTENSION",
    "address_fields",
    "finess_of",
    "location_fields",
    "offer_fields",
    "organization_fields",
    "organization_kind",
    "url_name",
    "zone_geometries",
    "zones_of",
]
