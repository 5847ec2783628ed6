"""The scenarios of the fictitious demonstration (see :mod:`gis.demo`)."""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gis.db import Conn
from gis.demo import inputs
from gis.demo.output import write_bundles, write_readme
from gis.demo.resources import (
    FINESS_SYSTEM,
    HOSPITAL_CATEGORIES,
    MAX_EHPAD,
    MAX_HANDICAP_PER_CATEGORY,
    MAX_MOBILE_PER_TYPE,
    TEMPLATES,
    contacts,
    healthcare_service,
    location,
    offer_rng,
    organization,
    patient_extensions,
    polygon_extension,
    zone_extensions,
)
from gis.errors import DataNotLoaded

FICTITIOUS_EGS = "01-etablissements-fictifs"


@dataclass
class _Demo:
    """Accumulates the resources of one generation into themed Bundles, and what they hold."""

    conn: Conn
    seed: int
    neighbours: dict[str, list[str]]
    bundles: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    offers: Counter[str] = field(default_factory=Counter)
    levels: Counter[str] = field(default_factory=Counter)
    located: set[str] = field(default_factory=set)
    n_zones: int = 0
    n_sensitive: int = 0
    n_polygons: int = 0
    n_fictitious_egs: int = 0

    def add(self, bundle: str, resource: dict[str, Any]) -> None:
        self.bundles.setdefault(bundle, []).append(resource)

    def around(self, code: str, k: int) -> list[tuple[str, str]]:
        """Zones: commune ``code`` and its ``k`` nearest neighbours."""
        return [("3", c) for c in [code, *self.neighbours.get(code, [])[:k]]]

    def real_location(self, bundle: str, eg: dict[str, Any]) -> str:
        """Id of the place of a real EG (written once)."""
        lid = f"demo-lieu-{eg['finess']}"
        if lid not in self.located:
            self.located.add(lid)
            self.add(bundle, location(lid, f"Lieu de démonstration — {eg['nom']}", eg["arr"] or eg["commune"],
                                      eg["lat"], eg["lon"]))
        return lid

    def invented_eg(self, eid: str, name: str, categorie: str, insee: str) -> str:
        """Return an invented EG and its place in commune ``insee``; returns the place id."""
        self.n_fictitious_egs += 1
        point_seed = self.seed + zlib.crc32(eid.encode("utf-8")) % 1_000_000
        lat, lon = inputs.random_point(self.conn, insee, point_seed)
        self.add(FICTITIOUS_EGS, organization(eid, name, categorie, insee, lat, lon))
        self.add(FICTITIOUS_EGS, location(f"{eid}-lieu", f"Locaux {name}", insee, lat, lon))
        return f"{eid}-lieu"

    def offer(
        self, bundle: str, kind: str, rid: str, name: str, provider: dict[str, Any], location_id: str | None, *,
        zones: list[tuple[str, str]] | None = None, polygon: dict[str, Any] | None = None,
        attachment: bool = False, sensitive: bool = False,
    ) -> None:
        """One HealthcareService; its contacts are drawn from its own generator (stable per id)."""
        zones = zones or []
        extensions = patient_extensions(TEMPLATES[kind], sensitive) + zone_extensions(zones)
        if polygon is not None:
            extensions.append(polygon_extension(polygon, attachment=attachment))
            self.n_polygons += 1
        own = contacts(rid, offer_rng(self.seed, rid))
        for contact in own:
            self.levels[contact["extension"][1]["valueCodeableConcept"]["coding"][0]["code"]] += 1
        self.add(bundle, healthcare_service(kind, rid, name, provider, location_id, extensions + own))
        self.n_zones += len(zones)
        self.n_sensitive += sensitive
        self.offers[kind] += 1


