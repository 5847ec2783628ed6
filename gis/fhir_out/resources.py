"""FHIR resources in the ROR profiles' shape, built from the rows of :mod:`gis.fhir_out.rows` (pure functions).

The output is read back by :mod:`gis.importers.fhir` unchanged: codes carry their NOS system, zones are
``ror-territorial-division`` extensions, a free-form territory is the ror-gis extension
``ror-gis-intervention-zone-geometry`` (GeoJSON in ``valueString``), contacts are
``ror-healthcareservice-contact`` extensions (level 1 only: the rows are already filtered).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from gis.capacity import derived_location_id
from gis.capacity import to_extensions as capacity_extensions
from gis.fhir_out.codes import (
    DAYS,
    EXT,
    FINESS_SYSTEM,
    INSEE_CODE_EXT,
    OI_SYSTEM,
    PROFILE,
    SYS,
    ZONE_GEOMETRY,
    ZONE_SYSTEM,
)

Resource = dict[str, Any]


def cc(kind: str, code: str | None) -> dict[str, Any]:
    """Return a CodeableConcept of one NOS coding (system only when the code is unknown)."""
    coding: dict[str, Any] = {"system": SYS[kind]}
    if code:
        coding["code"] = str(code)
    return {"coding": [coding]}


def instant(value: datetime | None) -> str | None:
    """Return a FHIR instant (ISO 8601 with time zone)."""
    return value.isoformat() if isinstance(value, datetime) else None


def _meta(rtype: str, updated: datetime | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"profile": [PROFILE[rtype]]}
    if updated is not None:
        meta["lastUpdated"] = instant(updated)
    return meta


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, date) else None


# --------------------------------------------------------------------------- HealthcareService


def healthcare_service(row: dict[str, Any]) -> Resource:
    """HealthcareService (ror-healthcareservice) of one offer row.

    The sensitive-unit flag is true unless the row says a clear false (fail closed: a habilitated client that
    harvests a sensitive unit must keep it sensitive).
    """
    res: Resource = {"resourceType": "HealthcareService", "id": row["ror_id"],
                     "meta": _meta("HealthcareService", row["last_updated"])}
    region = (row.get("identifiant") or "").split("/")[0]
    if "/" in (row.get("identifiant") or "") and region.isdigit() and len(region) == 2:
        res["meta"]["tag"] = [{"system": SYS["region"], "code": region}]  # codeRegion: the source region
    ext: list[dict[str, Any]] = [
        {"url": EXT["ror-healthcareservice-sensitive-unit"], "valueBoolean": row.get("unite_sensible") is not False},
        _patient_type(row),
        *(_zone(t, c) for t, c in row["zones"]),
        *(_contact(c) for c in row["contacts"]),
    ]
    if row.get("polygone"):
        ext.append({"url": ZONE_GEOMETRY, "valueString": row["polygone"]})
    res["extension"] = ext
    res["identifier"] = [{"value": row.get("identifiant") or row["ror_id"]}]  # 1..1 in the profile
    res["active"] = row["statut"] == "ouverte"
    if row.get("provider_id"):
        res["providedBy"] = {"reference": f"Organization/{row['provider_id']}"}
    if row.get("type_offre"):
        res["category"] = [cc("type_offre", row["type_offre"])]
    if row.get("champ"):
        res["type"] = [cc("champ", row["champ"])]
    specialty = [cc("activite", c) for c in row["activites"]] + [cc("famille", c) for c in row["familles"]]
    if specialty:
        res["specialty"] = specialty
    locations = _location_ids(row)
    if locations:
        res["location"] = [{"reference": f"Location/{lid}"} for lid in locations]
    res["name"] = row["nom"]
    characteristic = _characteristics(row)
    if characteristic:
        res["characteristic"] = characteristic
    hours = [_available_time(h) for h in row["horaires"] or []]
    if hours:
        res["availableTime"] = hours
    if row.get("date_fermeture"):
        during = {"start": _iso(row["date_fermeture"])}
        if row.get("date_reouverture"):
            during["end"] = _iso(row["date_reouverture"])
        res["notAvailable"] = [{"id": "closingReopeningDate", "description": "Fermeture", "during": during}]
    return res


def _location_ids(row: dict[str, Any]) -> list[str]:
    """Return the offer's place, then the Location derived from it when it has one (gis.fhir_out.derived)."""
    out = [str(row["lieu_id"])] if row.get("lieu_id") else []
    return out + ([derived_location_id(row["ror_id"])] if row.get("lieu_derive") else [])


