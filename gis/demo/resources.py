"""FHIR resources of the fictitious demonstration: code systems, offer templates, resource builders.

Pure functions (no database): each builder returns one resource dict.
"""

from __future__ import annotations

import base64
import json
import random
import zlib
from typing import Any

from gis.importers.fhir.mapping import FICTIF_SYSTEM, ZONE_GEOMETRY_EXTENSION

DEMO_LABEL = "Données fictives de démonstration — ror-gis"
DEMO_SOURCE = "urn:ror-gis:donnees-fictives-de-demonstration"
DEMO_DATE = "2026-01-15T09:00:00+01:00"
BASE_URL = "https://ror-gis.example/fhir/"
IG = "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition/"
FINESS_SYSTEM = "http://finess.esante.gouv.fr"
SUFFIX = " (fictif)"

# Caps keeping the whole demo around 1,500–3,000 offers on the full IDF FINESS.
MAX_EHPAD = 450
MAX_HANDICAP_PER_CATEGORY = 120
MAX_MOBILE_PER_TYPE = 30
HOSPITAL_CATEGORIES = ("101", "106", "292", "355")

_SYSTEMS = {
    "R66": "TRE_R66-CategorieEtablissement",
    "R244": "TRE_R244-CategorieOrganisation",
    "R227": "TRE_R227-ChampActivite",
    "R211": "TRE_R211-ActiviteOperationnelle",
    "R213": "TRE_R213-ModePriseEnCharge",
    "R338": "TRE_R338-ModaliteAccueil",
    "R240": "TRE_R240-TemporaliteAccueil",
    "R245": "TRE_R245-SpecialisationDePriseEnCharge",
    "R239": "TRE_R239-PublicPrisEnCharge",
    "R201": "TRE_R201-TypeDivisionTerritoriale",
    "R13": "TRE_R13-CommuneOM",
    "G09": "TRE_G09-DepartementOM",
    "R30": "TRE_R30-RegionOM",
    "R283": "TRE_R283-NiveauConfidentialite",
    "R287": "TRE_R287-NatureContact",
    "R200": "TRE_R200-CanalCommunication",
    "R252": "TRE_R252-TypeHoraire",
    "R265": "TRE_R265-PrestationPilotageSerafin",
    "R266": "TRE_R266-FamilleActiviteOperationnelleHorsSerafin",
}


def system(key: str) -> str:
    """URL of a NOS code system (``"R66"`` → ``…/TRE_R66-CategorieEtablissement/FHIR/TRE-R66-…``)."""
    name = _SYSTEMS[key]
    return f"https://mos.esante.gouv.fr/NOS/{name}/FHIR/{name.replace('_', '-', 1)}"


def cc(key: str, code: str) -> dict[str, Any]:
    """Return a CodeableConcept of one code of a NOS code system."""
    return {"coding": [{"system": system(key), "code": code}]}


def meta(profile: str) -> dict[str, Any]:
    """``meta`` of every demo resource: fixed date, demo source and the fictitious-data tag."""
    return {
        "lastUpdated": DEMO_DATE,
        "source": DEMO_SOURCE,
        "profile": [IG + profile],
        "tag": [{"system": FICTIF_SYSTEM, "code": "demo", "display": DEMO_LABEL}],
    }


