"""FICTITIOUS demonstration offers and territories, written as ROR FHIR Bundles for ``load_fhir``.

``generate(conn, out_dir)`` reads the real establishments (EG) of ``etablissement`` and the real
geography, and writes collection Bundles (JSON) of invented offers:

- EHPAD (catégorie 500) units: hébergement permanent / temporaire, accueil de jour, PASA, UHR;
- SESSAD (182), SAVS (446), SAMSAH (445) offers with home visits (modalité 05) over neighbouring
  communes;
- invented home services — SAD aide (type d'offre 30, EG catégorie 460), SSIAD (28, cat. 354), SAD
  aide et soins (132, cat. 209) — with an identifier of system ``https://ror-gis.example/fictif``
  and NO FINESS, covering lists of neighbouring communes (some of them Paris arrondissements, some a
  former or delegated code such as 93059 or 78524);
- mobile teams (EMGP 78, EMPP 77, EMSP 142) covering communes or a département, one DAC (178) per
  département, two offers covering the whole région, two free-form polygon territories
  (``ror-gis-intervention-zone-geometry``), a few sensitive units, contacts of the three
  confidentiality levels, and many offers without zone (covered by their place).

Nothing here describes a real offer: every name ends with " (fictif)", every resource carries a
``meta.tag`` and ``meta.source`` saying "Données fictives de démonstration — ror-gis", and the output
folder gets a LISEZMOI.txt. Offers of real EGs reference them by FINESS (logical reference), so the
real rows are never renamed. Output is deterministic for a given database and seed (inputs sorted,
``random.Random(seed)``, fixed dates, 5-decimal coordinates).
"""

from __future__ import annotations

import base64
import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg

from gis.importers.fhir_map import FICTIF_SYSTEM, ZONE_GEOMETRY_EXTENSION

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


def _system(key: str) -> str:
    name = _SYSTEMS[key]
    return f"https://mos.esante.gouv.fr/NOS/{name}/FHIR/{name.replace('_', '-', 1)}"