def generate(conn: Conn, out_dir: Path, *, seed: int = 20261123) -> dict[str, Any]:
    """Write the fictitious demo Bundles into ``out_dir`` (see :mod:`gis.demo`).

    Parameters
    ----------
    conn
        Connection to a database with the geography and the real establishments.
    out_dir
        Output folder; demo Bundles of an earlier generation there are replaced.
    seed
        Seed of every random choice.

    Returns
    -------
    dict
        Counts: offers (total and by kind), zones, polygons, sensitive units, contacts by level,
        real and invented establishments, files.

    Raises
    ------
    DataNotLoaded
        Without geography.
    """
    places = inputs.places(conn)
    if not places:
        raise DataNotLoaded("Géographie absente : chargez les communes avant de générer la démonstration.")
    demo = _Demo(conn, seed, inputs.neighbours(conn))
    egs = inputs.real_egs(conn)
    by_cat: dict[str, list[dict[str, Any]]] = {}
    for eg in egs:
        by_cat.setdefault(eg["categorie"] or "", []).append(eg)
    _ehpad_units(demo, by_cat.get("500", []))
    _handicap_services(demo, by_cat)
    _home_services(demo, places, len(egs))
    _former_codes(demo)
    hospitals = sorted((eg for cat in HOSPITAL_CATEGORIES for eg in by_cat.get(cat, [])), key=lambda e: e["finess"])
    _mobile_teams(demo, hospitals or egs)
    _coordination(demo, places)
    files = write_bundles(out_dir, demo.bundles)
    write_readme(out_dir, seed, [p.name for p in files])
    return {
        "seed": seed,
        "etablissements_reels_utilises": len(demo.located),
        "etablissements_fictifs": demo.n_fictitious_egs,
        "offres": sum(demo.offers.values()),
        "offres_par_type": dict(sorted(demo.offers.items())),
        "zones": demo.n_zones,
        "polygones": demo.n_polygons,
        "unites_sensibles": demo.n_sensitive,
        "contacts_par_confidentialite": dict(sorted(demo.levels.items())),
        "fichiers": [p.name for p in files],
    }


def _provider(eg: dict[str, Any]) -> dict[str, Any]:
    """Logical reference to a real EG by FINESS (the real row is never renamed)."""
    return {"type": "Organization", "identifier": {"system": FINESS_SYSTEM, "value": eg["finess"]},
            "display": eg["nom"]}


def _pick(
    demo: _Demo, section: str, items: list[dict[str, Any]], cap: int, key: str = "finess"
) -> list[dict[str, Any]]:
    """Up to ``cap`` items, returned in ``key`` order.

    The choice ranks every item by a hash of (seed, section, its own code) and keeps the first
    ``cap``: an item's fate does not depend on the others, so loading more establishments displaces
    at most as many chosen ones as it adds (the demo changes little from one load to the next).
    """
    ordered = sorted(items, key=lambda e: e[key])
    if len(ordered) <= cap:
        return ordered
    rank = sorted(ordered, key=lambda e: zlib.crc32(f"{demo.seed}:{section}:{e[key]}".encode()))
    return sorted(rank[:cap], key=lambda e: e[key])


def _ehpad_units(demo: _Demo, ehpads: list[dict[str, Any]]) -> None:
    """EHPAD units (no zone: covered by their place).

    Which units an EHPAD has is drawn from its own generator; a UHR is always there when the FINESS
    ends with 1, and is a sensitive unit when it ends with 01, 21, 41…: both stay with the
    establishment whatever else is loaded. An EHPAD with real offers for older people (CNSA annuaire, ROR)
    gets no invented unit.
    """
    for eg in _pick(demo, "ehpad", [e for e in ehpads if not e["offres_pa_reelles"]], MAX_EHPAD):
        lid = demo.real_location("02-ehpad", eg)
        base = f"demo-{eg['finess']}"
        rng = offer_rng(demo.seed, base)
        units = ["ehpad_hp"]
        units += ["ehpad_ht"] if rng.random() < 0.6 else []
        units += ["ehpad_aj"] if rng.random() < 0.4 else []
        units += ["pasa"] if rng.random() < 0.3 else []
        units += ["uhr"] if rng.random() < 0.05 or eg["finess"].endswith("1") else []
        for kind in units:
            demo.offer("02-ehpad", kind, f"{base}-{kind.replace('_', '-')}",
                       f"{TEMPLATES[kind]['label']} — {eg['nom']}", _provider(eg), lid,
                       sensitive=kind == "uhr" and int(eg["finess"][-2:]) % 20 == 1)


def _handicap_services(demo: _Demo, by_cat: dict[str, list[dict[str, Any]]]) -> None:
    """SESSAD, SAVS, SAMSAH with home visits over neighbouring communes."""
    for cat, kind in (("182", "sessad"), ("446", "savs"), ("445", "samsah")):
        for eg in _pick(demo, kind, by_cat.get(cat, []), MAX_HANDICAP_PER_CATEGORY):
            rid = f"demo-{eg['finess']}-{kind}"
            lid = demo.real_location("03-handicap", eg)
            demo.offer("03-handicap", kind, rid, f"{TEMPLATES[kind]['label']} — {eg['nom']}", _provider(eg), lid,
                       zones=demo.around(eg["arr"] or eg["commune"], offer_rng(demo.seed, rid).randint(3, 9)))


