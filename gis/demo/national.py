"""FICTITIOUS national demonstration set (``ror-gis demo-data --national``): ~100,000 offers over France.

Unlike :func:`gis.demo.generate`, nothing here starts from real establishments: every EG is invented
(no FINESS, an identifier of system ``https://ror-gis.example/fictif``), placed by PostGIS at a point of a
real commune drawn with a fixed seed, and its offers follow the same templates as the Île-de-France demo.
Each département gets a share of the offers proportional to its population (at least a few EGs, so
every département, overseas ones included, is represented), spread over its communes by population; Paris,
Lyon and Marseille are served by their arrondissements when the geography has them.

Mix: EHPAD units without zone; home services (SAD aide, SSIAD, SAD aide et soins) whose zones list the
commune and its nearest neighbours, sometimes the whole département (or arrondissements of Paris, Lyon,
Marseille, sometimes the whole city); SESSAD / SAVS / SAMSAH with home visits; hospital mobile teams
(commune lists, département zones for the EMPP, a few free-form polygon sectors); one DAC per département
(département zone) and one regional team per région. The DAC establishments are all written in the first
file and referenced from the others: an import has to resolve references across files.

Output: collection Bundles of at most ``per_file`` offers each (an EG and its offers never split), written
one at a time — the generator holds one file's resources, the communes and nothing else, so its memory
does not depend on the total. Deterministic for a given geography and seed; every name ends with
" (fictif)", every resource carries the fictitious-data tag, and the folder gets a LISEZMOI.txt.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gis.db import Conn
from gis.demo.output import remove_old_bundles, write_bundle, write_readme
from gis.demo.resources import (
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
from gis.progress import Progress, silent

NATIONAL_OFFERS = 100_000
PER_FILE = 2_000
#: Fewest invented EGs per département (small and overseas départements are represented too).
MIN_EGS_PER_DEPARTEMENT = 8
#: Cities served by their arrondissements when the geography has them.
CITIES = ("75056", "69123", "13055")

# (profile, share of the EGs, catégorie FINESS choices)
_PROFILES = (("ehpad", 0.30, ("500",)), ("domicile", 0.40, ("460", "354", "209")),
             ("handicap", 0.15, ("182", "446", "445")), ("hopital", 0.15, ("355",)))
_HOME_KIND = {"460": "saad", "354": "ssiad", "209": "sad_as"}
_HANDICAP_KIND = {"182": "sessad", "446": "savs", "445": "samsah"}
_EG_LABEL = {"500": "EHPAD", "460": "SAD aide", "354": "SSIAD", "209": "SAD aide et soins", "182": "SESSAD",
             "446": "SAVS", "445": "SAMSAH", "355": "Centre hospitalier", "606": "DAC"}
_GRID = 0.15  # degrees: cell of the neighbour index


@dataclass(frozen=True)
class _Commune:
    insee: str
    nom: str
    departement: str
    region: str
    population: int
    lat: float
    lon: float
    group: str  # neighbours are searched among the same group: communes, or one city's arrondissements


@dataclass
class _Geo:
    """The loaded communes, by département, with a grid for nearest-neighbour zones."""

    communes: dict[str, _Commune]
    by_dep: dict[str, list[_Commune]]
    grid: dict[tuple[str, int, int], list[_Commune]]
    cache: dict[str, list[str]] = field(default_factory=dict)

    def nearest(self, code: str, k: int) -> list[str]:
        """Return the ``k`` communes of the same group nearest to ``code`` (itself excluded), nearest first."""
        if len(self.cache.get(code, [])) < min(k, 16):
            self.cache[code] = self._search(self.communes[code], max(k, 12))
        return self.cache[code][:k]

    def _search(self, c: _Commune, k: int) -> list[str]:
        cx, cy = int(c.lon // _GRID), int(c.lat // _GRID)
        scale = math.cos(math.radians(c.lat))
        found: list[_Commune] = []
        for ring in range(1, 8):
            found = [o for dx in range(-ring, ring + 1) for dy in range(-ring, ring + 1)
                     for o in self.grid.get((c.group, cx + dx, cy + dy), []) if o.insee != c.insee]
            if len(found) >= k:
                break
        found.sort(key=lambda o: (((o.lon - c.lon) * scale) ** 2 + (o.lat - c.lat) ** 2, o.insee))
        return [o.insee for o in found[:k]]


def _load_geo(conn: Conn) -> _Geo:
    """Communes with a geometry; a city with arrondissements is replaced by them."""
    rows = conn.execute(
        """
        SELECT c.insee, c.nom, c.departement, c.region, COALESCE(c.population, 0) AS population,
               round(ST_Y(c.centre)::numeric, 5)::float AS lat, round(ST_X(c.centre)::numeric, 5)::float AS lon,
               COALESCE(c.parent_insee, '') AS grp
          FROM geo_commune c
         WHERE c.geom IS NOT NULL AND c.centre IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM geo_commune a WHERE a.parent_insee = c.insee AND a.geom IS NOT NULL)
         ORDER BY c.insee
        """
    ).fetchall()
    communes = {r["insee"]: _Commune(r["insee"], r["nom"], r["departement"], r["region"], r["population"],
                                     r["lat"], r["lon"], r["grp"]) for r in rows}
    by_dep: dict[str, list[_Commune]] = defaultdict(list)
    grid: dict[tuple[str, int, int], list[_Commune]] = defaultdict(list)
    for c in communes.values():
        by_dep[c.departement].append(c)
        grid[(c.group, int(c.lon // _GRID), int(c.lat // _GRID))].append(c)
    return _Geo(communes, dict(by_dep), dict(grid))


def _points(conn: Conn, codes: list[str], seed: int) -> list[tuple[float, float]]:
    """One point per entry of ``codes`` (repeats allowed), drawn by PostGIS inside each commune with ``seed``."""
    wanted: dict[str, int] = defaultdict(int)
    for code in codes:
        wanted[code] += 1
    rows = conn.execute(
        """
        SELECT u.insee, array_agg(round(ST_Y(d.geom)::numeric, 5)::float ORDER BY d.path) AS lat,
               array_agg(round(ST_X(d.geom)::numeric, 5)::float ORDER BY d.path) AS lon
          FROM unnest(%s::text[], %s::int[]) AS u(insee, n)
          JOIN geo_commune c ON c.insee = u.insee,
               LATERAL ST_Dump(ST_GeneratePoints(c.geom, u.n, %s)) AS d
         GROUP BY u.insee
        """,
        (list(wanted), list(wanted.values()), seed),
    ).fetchall()
    drawn = {r["insee"]: list(zip(r["lat"], r["lon"], strict=True)) for r in rows}
    used: dict[str, int] = defaultdict(int)
    out: list[tuple[float, float]] = []
    for code in codes:
        pts = drawn.get(code) or [(0.0, 0.0)]
        out.append(pts[used[code] % len(pts)])
        used[code] += 1
    return out


def circle(lat: float, lon: float, metres: float, n: int = 24) -> dict[str, Any]:
    """GeoJSON Polygon approximating a disc of ``metres`` around (lat, lon) (5 decimals, closed ring)."""
    dlat = metres / 111_320
    dlon = metres / (111_320 * math.cos(math.radians(lat)))
    ring = [[round(lon + dlon * math.cos(2 * math.pi * i / n), 5), round(lat + dlat * math.sin(2 * math.pi * i / n), 5)]
            for i in range(n)]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


@dataclass
class _Writer:
    """The resources of the file being filled; written and dropped when it holds ``per_file`` offers."""

    out_dir: Path
    per_file: int
    progress: Progress
    resources: list[dict[str, Any]] = field(default_factory=list)
    n_offers: int = 0
    files: list[str] = field(default_factory=list)
    largest: int = 0

    def add_eg(self, resources: list[dict[str, Any]], n_offers: int) -> None:
        """Add one EG with its place and offers (never split across files)."""
        if self.n_offers and self.n_offers + n_offers > self.per_file:
            self.flush()
        self.resources.extend(resources)
        self.n_offers += n_offers

    def flush(self, name: str | None = None) -> None:
        """Write the current file (if it holds anything) and start a new one."""
        if not self.resources:
            return
        name = name or f"national-{len(self.files):04d}"
        write_bundle(self.out_dir, name, self.resources)
        self.files.append(f"{name}.json")
        self.largest = max(self.largest, self.n_offers)
        self.progress.count("fichiers", len(self.files))
        self.resources, self.n_offers = [], 0


@dataclass
class _Stats:
    offers: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    egs: int = 0
    zones: int = 0
    polygons: int = 0
    sensitive: int = 0
    departements: set[str] = field(default_factory=set)


@dataclass
class _National:
    conn: Conn
    geo: _Geo
    seed: int
    writer: _Writer
    stats: _Stats = field(default_factory=_Stats)

    def offer(self, kind: str, rid: str, name: str, eid: str, lid: str | None, *,
              zones: list[tuple[str, str]] | None = None, polygon: dict[str, Any] | None = None,
              sensitive: bool = False) -> dict[str, Any]:
        """One HealthcareService of template ``kind`` provided by the invented EG ``eid``."""
        zones = zones or []
        extensions = patient_extensions(TEMPLATES[kind], sensitive) + zone_extensions(zones)
        if polygon is not None:
            extensions.append(polygon_extension(polygon, attachment=False))
            self.stats.polygons += 1
        extensions += contacts(rid, offer_rng(self.seed, rid))
        self.stats.offers[kind] += 1
        self.stats.zones += len(zones)
        self.stats.sensitive += sensitive
        return healthcare_service(kind, rid, name, {"reference": f"Organization/{eid}"}, lid, extensions)

    def establishment(self, eid: str, categorie: str, c: _Commune, point: tuple[float, float]) -> list[dict[str, Any]]:
        """Return an invented EG and its place at ``point`` of commune ``c``."""
        name = f"{_EG_LABEL[categorie]} {eid.rsplit('-', 1)[-1]} {c.nom}"
        self.stats.egs += 1
        self.stats.departements.add(c.departement)
        return [organization(eid, name, categorie, c.insee, *point),
                location(f"{eid}-lieu", f"Locaux {name}", c.insee, *point)]

    def around(self, c: _Commune, k: int) -> list[tuple[str, str]]:
        """Zones: commune ``c`` and its ``k`` nearest neighbours (arrondissements among themselves)."""
        return [("3", code) for code in [c.insee, *self.geo.nearest(c.insee, k)]]


def generate_national(
    conn: Conn, out_dir: Path, *, seed: int, offers: int = NATIONAL_OFFERS, per_file: int = PER_FILE,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Write the fictitious national Bundles into ``out_dir`` (see the module docstring).

    Parameters
    ----------
    conn
        Connection to a database with the geography (``load geography --region all`` for France).
    out_dir
        Output folder; demo Bundles of an earlier generation there are removed first.
    seed
        Seed of every random choice.
    offers
        Approximate number of offers (each département's share is rounded up to whole EGs).
    per_file
        Most offers in one file.
    progress
        Where the files written are reported.

    Returns
    -------
    dict
        Counts: offers (total and by kind), invented establishments, zones, polygons, sensitive units,
        départements represented, files and the most offers in one file.

    Raises
    ------
    DataNotLoaded
        Without geography.
    """
    geo = _load_geo(conn)
    if not geo.communes:
        raise DataNotLoaded("Géographie absente : chargez les communes avant de générer la démonstration.")
    out_dir = Path(out_dir)
    remove_old_bundles(out_dir)
    gen = _National(conn, geo, seed, _Writer(out_dir, per_file, progress or silent()))
    dacs = _dacs(gen)
    total = sum(c.population for c in geo.communes.values()) or 1
    for dep in sorted(geo.by_dep):
        population = sum(c.population for c in geo.by_dep[dep])
        _departement(gen, dep, max(round(offers * population / total), 4 * MIN_EGS_PER_DEPARTEMENT), dacs)
    gen.writer.flush()
    write_readme(out_dir, seed, gen.writer.files)
    s = gen.stats
    return {
        "seed": seed, "offres": sum(s.offers.values()), "offres_par_type": dict(sorted(s.offers.items())),
        "etablissements_fictifs": s.egs, "zones": s.zones, "polygones": s.polygons, "unites_sensibles": s.sensitive,
        "departements": len(s.departements), "fichiers": len(gen.writer.files),
        "offres_max_par_fichier": gen.writer.largest,
    }