def _cc(key: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": _system(key), "code": code}]}


def _meta(profile: str) -> dict[str, Any]:
    return {
        "lastUpdated": DEMO_DATE,
        "source": DEMO_SOURCE,
        "profile": [IG + profile],
        "tag": [{"system": FICTIF_SYSTEM, "code": "demo", "display": DEMO_LABEL}],
    }


# --------------------------------------------------------------------------- offer templates

# kind: (label, type d'offre, champ, activités, familles, modes, temporalités, publics, âges, spécialisations)
_TEMPLATES: dict[str, dict[str, Any]] = {
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


class _Builder:
    """Accumulates resources into themed Bundles, with deterministic ids and fictitious contacts."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.bundles: dict[str, list[dict[str, Any]]] = {}
        self.offers: Counter = Counter()
        self.n_offers = 0
        self.n_zones = 0
        self.n_sensitive = 0
        self.n_polygons = 0
        self.levels: Counter = Counter()

    def add(self, bundle: str, resource: dict[str, Any]) -> None:
        self.bundles.setdefault(bundle, []).append(resource)

    def phone(self) -> str:
        # 01 99 00 xx xx: range reserved by ARCEP for fiction, never assigned.
        n = self.rng.randrange(0, 10000)
        return f"01 99 00 {n // 100:02d} {n % 100:02d}"

    def contacts(self, n: int) -> list[dict[str, Any]]:
        """Standard line (accès libre) always; secretariat (restreint) and manager (très restreint) often."""
        wanted = [("06", "1", "2", self.phone())]
        if n % 2 == 0:
            wanted.append(("03", "2", "2", self.phone()))
        if n % 3 == 0:
            wanted.append(("04", "3", "4", f"cadre.{n:05d}@ror-gis.example"))
        out = []
        for nature, level, canal, value in wanted:
            self.levels[level] += 1
            out.append({"url": IG + "ror-healthcareservice-contact", "extension": [
                {"url": "purposeContact", "valueCodeableConcept": _cc("R287", nature)},
                {"url": IG + "ror-confidentiality-level", "valueCodeableConcept": _cc("R283", level)},
                {"url": IG + "ror-healthcareservice-contact-telecom", "extension": [
                    {"url": IG + "ror-telecom-communication-channel", "valueCodeableConcept": _cc("R200", canal)},
                    {"url": "telecomAddress", "valueString": value},
                    {"url": IG + "ror-telecom-confidentiality-level", "valueCodeableConcept": _cc("R283", level)},
                ]},
            ]})
        return out

    def offer(
        self, bundle: str, kind: str, rid: str, name: str, provider: dict[str, Any], location_id: str | None, *,
        zones: list[tuple[str, str]] = (), polygon: dict[str, Any] | None = None, attachment: bool = False,
        sensitive: bool = False,
    ) -> None:
        t = _TEMPLATES[kind]
        self.n_offers += 1
        n = self.n_offers
        characteristic = [_cc("R213", m) for m in t["modes"]]
        characteristic += [_cc("R240", x) for x in t.get("temp", [])]
        if t.get("visite"):
            characteristic.append(_cc("R338", "05"))
        characteristic += [_cc("R245", x) for x in t.get("spe", [])]
        specialty = [_cc("R211", a) for a in t["act"]]
        specialty += [_cc(_FAMILY_SYSTEM.get(f, "R265"), f) for f in t.get("fam", [])]
        low, high = t["ages"]
        extensions: list[dict[str, Any]] = [
            {"url": IG + "ror-healthcareservice-sensitive-unit", "valueBoolean": sensitive},
            {"url": IG + "ror-healthcareservice-patient-type", "extension": [
                {"url": "ageRange", "valueRange": {"low": {"value": low, "code": "a"},
                                                   "high": {"value": high, "code": "a"}}},
                *({"url": "supportedPatientInfo", "valueCodeableConcept": _cc("R239", p)} for p in t["publics"]),
            ]},
            {"url": IG + "ror-meta-creation-date", "valueDateTime": DEMO_DATE},
        ]
        for division, code in zones:
            key = {"1": "R30", "2": "G09", "3": "R13"}[division]
            extensions.append({"url": IG + "ror-territorial-division", "extension": [
                {"url": "typeTerritorialDivision", "valueCodeableConcept": _cc("R201", division)},
                {"url": "codeTerritorialDivision", "valueCodeableConcept": _cc(key, code)},
            ]})
        self.n_zones += len(zones)
        if polygon is not None:
            raw = json.dumps(polygon, separators=(",", ":"))
            url = "https://ror-gis.example/fhir/StructureDefinition/" + ZONE_GEOMETRY_EXTENSION
            if attachment:
                data = base64.b64encode(raw.encode("utf-8")).decode("ascii")
                extensions.append({"url": url, "valueAttachment": {"contentType": "application/geo+json",
                                                                   "data": data}})
            else:
                extensions.append({"url": url, "valueString": raw})
            self.n_polygons += 1
        extensions += self.contacts(n)
        resource: dict[str, Any] = {
            "resourceType": "HealthcareService",
            "id": rid,
            "meta": _meta("ror-healthcareservice"),
            "identifier": [{"system": FICTIF_SYSTEM, "value": f"11/DEMO{n:05d}"}],
            "active": True,
            "name": name + SUFFIX,
            "providedBy": provider,
            "category": [_cc("R244", t["type"])],
            "type": [_cc("R227", t["champ"])],
            "specialty": specialty,
            "characteristic": characteristic,
            "availableTime": [
                {"availableStartTime": "09:00:00", "availableEndTime": "17:30:00", "extension": [
                    {"url": IG + "ror-available-time-number-days-of-week", "valueInteger": day},
                    {"url": IG + "ror-available-time-type-of-time", "valueCodeableConcept": _cc("R252", "02")},
                ]}
                for day in range(1, 6 if kind not in ("ehpad_hp", "ehpad_ht", "uhr") else 8)
            ],
            "extension": extensions,
        }
        if location_id:
            resource["location"] = [{"reference": f"Location/{location_id}"}]
        if sensitive:
            self.n_sensitive += 1
        self.offers[kind] += 1
        self.add(bundle, resource)


# --------------------------------------------------------------------------- database inputs


def _real_egs(conn: psycopg.Connection) -> list[dict[str, Any]]:
    return conn.execute(
        """
        SELECT e.finess, e.nom, e.categorie, round(ST_Y(e.geom)::numeric, 5)::float AS lat,
               round(ST_X(e.geom)::numeric, 5)::float AS lon, c.insee AS commune, e.arrondissement_insee AS arr,
               c.departement
          FROM etablissement e JOIN geo_commune c ON c.insee = e.commune_insee
         WHERE e.finess IS NOT NULL AND e.geom IS NOT NULL AND NOT e.fictif
         ORDER BY e.finess
        """
    ).fetchall()


def _neighbours(conn: psycopg.Connection) -> dict[str, list[str]]:
    """Communes (and arrondissements among themselves) touching each other, nearest first."""
    rows = conn.execute(
        """
        SELECT a.insee, array_agg(b.insee ORDER BY ST_Distance(a.centre, b.centre), b.insee) AS voisins
          FROM geo_commune a
          JOIN geo_commune b ON b.insee <> a.insee AND b.type = a.type AND ST_DWithin(a.geom_l93, b.geom_l93, 50)
         GROUP BY a.insee
        """
    ).fetchall()
    return {r["insee"]: r["voisins"] for r in rows}


def _places(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Where invented services sit: arrondissements and communes (not Paris as a whole), populous first."""
    return conn.execute(
        "SELECT insee, nom, departement FROM geo_commune WHERE insee <> '75056' AND geom IS NOT NULL "
        "ORDER BY population DESC NULLS LAST, insee"
    ).fetchall()


def _random_point(conn: psycopg.Connection, insee: str, seed: int) -> tuple[float, float]:
    row = conn.execute(
        "SELECT round(ST_Y(p)::numeric, 5)::float AS lat, round(ST_X(p)::numeric, 5)::float AS lon FROM ("
        " SELECT (ST_Dump(ST_GeneratePoints(geom, 1, %s))).geom AS p FROM geo_commune WHERE insee = %s) s LIMIT 1",
        (seed, insee),
    ).fetchone()
    return row["lat"], row["lon"]


def _buffer(conn: psycopg.Connection, lat: float, lon: float, metres: float) -> dict[str, Any]:
    row = conn.execute(
        "SELECT ST_AsGeoJSON(ST_Buffer(ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, %s, 24)::geometry, 5) AS g",
        (lon, lat, metres),
    ).fetchone()
    return json.loads(row["g"])


def _hull(conn: psycopg.Connection, codes: list[str]) -> dict[str, Any]:
    row = conn.execute(
        "SELECT ST_AsGeoJSON(ST_ConvexHull(ST_Collect(geom_simple)), 5) AS g FROM geo_commune WHERE insee = ANY(%s)",
        (codes,),
    ).fetchone()
    return json.loads(row["g"])


# --------------------------------------------------------------------------- generation


def generate(conn: psycopg.Connection, out_dir: Path, *, seed: int = 20261123) -> dict[str, Any]:
    """Write the fictitious demo Bundles into ``out_dir``; return counts (see the module docstring)."""
    rng = random.Random(seed)
    b = _Builder(rng)
    egs = _real_egs(conn)
    neighbours = _neighbours(conn)
    places = _places(conn)
    if not places:
        raise ValueError("Géographie absente : chargez les communes avant de générer la démonstration.")
    by_cat: dict[str, list[dict[str, Any]]] = {}
    for eg in egs:
        by_cat.setdefault(eg["categorie"] or "", []).append(eg)
    located: set[str] = set()

    def real_location(bundle: str, eg: dict[str, Any]) -> str:
        lid = f"demo-lieu-{eg['finess']}"
        if lid not in located:
            located.add(lid)
            b.add(bundle, _location(lid, f"Lieu de démonstration — {eg['nom']}", eg["arr"] or eg["commune"],
                                    eg["lat"], eg["lon"]))
        return lid

    def provider(eg: dict[str, Any]) -> dict[str, Any]:
        return {"type": "Organization", "identifier": {"system": FINESS_SYSTEM, "value": eg["finess"]},
                "display": eg["nom"]}

    def around(code: str, k: int) -> list[tuple[str, str]]:
        return [("3", c) for c in [code, *neighbours.get(code, [])[:k]]]

    # EHPAD units (no zone: covered by their place).
    ehpads = _pick(rng, by_cat.get("500", []), MAX_EHPAD)
    for i, eg in enumerate(ehpads):
        lid = real_location("02-ehpad", eg)
        base = f"demo-{eg['finess']}"
        units = ["ehpad_hp"]
        units += ["ehpad_ht"] if rng.random() < 0.6 else []
        units += ["ehpad_aj"] if rng.random() < 0.4 else []
        units += ["pasa"] if rng.random() < 0.3 else []
        units += ["uhr"] if rng.random() < 0.1 or i == 0 else []
        for kind in units:
            b.offer("02-ehpad", kind, f"{base}-{kind.replace('_', '-')}",
                    f"{_TEMPLATES[kind]['label']} — {eg['nom']}", provider(eg), lid,
                    sensitive=kind == "uhr" and i % 4 == 0)

    # Handicap services with home visits over neighbouring communes.
    for cat, kind in (("182", "sessad"), ("446", "savs"), ("445", "samsah")):
        for eg in _pick(rng, by_cat.get(cat, []), MAX_HANDICAP_PER_CATEGORY):
            lid = real_location("03-handicap", eg)
            b.offer("03-handicap", kind, f"demo-{eg['finess']}-{kind}", f"{_TEMPLATES[kind]['label']} — {eg['nom']}",
                    provider(eg), lid, zones=around(eg["arr"] or eg["commune"], rng.randint(3, 9)))

    # Invented home services (new fictitious EGs, no FINESS).
    n = len(egs)
    plan = [("saad", "460", "SAD aide", max(10, min(220, n // 20))),
            ("ssiad", "354", "SSIAD", max(6, min(120, n // 40))),
            ("sad_as", "209", "SAD aide et soins", max(4, min(80, n // 60)))]
    top = places[: max(60, min(400, len(places)))]
    fictitious_egs = 0
    for kind, cat, short, count in plan:
        for j, place in enumerate(rng.sample(top, min(count, len(top)))):
            fictitious_egs += 1
            code = place["insee"]
            eid = f"demo-eg-{kind.replace('_', '-')}-{j + 1:03d}"
            lat, lon = _random_point(conn, code, seed + fictitious_egs)
            b.add("01-etablissements-fictifs",
                  _organization(eid, f"{short} {place['nom']} n°{j + 1}", cat, code, lat, lon))
            lid = f"{eid}-lieu"
            b.add("01-etablissements-fictifs", _location(lid, f"Locaux {short} {place['nom']} n°{j + 1}", code, lat,
                                                         lon))
            b.offer("04-domicile", kind, f"{eid}-offre", f"{_TEMPLATES[kind]['label']} — {place['nom']} n°{j + 1}",
                    {"reference": f"Organization/{eid}"}, lid, zones=around(code, rng.randint(2, 11)))

    # Zones naming a former or delegated commune code (e.g. Pierrefitte 93059, Rocquencourt 78524).
    aliases = conn.execute(
        "SELECT a.code, a.insee, a.nom, c.nom AS commune FROM geo_commune_alias a JOIN geo_commune c USING (insee) "
        "WHERE a.code IN ('93059', '78524') ORDER BY a.code"
    ).fetchall()
    for j, alias in enumerate(aliases, 1):
        fictitious_egs += 1
        eid = f"demo-eg-ancien-code-{alias['code']}"
        lat, lon = _random_point(conn, alias["insee"], seed + fictitious_egs)
        b.add("01-etablissements-fictifs",
              _organization(eid, f"SAD aide {alias['nom']}", "460", alias["insee"], lat, lon))
        lid = f"{eid}-lieu"
        b.add("01-etablissements-fictifs", _location(lid, f"Locaux SAD aide {alias['nom']}", alias["insee"], lat, lon))
        zones = [("3", alias["code"])] + around(alias["insee"], 2)
        b.offer("04-domicile", "saad", f"{eid}-offre", f"Service autonomie à domicile — {alias['nom']} n°{j}",
                {"reference": f"Organization/{eid}"}, lid, zones=zones)

    # Mobile teams of hospitals (or of any EG when no hospital is loaded).
    hospitals = [eg for cat in HOSPITAL_CATEGORIES for eg in by_cat.get(cat, [])]
    hospitals = sorted(hospitals, key=lambda e: e["finess"]) or egs
    for kind in ("emgp", "empp", "emsp"):
        for i, eg in enumerate(_pick(rng, hospitals, MAX_MOBILE_PER_TYPE)):
            lid = real_location("05-equipes-mobiles", eg)
            zones = ([("2", eg["departement"])] if kind == "empp"
                     else around(eg["arr"] or eg["commune"], 5 if kind == "emgp" else 8))
            b.offer("05-equipes-mobiles", kind, f"demo-{eg['finess']}-{kind}",
                    f"{_TEMPLATES[kind]['label']} — {eg['nom']}", provider(eg), lid, zones=zones,
                    sensitive=kind == "empp" and i == 0)

    # One DAC per département; région-wide offers; free-form polygons.
    deps = conn.execute(
        "SELECT d.code, d.nom, d.region, COALESCE(d.chef_lieu, min(c.insee)) AS chef_lieu "
        "FROM geo_departement d JOIN geo_commune c ON c.departement = d.code AND c.type = 'commune' "
        "GROUP BY d.code ORDER BY d.code"
    ).fetchall()
    dac_ids: list[tuple[str, str, float, float]] = []
    for dep in deps:
        fictitious_egs += 1
        eid = f"demo-eg-dac-{dep['code'].lower()}"
        seat = dep["chef_lieu"]
        lat, lon = _random_point(conn, seat, seed + fictitious_egs)
        b.add("01-etablissements-fictifs", _organization(eid, f"DAC {dep['nom']}", "606", seat, lat, lon))
        lid = f"{eid}-lieu"
        b.add("01-etablissements-fictifs", _location(lid, f"Locaux DAC {dep['nom']}", seat, lat, lon))
        b.offer("06-coordination", "dac", f"{eid}-offre", f"{_TEMPLATES['dac']['label']} — {dep['nom']}",
                {"reference": f"Organization/{eid}"}, lid, zones=[("2", dep["code"])])
        dac_ids.append((eid, dep["region"], lat, lon))
    if dac_ids:
        eid, region, lat, lon = dac_ids[0]
        for kind in ("ema", "ears"):
            b.offer("06-coordination", kind, f"demo-region-{region}-{kind}", _TEMPLATES[kind]["label"],
                    {"reference": f"Organization/{eid}"}, f"{eid}-lieu", zones=[("1", region)])
        b.offer("06-coordination", "emsp", "demo-polygone-rayon", "Équipe mobile santé précarité — secteur de 6 km",
                {"reference": f"Organization/{eid}"}, f"{eid}-lieu", polygon=_buffer(conn, lat, lon, 6000))
    anchor = places[min(5, len(places) - 1)]["insee"]
    hull_codes = [anchor, *neighbours.get(anchor, [])[:4]]
    provider_ref = {"reference": f"Organization/{dac_ids[-1][0]}"} if dac_ids else None
    if provider_ref:
        b.offer("06-coordination", "emgp", "demo-polygone-secteur", "Équipe mobile de géronto-psychiatrie — secteur",
                provider_ref, None, polygon=_hull(conn, hull_codes), attachment=True)

    files = _write(out_dir, b.bundles)
    write_readme(out_dir, seed, [p.name for p in files])
    return {
        "seed": seed,
        "etablissements_reels_utilises": len(located),
        "etablissements_fictifs": fictitious_egs,
        "offres": b.n_offers,
        "offres_par_type": dict(sorted(b.offers.items())),
        "zones": b.n_zones,
        "polygones": b.n_polygons,
        "unites_sensibles": b.n_sensitive,
        "contacts_par_confidentialite": dict(sorted(b.levels.items())),
        "fichiers": [p.name for p in files],
    }


def _pick(rng: random.Random, items: list[dict[str, Any]], cap: int) -> list[dict[str, Any]]:
    """Up to ``cap`` items, chosen reproducibly, returned in FINESS order."""
    items = sorted(items, key=lambda e: e["finess"])
    if len(items) <= cap:
        return items
    return sorted(rng.sample(items, cap), key=lambda e: e["finess"])


def _organization(rid: str, name: str, categorie: str, insee: str, lat: float, lon: float) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": rid,
        "meta": _meta("ror-organization"),
        "identifier": [{"system": FICTIF_SYSTEM, "value": rid}],
        "active": True,
        "type": [_cc("R66", categorie)],
        "name": name + SUFFIX,
        "address": [{
            "extension": [
                {"url": "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-address-insee-code",
                 "valueCoding": {"system": _system("R13"), "code": insee}},
                {"url": "http://hl7.org/fhir/StructureDefinition/geolocation", "extension": [
                    {"url": "latitude", "valueDecimal": lat}, {"url": "longitude", "valueDecimal": lon}]},
            ],
        }],
        "extension": [{"url": IG + "ror-meta-creation-date", "valueDateTime": DEMO_DATE}],
    }


def _location(rid: str, name: str, insee: str, lat: float, lon: float) -> dict[str, Any]:
    return {
        "resourceType": "Location",
        "id": rid,
        "meta": _meta("ror-location"),
        "status": "active",
        "name": name + SUFFIX,
        "position": {"latitude": lat, "longitude": lon},
        "extension": [
            {"url": IG + "ror-commune-cog", "valueCodeableConcept": _cc("R13", insee)},
            {"url": IG + "ror-meta-creation-date", "valueDateTime": DEMO_DATE},
        ],
    }


_README = """DONNÉES FICTIVES DE DÉMONSTRATION — ror-gis
============================================

Les fichiers de ce dossier sont des Bundles FHIR (ROR, modèle d'exposition 3.0) INVENTÉS pour
montrer la carte ror-gis. Ils ne décrivent AUCUNE offre réelle :

- chaque nom d'offre, de lieu et d'établissement inventé se termine par « (fictif) » ;
- chaque ressource porte meta.tag « {label} » et meta.source « {source} » ;
- les établissements inventés (SAD, SSIAD, DAC…) n'ont pas de numéro FINESS : leur identifiant est
  dans le système {fictif} ;
- les offres rattachées à des établissements réels (EHPAD, SESSAD, SAVS, SAMSAH, hôpitaux) sont
  inventées : ni ces unités, ni leurs zones d'intervention, ni leurs contacts n'existent ;
- les numéros de téléphone sont dans la plage 01 99 00 xx xx réservée à la fiction.

Ne pas diffuser ces données comme des informations sur l'offre de soins. Chargement :
load_fhir(conn, [dossier], source="demo", fictif=True) — les offres sont alors marquées fictif.

Graine : {seed}. Fichiers : {files}.
"""


def _write(out_dir: Path, bundles: dict[str, list[dict[str, Any]]]) -> list[Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in sorted(bundles):
        bundle = {
            "resourceType": "Bundle",
            "id": f"ror-gis-demo-{name}",
            "meta": {"lastUpdated": DEMO_DATE, "source": DEMO_SOURCE,
                     "tag": [{"system": FICTIF_SYSTEM, "code": "demo", "display": DEMO_LABEL}]},
            "type": "collection",
            "entry": [{"fullUrl": f"{BASE_URL}{r['resourceType']}/{r['id']}", "resource": r} for r in bundles[name]],
        }
        path = out_dir / f"{name}.json"
        # Compact JSON, one Bundle entry per line: small files that still diff line by line.
        entries = [json.dumps(e, ensure_ascii=False, separators=(",", ":")) for e in bundle.pop("entry")]
        head = json.dumps(bundle, ensure_ascii=False, separators=(",", ":"))[:-1]
        path.write_text(head + ',"entry":[\n' + ",\n".join(entries) + "\n]}\n", encoding="utf-8")
        written.append(path)
    return written


def write_readme(out_dir: Path, seed: int, files: list[str]) -> Path:
    path = Path(out_dir) / "LISEZMOI.txt"
    path.write_text(
        _README.format(label=DEMO_LABEL, source=DEMO_SOURCE, fictif=FICTIF_SYSTEM, seed=seed, files=", ".join(files)),
        encoding="utf-8",
    )
    return path


__all__ = ["DEMO_LABEL", "generate", "write_readme"]