def _characteristics(row: dict[str, Any]) -> list[dict[str, Any]]:
    out = [cc("mode_pec", c) for c in row["modes_pec"]]
    out += [cc("modalite", c) for c in row["modalites_accueil"]]
    out += [cc("temporalite", c) for c in row["temporalites"]]
    out += [cc("specialisation", c) for c in row["specialisations"]]
    for code in row["actes"]:
        act = cc("acte", code)
        act["extension"] = [{"url": EXT["ror-act-type"], "valueCode": "specificAct"}]
        out.append(act)
    return out


def _patient_type(row: dict[str, Any]) -> dict[str, Any]:
    sub: list[dict[str, Any]] = [
        {"url": "supportedPatientInfo", "valueCodeableConcept": cc("public", c)} for c in row["publics"]
    ]
    rng: dict[str, Any] = {}
    for key, column in (("low", "age_min"), ("high", "age_max")):
        if row.get(column) is not None:
            rng[key] = {"value": row[column], "unit": "a", "system": "http://unitsofmeasure.org", "code": "a"}
    if rng:
        sub.append({"url": "ageRange", "valueRange": rng})
    return {"url": EXT["ror-healthcareservice-patient-type"], "extension": sub}


def _zone(kind: str, code: str) -> dict[str, Any]:
    system = ZONE_SYSTEM.get(kind)
    coding: dict[str, Any] = {"code": code}
    if system:
        coding = {"system": system, "code": code}
    return {"url": EXT["ror-territorial-division"], "extension": [
        {"url": "typeTerritorialDivision", "valueCodeableConcept": cc("type_division", kind)},
        {"url": "codeTerritorialDivision", "valueCodeableConcept": {"coding": [coding]}},
    ]}


def _level(code: str) -> dict[str, Any]:
    return {"url": EXT["ror-confidentiality-level"], "valueCodeableConcept": cc("confidentialite", code)}


def _contact(contact: dict[str, Any]) -> dict[str, Any]:
    telecom: list[dict[str, Any]] = [{"url": "telecomAddress", "valueString": str(contact["valeur"])}]
    if contact.get("canal"):
        telecom.append({"url": EXT["ror-telecom-communication-channel"],
                        "valueCodeableConcept": cc("canal", contact["canal"])})
    telecom.append(_level(str(contact.get("confidentialite") or "1")))
    sub: list[dict[str, Any]] = []
    if contact.get("nature"):
        sub.append({"url": "purposeContact", "valueCodeableConcept": cc("nature_contact", contact["nature"])})
    if contact.get("nom"):
        sub.append({"url": "name", "valueString": contact["nom"]})
    sub.append(_level(str(contact.get("confidentialite") or "1")))
    sub.append({"url": EXT["ror-healthcareservice-contact-telecom"], "extension": telecom})
    return {"url": EXT["ror-healthcareservice-contact"], "extension": sub}


def _available_time(h: dict[str, Any]) -> dict[str, Any]:
    slot: dict[str, Any] = {}
    ext: list[dict[str, Any]] = []
    if h.get("type"):
        ext.append({"url": EXT["ror-available-time-type-of-time"],
                    "valueCodeableConcept": cc("type_horaire", h["type"])})
    period = {k: h[v] for k, v in (("start", "debut_validite"), ("end", "fin_validite")) if h.get(v)}
    if period:
        ext.append({"url": EXT["ror-available-time-effective-opening-closing-date"], "valuePeriod": period})
    if ext:
        slot["extension"] = ext
    if isinstance(h.get("jour"), int) and 1 <= h["jour"] <= 7:
        slot["daysOfWeek"] = [DAYS[h["jour"] - 1]]
    if h.get("toute_la_journee"):
        slot["allDay"] = True
    for key, column in (("availableStartTime", "debut"), ("availableEndTime", "fin")):
        if h.get(column):
            slot[key] = f"{h[column][:5]}:00"
    return slot