def _dacs(gen: _National) -> dict[str, str]:
    """One invented DAC establishment per département, all in the first file; returns département → EG id."""
    dacs: dict[str, str] = {}
    seats = [(dep, min(cs, key=lambda c: (-c.population, c.insee))) for dep, cs in sorted(gen.geo.by_dep.items())]
    points = _points(gen.conn, [c.insee for _, c in seats], gen.seed)
    resources: list[dict[str, Any]] = []
    for (dep, seat), point in zip(seats, points, strict=True):
        eid = f"demo-nat-dac-{dep.lower()}"
        resources += gen.establishment(eid, "606", seat, point)
        dacs[dep] = eid
    gen.writer.add_eg(resources, 0)
    gen.writer.flush("national-0000-dac")
    return dacs


def _departement(gen: _National, dep: str, budget: int, dacs: dict[str, str]) -> None:
    """Invented EGs of one département and their offers, until its share of offers is reached."""
    rng = random.Random(f"{gen.seed}:national:{dep}")
    communes = gen.geo.by_dep[dep]
    weights = [c.population + 50 for c in communes]
    dac = dacs[dep]
    region = communes[0].region
    first = [gen.offer("dac", f"{dac}-offre", f"{TEMPLATES['dac']['label']} — département {dep}", dac,
                       f"{dac}-lieu", zones=[("2", dep)])]
    if dep == min(d for d, cs in gen.geo.by_dep.items() if cs[0].region == region):
        first.append(gen.offer("ema", f"demo-nat-region-{region}-ema", f"{TEMPLATES['ema']['label']} — région {region}",
                               dac, f"{dac}-lieu", zones=[("1", region)]))
    gen.writer.add_eg(first, len(first))
    n_egs = max(MIN_EGS_PER_DEPARTEMENT, round(budget / 3.8))
    chosen = rng.choices(communes, weights=weights, k=n_egs)
    points = _points(gen.conn, [c.insee for c in chosen], gen.seed + zlib_dep(dep))
    for i, (c, point) in enumerate(zip(chosen, points, strict=True), 1):
        profile, categorie = _profile(rng)
        eid = f"demo-nat-{dep.lower()}-{i:05d}"
        resources = gen.establishment(eid, categorie, c, point)
        own = _OFFERS[profile](gen, eid, categorie, c, point, offer_rng(gen.seed, eid))
        gen.writer.add_eg(resources + own, len(own))