# kind: (label, type d'offre, champ, activités, familles, modes, temporalités, publics, âges, spécialisations)
TEMPLATES: dict[str, dict[str, Any]] = {
    "ehpad_hp": {"label": "Hébergement permanent", "type": "21", "champ": "04", "act": ["293", "287"],
                 "fam": ["011", "005"], "modes": ["46"], "temp": ["02"], "publics": ["01"], "ages": (60, 120)},
    "ehpad_ht": {"label": "Hébergement temporaire", "type": "21", "champ": "04", "act": ["293", "394"],
                 "fam": ["011"], "modes": ["46"], "temp": ["01"], "publics": ["01"], "ages": (60, 120)},
    "ehpad_aj": {"label": "Accueil de jour", "type": "21", "champ": "04", "act": ["306", "394"],
                 "fam": ["025"], "modes": ["47"], "temp": ["02"], "publics": ["01"], "ages": (60, 120)},
    "pasa": {"label": "Pôle d'activités et de soins adaptés (PASA)", "type": "25", "champ": "04", "act": ["306"],
             "fam": ["025"], "modes": ["47"], "temp": ["02"], "publics": ["01"], "ages": (60, 120), "spe": ["28"]},
    "uhr": {"label": "Unité d'hébergement renforcée (UHR)", "type": "23", "champ": "04", "act": ["293", "306"],
            "fam": ["011"], "modes": ["46"], "temp": ["02"], "publics": ["01"], "ages": (60, 120), "spe": ["27"]},
    "sessad": {"label": "SESSAD — accompagnement à domicile", "type": "57", "champ": "04", "act": ["300", "308"],
               "fam": ["022"], "modes": ["49"], "publics": ["02"], "ages": (0, 20), "visite": True},
    "savs": {"label": "SAVS — accompagnement à la vie sociale", "type": "31", "champ": "04", "act": ["298", "312"],
             "fam": ["019"], "modes": ["49"], "publics": ["02"], "ages": (18, 60), "visite": True},
    "samsah": {"label": "SAMSAH — accompagnement médico-social", "type": "32", "champ": "04", "act": ["287", "298"],
               "fam": ["005", "019"], "modes": ["49"], "publics": ["02"], "ages": (18, 60), "visite": True},
    "saad": {"label": "Service autonomie à domicile — aide", "type": "30", "champ": "04", "act": ["293", "299"],
             "fam": ["011", "020"], "modes": ["49"], "publics": ["01", "02"], "ages": (18, 120), "visite": True},
    "ssiad": {"label": "Soins infirmiers à domicile", "type": "28", "champ": "04", "act": ["287"], "fam": ["005"],
              "modes": ["49"], "publics": ["01"], "ages": (60, 120), "visite": True},
    "sad_as": {"label": "Service autonomie à domicile — aide et soins", "type": "132", "champ": "04",
               "act": ["293", "287"], "fam": ["011", "005"], "modes": ["49"], "publics": ["01", "02"],
               "ages": (18, 120), "visite": True},
    "emgp": {"label": "Équipe mobile de géronto-psychiatrie", "type": "78", "champ": "03", "act": ["051"],
             "modes": ["11"], "publics": ["01"], "ages": (60, 120), "visite": True},
    "empp": {"label": "Équipe mobile psychiatrie et précarité", "type": "77", "champ": "03", "act": ["229"],
             "modes": ["59"], "publics": ["06"], "ages": (16, 120), "visite": True},
    "emsp": {"label": "Équipe mobile santé précarité", "type": "142", "champ": "04", "act": ["285"],
             "fam": ["004"], "modes": ["59"], "publics": ["06"], "ages": (0, 120), "visite": True},
    "dac": {"label": "Dispositif d'appui à la coordination", "type": "178", "champ": "04", "act": ["335"],
            "fam": ["037"], "modes": ["58"], "publics": ["07"], "ages": (0, 120)},
    "ema": {"label": "Équipe mobile autisme régionale", "type": "85", "champ": "04", "act": ["308"],
            "modes": ["59"], "publics": ["02"], "ages": (0, 120), "visite": True},
    "ears": {"label": "Équipe mobile de réadaptation spécialisée régionale", "type": "79", "champ": "02",
             "act": ["283"], "modes": ["59"], "publics": ["07"], "ages": (16, 120), "visite": True},
}
_FAMILY_SYSTEM = {"01": "R266", "02": "R266", "03": "R266", "04": "R266"}


def organization(rid: str, name: str, categorie: str, insee: str, lat: float, lon: float) -> dict[str, Any]:
    """Return an invented établissement (EG) without FINESS, placed at (lat, lon) in commune ``insee``."""
    return {
        "resourceType": "Organization",
        "id": rid,
        "meta": meta("ror-organization"),
        "identifier": [{"system": FICTIF_SYSTEM, "value": rid}],
        "active": True,
        "type": [cc("R66", categorie)],
        "name": name + SUFFIX,
        "address": [{
            "extension": [
                {"url": "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-address-insee-code",
                 "valueCoding": {"system": system("R13"), "code": insee}},
                {"url": "http://hl7.org/fhir/StructureDefinition/geolocation", "extension": [
                    {"url": "latitude", "valueDecimal": lat}, {"url": "longitude", "valueDecimal": lon}]},
            ],
        }],
        "extension": [{"url": IG + "ror-meta-creation-date", "valueDateTime": DEMO_DATE}],
    }


def location(rid: str, name: str, insee: str, lat: float, lon: float) -> dict[str, Any]:
    """Return a place (Location) at (lat, lon) in commune ``insee``."""
    return {
        "resourceType": "Location",
        "id": rid,
        "meta": meta("ror-location"),
        "status": "active",
        "name": name + SUFFIX,
        "position": {"latitude": lat, "longitude": lon},
        "extension": [
            {"url": IG + "ror-commune-cog", "valueCodeableConcept": cc("R13", insee)},
            {"url": IG + "ror-meta-creation-date", "valueDateTime": DEMO_DATE},
        ],
    }


def offer_rng(seed: int, rid: str) -> random.Random:
    """Return the generator of everything about one offer or establishment: seeded by the seed and its id."""
    return random.Random(seed * 1_000_003 + zlib.crc32(rid.encode("utf-8")))


def phone(rng: random.Random) -> str:
    """Return a number of the 01 99 00 xx xx range, reserved by ARCEP for fiction and never assigned."""
    n = rng.randrange(0, 10000)
    return f"01 99 00 {n // 100:02d} {n % 100:02d}"