# --------------------------------------------------------------------------- Location


def location(row: dict[str, Any]) -> Resource:
    """Location (ror-location) of one place row."""
    res: Resource = {"resourceType": "Location", "id": row["ror_id"], "meta": _meta("Location", row["last_updated"])}
    ext: list[dict[str, Any]] = []
    if row.get("cog"):
        ext.append({"url": EXT["ror-commune-cog"], "valueCodeableConcept": cc("commune", row["cog"])})
    ext += capacity_extensions(row.get("capacites") or [])  # as read: a round trip gives the same lines
    if ext:
        res["extension"] = ext
    if row.get("statut"):
        res["operationalStatus"] = {"code": row["statut"]}
    if row.get("nom"):
        res["name"] = row["nom"]
    address = _address(row)
    if address:
        res["address"] = address
    if row.get("lat") is not None:
        res["position"] = {"longitude": round(row["lon"], 7), "latitude": round(row["lat"], 7)}
    return res


def _address(row: dict[str, Any], insee: str | None = None) -> dict[str, Any] | None:
    address: dict[str, Any] = {}
    if insee:
        address["extension"] = [{"url": INSEE_CODE_EXT, "valueCodeableConcept": cc("commune", insee)}]
    if row.get("adresse"):
        address["line"] = [row["adresse"]]
    if row.get("ville"):
        address["city"] = row["ville"]
    if row.get("code_postal"):
        address["postalCode"] = row["code_postal"]
    return address or None


# --------------------------------------------------------------------------- Organization


def _organization(fhir_id: str, updated: datetime | None, name: str | None) -> Resource:
    res: Resource = {"resourceType": "Organization", "id": fhir_id, "meta": _meta("Organization", updated)}
    if name:
        res["name"] = name
    return res


def establishment(row: dict[str, Any]) -> Resource:
    """Organization for an entité géographique (EG): FINESS, catégorie (TRE_R66), address, geolocation."""
    res = _organization(row["fhir_id"], row["last_updated"], row["nom"])
    if row.get("date_ouverture"):
        res["extension"] = [{"url": EXT["ror-organization-period"],
                             "valuePeriod": {"start": _iso(row["date_ouverture"])}}]
    if row.get("finess"):
        res["identifier"] = [{"system": FINESS_SYSTEM, "value": row["finess"]}]
    res["type"] = [cc("categorie_eg", row.get("categorie"))]
    if row.get("telephone"):
        res["contact"] = [{"extension": [_level("1")], "telecom": [{"system": "phone", "value": row["telephone"]}]}]
    address = _address(row, row.get("commune_declaree")) or {}
    if row.get("lat") is not None:
        address.setdefault("extension", []).append({"url": EXT["ror-organization-geolocation"], "extension": [
            {"url": "latitude", "valueDecimal": round(row["lat"], 7)},
            {"url": "longitude", "valueDecimal": round(row["lon"], 7)},
        ]})
    if address:
        res["address"] = [address]
    if row.get("part_of"):
        res["partOf"] = {"reference": f"Organization/{row['part_of']}"}
    return res


def legal_entity(row: dict[str, Any]) -> Resource:
    """Organization for an entité juridique (EJ): FINESS and statut juridique (TRE_R72)."""
    res = _organization(row["fhir_id"], row["last_updated"], row["nom"])
    if row.get("finess"):
        res["identifier"] = [{"system": FINESS_SYSTEM, "value": row["finess"]}]
    res["type"] = [cc("statut_juridique", row.get("statut_juridique"))]
    return res


def internal_organisation(row: dict[str, Any]) -> Resource:
    """Organization for an organisation interne (OI): type d'OI (TRE_R207), partOf its EG or parent OI."""
    res = _organization(row["fhir_id"], row["last_updated"], row["nom"])
    res["identifier"] = [{"system": OI_SYSTEM, "value": row["fhir_id"]}]
    res["type"] = [cc("type_oi", row.get("type_oi"))]
    if row.get("part_of"):
        res["partOf"] = {"reference": f"Organization/{row['part_of']}"}
    return res