def zlib_dep(dep: str) -> int:
    """Return a stable number of a département code (seed offset of its points)."""
    return int(sum(ord(ch) * 31 ** i for i, ch in enumerate(dep)) % 1_000_003)


def _profile(rng: random.Random) -> tuple[str, str]:
    x = rng.random()
    for profile, share, categories in _PROFILES:
        if x < share:
            return profile, rng.choice(categories)
        x -= share
    return _PROFILES[-1][0], _PROFILES[-1][2][0]


def _ehpad(gen: _National, eid: str, _cat: str, c: _Commune, _p: tuple[float, float],
           rng: random.Random) -> list[dict[str, Any]]:
    units = ["ehpad_hp"] + [k for k, p in (("ehpad_ht", 0.6), ("ehpad_aj", 0.4), ("pasa", 0.3), ("uhr", 0.1))
                            if rng.random() < p]
    return [gen.offer(kind, f"{eid}-{kind.replace('_', '-')}", f"{TEMPLATES[kind]['label']} — {c.nom}", eid,
                      f"{eid}-lieu", sensitive=kind == "uhr" and rng.random() < 0.3) for kind in units]


def _home_zones(gen: _National, c: _Commune, rng: random.Random) -> list[tuple[str, str]]:
    x = rng.random()
    if c.group and x < 0.05:
        return [("3", c.group)]  # the whole city (Paris, Lyon, Marseille)
    if x < 0.2:
        return [("2", c.departement)]
    if x < 0.3:
        return []
    return gen.around(c, rng.randint(2, 12))