def _home_services(demo: _Demo, places: list[dict[str, Any]], n_egs: int) -> None:
    """Invented home services (new fictitious EGs, no FINESS), one per kind and commune at most."""
    plan = [("saad", "460", "SAD aide", max(10, min(220, n_egs // 20))),
            ("ssiad", "354", "SSIAD", max(6, min(120, n_egs // 40))),
            ("sad_as", "209", "SAD aide et soins", max(4, min(80, n_egs // 60)))]
    top = places[: max(60, min(400, len(places)))]
    for kind, cat, short, count in plan:
        for place in _pick(demo, kind, top, count, key="insee"):
            code = place["insee"]
            eid = f"demo-eg-{kind.replace('_', '-')}-{code.lower()}"
            lid = demo.invented_eg(eid, f"{short} {place['nom']}", cat, code)
            demo.offer("04-domicile", kind, f"{eid}-offre", f"{TEMPLATES[kind]['label']} — {place['nom']}",
                       {"reference": f"Organization/{eid}"}, lid,
                       zones=demo.around(code, offer_rng(demo.seed, eid).randint(2, 11)))


def _former_codes(demo: _Demo) -> None:
    """Zones naming a former or delegated commune code (Pierrefitte 93059, Rocquencourt 78524)."""
    aliases = demo.conn.execute(
        "SELECT a.code, a.insee, a.nom FROM geo_commune_alias a JOIN geo_commune c USING (insee) "
        "WHERE a.code IN ('93059', '78524') ORDER BY a.code"
    ).fetchall()
    for alias in aliases:
        eid = f"demo-eg-ancien-code-{alias['code']}"
        lid = demo.invented_eg(eid, f"SAD aide {alias['nom']}", "460", alias["insee"])
        demo.offer("04-domicile", "saad", f"{eid}-offre", f"Service autonomie à domicile — {alias['nom']}",
                   {"reference": f"Organization/{eid}"}, lid,
                   zones=[("3", alias["code"]), *demo.around(alias["insee"], 2)])


def _mobile_teams(demo: _Demo, hospitals: list[dict[str, Any]]) -> None:
    """Mobile teams of hospitals (or of any EG when no hospital is loaded).

    An EMPP whose FINESS ends with 7 is a sensitive unit.
    """
    for kind in ("emgp", "empp", "emsp"):
        for eg in _pick(demo, kind, hospitals, MAX_MOBILE_PER_TYPE):
            lid = demo.real_location("05-equipes-mobiles", eg)
            zones = ([("2", eg["departement"])] if kind == "empp"
                     else demo.around(eg["arr"] or eg["commune"], 5 if kind == "emgp" else 8))
            demo.offer("05-equipes-mobiles", kind, f"demo-{eg['finess']}-{kind}",
                       f"{TEMPLATES[kind]['label']} — {eg['nom']}", _provider(eg), lid, zones=zones,
                       sensitive=kind == "empp" and eg["finess"].endswith("7"))


def _coordination(demo: _Demo, places: list[dict[str, Any]]) -> None:
    """One DAC per département; région-wide offers; two free-form polygon territories."""
    deps = demo.conn.execute(
        "SELECT d.code, d.nom, d.region, COALESCE(d.chef_lieu, min(c.insee)) AS chef_lieu "
        "FROM geo_departement d JOIN geo_commune c ON c.departement = d.code AND c.type = 'commune' "
        "GROUP BY d.code ORDER BY d.code"
    ).fetchall()
    dacs: list[tuple[str, str]] = []
    for dep in deps:
        eid = f"demo-eg-dac-{dep['code'].lower()}"
        lid = demo.invented_eg(eid, f"DAC {dep['nom']}", "606", dep["chef_lieu"])
        demo.offer("06-coordination", "dac", f"{eid}-offre", f"{TEMPLATES['dac']['label']} — {dep['nom']}",
                   {"reference": f"Organization/{eid}"}, lid, zones=[("2", dep["code"])])
        dacs.append((eid, dep["region"]))
    if not dacs:
        return
    eid, region = dacs[0]
    ref = {"reference": f"Organization/{eid}"}
    for kind in ("ema", "ears"):
        demo.offer("06-coordination", kind, f"demo-region-{region}-{kind}", TEMPLATES[kind]["label"], ref,
                   f"{eid}-lieu", zones=[("1", region)])
    seat = next(r for r in demo.bundles[FICTITIOUS_EGS] if r["id"] == f"{eid}-lieu")["position"]
    demo.offer("06-coordination", "emsp", "demo-polygone-rayon", "Équipe mobile santé précarité — secteur de 6 km",
               ref, f"{eid}-lieu", polygon=inputs.buffer(demo.conn, seat["latitude"], seat["longitude"], 6000))
    anchor = places[min(5, len(places) - 1)]["insee"]
    hull = inputs.hull(demo.conn, [anchor, *demo.neighbours.get(anchor, [])[:4]])
    demo.offer("06-coordination", "emgp", "demo-polygone-secteur", "Équipe mobile de géronto-psychiatrie — secteur",
               {"reference": f"Organization/{dacs[-1][0]}"}, None, polygon=hull, attachment=True)