def contacts(rid: str, rng: random.Random) -> list[dict[str, Any]]:
    """Return the contacts: standard line (accès libre); secretariat (restreint) and manager (très restreint) often."""
    key = zlib.crc32(rid.encode("utf-8"))
    wanted = [("06", "1", "2", phone(rng))]
    if key % 2 == 0:
        wanted.append(("03", "2", "2", phone(rng)))
    if key % 3 == 0:
        wanted.append(("04", "3", "4", f"cadre.{key % 100000:05d}@ror-gis.example"))
    return [
        {"url": IG + "ror-healthcareservice-contact", "extension": [
            {"url": "purposeContact", "valueCodeableConcept": cc("R287", nature)},
            {"url": IG + "ror-confidentiality-level", "valueCodeableConcept": cc("R283", level)},
            {"url": IG + "ror-healthcareservice-contact-telecom", "extension": [
                {"url": IG + "ror-telecom-communication-channel", "valueCodeableConcept": cc("R200", canal)},
                {"url": "telecomAddress", "valueString": value},
                {"url": IG + "ror-telecom-confidentiality-level", "valueCodeableConcept": cc("R283", level)},
            ]},
        ]}
        for nature, level, canal, value in wanted
    ]


_ZONE_SYSTEM = {"1": "R30", "2": "G09", "3": "R13"}


def zone_extensions(zones: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """``ror-territorial-division`` extensions of (type TRE_R201, code) pairs."""
    return [
        {"url": IG + "ror-territorial-division", "extension": [
            {"url": "typeTerritorialDivision", "valueCodeableConcept": cc("R201", division)},
            {"url": "codeTerritorialDivision", "valueCodeableConcept": cc(_ZONE_SYSTEM[division], code)},
        ]}
        for division, code in zones
    ]


def polygon_extension(polygon: dict[str, Any], *, attachment: bool) -> dict[str, Any]:
    """Return the ror-gis polygon-territory extension (GeoJSON as a string, or a base64 attachment)."""
    raw = json.dumps(polygon, separators=(",", ":"))
    url = "https://ror-gis.example/fhir/StructureDefinition/" + ZONE_GEOMETRY_EXTENSION
    if attachment:
        data = base64.b64encode(raw.encode("utf-8")).decode("ascii")
        return {"url": url, "valueAttachment": {"contentType": "application/geo+json", "data": data}}
    return {"url": url, "valueString": raw}


def patient_extensions(t: dict[str, Any], sensitive: bool) -> list[dict[str, Any]]:
    """Sensitive-unit flag, publics and ages, creation date of an offer of template ``t``."""
    low, high = t["ages"]
    return [
        {"url": IG + "ror-healthcareservice-sensitive-unit", "valueBoolean": sensitive},
        {"url": IG + "ror-healthcareservice-patient-type", "extension": [
            {"url": "ageRange", "valueRange": {"low": {"value": low, "code": "a"},
                                               "high": {"value": high, "code": "a"}}},
            *({"url": "supportedPatientInfo", "valueCodeableConcept": cc("R239", p)} for p in t["publics"]),
        ]},
        {"url": IG + "ror-meta-creation-date", "valueDateTime": DEMO_DATE},
    ]


def healthcare_service(
    kind: str, rid: str, name: str, provider: dict[str, Any], location_id: str | None, extensions: list[dict[str, Any]]
) -> dict[str, Any]:
    """Return a HealthcareService of template ``kind`` (codes, hours) with the given extensions."""
    t = TEMPLATES[kind]
    characteristic = [cc("R213", m) for m in t["modes"]]
    characteristic += [cc("R240", x) for x in t.get("temp", [])]
    if t.get("visite"):
        characteristic.append(cc("R338", "05"))
    characteristic += [cc("R245", x) for x in t.get("spe", [])]
    specialty = [cc("R211", a) for a in t["act"]]
    specialty += [cc(_FAMILY_SYSTEM.get(f, "R265"), f) for f in t.get("fam", [])]
    last_day = 8 if kind in ("ehpad_hp", "ehpad_ht", "uhr") else 6
    resource: dict[str, Any] = {
        "resourceType": "HealthcareService", "id": rid, "meta": meta("ror-healthcareservice"),
        "identifier": [{"system": FICTIF_SYSTEM, "value": f"11/DEMO-{rid}"}],
        "active": True, "name": name + SUFFIX, "providedBy": provider,
        "category": [cc("R244", t["type"])], "type": [cc("R227", t["champ"])],
        "specialty": specialty, "characteristic": characteristic,
        "availableTime": [
            {"availableStartTime": "09:00:00", "availableEndTime": "17:30:00", "extension": [
                {"url": IG + "ror-available-time-number-days-of-week", "valueInteger": day},
                {"url": IG + "ror-available-time-type-of-time", "valueCodeableConcept": cc("R252", "02")},
            ]}
            for day in range(1, last_day)
        ],
        "extension": extensions,
    }
    if location_id:
        resource["location"] = [{"reference": f"Location/{location_id}"}]
    return resource