def _home(gen: _National, eid: str, cat: str, c: _Commune, point: tuple[float, float],
          rng: random.Random) -> list[dict[str, Any]]:
    kind = _HOME_KIND[cat]
    out = []
    for n in range(1, rng.randint(3, 9) + 1):
        polygon = circle(*point, rng.choice((4000, 8000, 12000))) if rng.random() < 0.002 else None
        out.append(gen.offer(kind, f"{eid}-offre-{n}", f"{TEMPLATES[kind]['label']} — {c.nom} secteur {n}", eid,
                             f"{eid}-lieu", zones=[] if polygon else _home_zones(gen, c, rng), polygon=polygon))
    return out


def _handicap(gen: _National, eid: str, cat: str, c: _Commune, _p: tuple[float, float],
              rng: random.Random) -> list[dict[str, Any]]:
    kind = _HANDICAP_KIND[cat]
    return [gen.offer(kind, f"{eid}-{kind}-{n}", f"{TEMPLATES[kind]['label']} — {c.nom}", eid, f"{eid}-lieu",
                      zones=gen.around(c, rng.randint(3, 9))) for n in range(1, rng.randint(1, 2) + 1)]


def _hospital(gen: _National, eid: str, _cat: str, c: _Commune, point: tuple[float, float],
              rng: random.Random) -> list[dict[str, Any]]:
    out = [gen.offer("emgp", f"{eid}-emgp", f"{TEMPLATES['emgp']['label']} — {c.nom}", eid, f"{eid}-lieu",
                     zones=gen.around(c, 5)),
           gen.offer("empp", f"{eid}-empp", f"{TEMPLATES['empp']['label']} — {c.nom}", eid, f"{eid}-lieu",
                     zones=[("2", c.departement)], sensitive=rng.random() < 0.1)]
    polygon = circle(*point, 6000) if rng.random() < 0.02 else None
    out.append(gen.offer("emsp", f"{eid}-emsp", f"{TEMPLATES['emsp']['label']} — {c.nom}", eid, f"{eid}-lieu",
                         zones=[] if polygon else gen.around(c, 8), polygon=polygon))
    return out


_OFFERS = {"ehpad": _ehpad, "domicile": _home, "handicap": _handicap, "hopital": _hospital}
