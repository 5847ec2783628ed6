"""Load the reference geography: COG 2026 communes, arrondissements, départements, régions, their
former and delegated codes, and IGN 2018 polygons (merged communes get the union of their parts).

The whole load runs in one transaction: a failure leaves the previous geography intact, and running
it twice gives the same state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from data.communes.fetch import Fetcher, Source, load_manifest, sha256_of
from gis.errors import InvalidInput
from gis.progress import Progress, silent
from gis.text import normalize

IDF = "11"
# Display geometry: Douglas-Peucker tolerance in metres (Lambert-93), then 5-decimal rounding.
SIMPLIFY_TOLERANCE_M = 60.0


@dataclass
class GeographySummary:
    """What a geography load did; printed by the CLI and stored in ``data_source``."""

    region: str
    communes: int = 0
    arrondissements: int = 0
    departements: int = 0
    regions: int = 0
    aliases: int = 0
    merged: dict[str, list[str]] = field(default_factory=dict)
    without_geometry: list[str] = field(default_factory=list)
    invalid_geometry: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "communes": self.communes,
            "arrondissements": self.arrondissements,
            "departements": self.departements,
            "regions": self.regions,
            "aliases": self.aliases,
            "merged": self.merged,
            "without_geometry": self.without_geometry,
            "invalid_geometry": self.invalid_geometry,
            "warnings": self.warnings,
            "sources": self.sources,
        }

    def lines(self) -> list[str]:
        out = [
            f"Géographie chargée (région {self.region}) : {self.communes} communes, "
            f"{self.arrondissements} arrondissements municipaux, {self.departements} départements, "
            f"{self.regions} régions, {self.aliases} codes anciens ou délégués.",
            f"Communes fusionnées depuis 2018 (géométrie = union des polygones 2018) : {len(self.merged)}.",
        ]
        if self.without_geometry:
            out.append(f"Sans géométrie ({len(self.without_geometry)}) : {', '.join(self.without_geometry)}")
        else:
            out.append("Toutes les communes et tous les arrondissements ont une géométrie.")
        if self.invalid_geometry:
            out.append(f"Géométrie invalide ({len(self.invalid_geometry)}) : {', '.join(self.invalid_geometry)}")
        out.extend(f"Avertissement : {w}" for w in self.warnings)
        return out


def _read_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def _geometry_features(path: Path, code_property: str) -> list[tuple[str, str]]:
    """(code, GeoJSON geometry text) of every feature with a geometry."""
    doc = _read_json(path)
    if doc.get("type") != "FeatureCollection":
        raise InvalidInput(f"{path.name} n'est pas une FeatureCollection GeoJSON.")
    out = []
    for feat in doc["features"]:
        props = feat.get("properties") or {}
        code = props.get(code_property)
        if code is None or not feat.get("geometry"):
            continue
        out.append((str(code).zfill(5), json.dumps(feat["geometry"])))
    return out


def plan_communes(
    cog: list[dict[str, Any]],
    epci: list[dict[str, Any]],
    ept: list[dict[str, Any]],
    region: str,
) -> tuple[list[dict[str, Any]], list[tuple[str, str, str, str]]]:
    """Rows for ``geo_commune`` and ``geo_commune_alias`` from the COG files (pure function)."""
    in_scope = [c for c in cog if region == "all" or c.get("region") == region]
    current = {c["code"]: c for c in in_scope if c["type"] in ("commune-actuelle", "arrondissement-municipal")}
    epci_of = {m["code"]: (e["code"], e["nom"]) for e in epci for m in e.get("membres", [])}
    ept_of = {m["code"]: (e["code"], e["nom"]) for e in ept for m in e.get("membres", [])}

    rows = []
    for code, c in current.items():
        is_arr = c["type"] == "arrondissement-municipal"
        parent = c.get("commune") if is_arr else None
        group_code = parent or code
        epci_code, epci_nom = epci_of.get(group_code, (None, None))
        ept_code, ept_nom = ept_of.get(group_code, (None, None))
        rows.append(
            {
                "insee": code,
                "nom": c["nom"],
                "nom_norm": normalize(c["nom"]),
                "type": "arrondissement-municipal" if is_arr else "commune",
                "parent_insee": parent,
                "departement": c["departement"],
                "region": c["region"],
                "codes_postaux": sorted(set(c.get("codesPostaux") or [])),
                "population": c.get("population"),
                "siren": c.get("siren"),
                "epci_code": epci_code,
                "epci_nom": epci_nom,
                "ept_code": ept_code,
                "ept_nom": ept_nom,
            }
        )

    aliases: dict[tuple[str, str], tuple[str, str]] = {}
    for code, c in current.items():
        for old in c.get("anciensCodes") or []:
            if old != code and old not in current:
                aliases.setdefault((old, code), ("ancien", None))
    for c in in_scope:
        if c["type"] in ("commune-deleguee", "commune-associee"):
            target = c.get("chefLieu") or c.get("commune")
            if target and target != c["code"] and target in current and c["code"] not in current:
                kind = "deleguee" if c["type"] == "commune-deleguee" else "associee"
                aliases[(c["code"], target)] = (kind, c["nom"])
    alias_rows = [(code, insee, kind, nom) for (code, insee), (kind, nom) in sorted(aliases.items())]
    return rows, alias_rows


_COMMUNE_COLUMNS = (
    "insee", "nom", "nom_norm", "type", "parent_insee", "departement", "region", "codes_postaux",
    "population", "siren", "epci_code", "epci_nom", "ept_code", "ept_nom",
)


def load_geography(
    conn: psycopg.Connection,
    fetcher: Fetcher,
    *,
    region: str = IDF,
    progress: Progress | None = None,
) -> GeographySummary:
    """Replace the reference geography by the given scope ('11' or 'all'), in one transaction."""
    if region != "all" and not (len(region) == 2 and region.isdigit()):
        raise InvalidInput(f"Région invalide : {region!r} (attendu : code INSEE à 2 chiffres ou 'all').")
    progress = progress or silent()
    manifest = load_manifest()
    summary = GeographySummary(region=region)

    def source(name: str) -> Path:
        src: Source = manifest[name]
        path = fetcher.path(src)
        summary.sources.append(
            {"name": name, "title": src.title, "producer": src.producer, "licence": src.licence,
             "date": src.date, "file": src.path, "sha256": sha256_of(path)}
        )
        return path

    progress.step("lecture du COG 2026")
    cog = _read_json(source("cog_communes"))
    departements = _read_json(source("cog_departements"))
    regions = _read_json(source("cog_regions"))
    epci = _read_json(source("cog_epci"))
    ept = _read_json(source("cog_ept"))
    rows, alias_rows = plan_communes(cog, epci, ept, region)
    if not rows:
        raise InvalidInput(f"Aucune commune pour la région {region!r} dans le COG.")
    codes = {r["insee"] for r in rows}
    dep_codes = {r["departement"] for r in rows}
    reg_codes = {r["region"] for r in rows}

    progress.step("lecture des contours IGN 2018")
    polygons_source = "communes_idf_2018" if region == IDF else "communes_france_2018"
    polygons = _geometry_features(source(polygons_source), "code")
    paris = _geometry_features(source("paris_arrondissements"), "c_arinsee") if "75056" in codes else []

    with conn.transaction():
        conn.execute(
            "CREATE TEMP TABLE stage_geom (code text, geojson text, origin text) ON COMMIT DROP"
        )
        conn.execute("CREATE TEMP TABLE stage_parts (insee text, code text) ON COMMIT DROP")
        with conn.cursor().copy("COPY stage_geom (code, geojson, origin) FROM STDIN") as copy:
            for i, (code, geo) in enumerate(polygons, 1):
                copy.write_row((code, geo, polygons_source))
                progress.count("contours lus", i, len(polygons))
            for code, geo in paris:
                copy.write_row((code, geo, "paris_arrondissements"))
        # Each current commune is made of its own 2018 polygon plus those of the codes merged into it.
        with conn.cursor().copy("COPY stage_parts (insee, code) FROM STDIN") as copy:
            for code in codes:
                copy.write_row((code, code))
            for old, insee, _kind, _nom in alias_rows:
                copy.write_row((insee, old))

        progress.step("remplacement des tables de géographie")
        for table in ("geo_commune_alias", "geo_commune", "geo_departement", "geo_region"):
            conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        cols = ", ".join(_COMMUNE_COLUMNS)
        with conn.cursor().copy(f"COPY geo_commune ({cols}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(tuple(r[c] for c in _COMMUNE_COLUMNS))
        with conn.cursor().copy("COPY geo_commune_alias (code, insee, kind, nom) FROM STDIN") as copy:
            for a in alias_rows:
                copy.write_row(a)

        progress.step("construction des géométries (unions, simplification, Lambert-93)")
        conn.execute(
            """
            UPDATE geo_commune c
               SET geom = g.geom, geom_source = g.parts
              FROM (SELECT p.insee,
                           ST_Multi(ST_CollectionExtract(ST_MakeValid(
                               ST_Union(ST_SetSRID(ST_GeomFromGeoJSON(s.geojson), 4326))), 3)) AS geom,
                           string_agg(s.code, ',' ORDER BY s.code) AS parts
                      FROM stage_parts p JOIN stage_geom s ON s.code = p.code
                     GROUP BY p.insee) g
             WHERE c.insee = g.insee
            """
        )
        conn.execute(
            """
            UPDATE geo_commune
               SET geom_l93 = ST_Transform(geom, 2154),
                   centre = ST_PointOnSurface(geom),
                   area_km2 = ST_Area(ST_Transform(geom, 2154)) / 1e6
             WHERE geom IS NOT NULL
            """
        )
        conn.execute(
            """
            UPDATE geo_commune
               SET geom_simple = ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_ReducePrecision(
                       ST_Transform(ST_SimplifyPreserveTopology(geom_l93, %s), 4326), 0.00001)), 3))
             WHERE geom IS NOT NULL
            """,
            (SIMPLIFY_TOLERANCE_M,),
        )

        progress.step("départements et régions")
        dep_rows = [d for d in departements if d["code"] in dep_codes]
        reg_rows = [r for r in regions if r["code"] in reg_codes]
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO geo_departement (code, nom, region, chef_lieu) VALUES (%s, %s, %s, %s)",
                [(d["code"], d["nom"], d["region"], d.get("chefLieu")) for d in dep_rows],
            )
            cur.executemany(
                "INSERT INTO geo_region (code, nom) VALUES (%s, %s)",
                [(r["code"], r["nom"]) for r in reg_rows],
            )
        conn.execute(
            """
            UPDATE geo_departement d
               SET geom = u.geom
              FROM (SELECT departement,
                           ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(geom)), 3)) AS geom
                      FROM geo_commune WHERE type = 'commune' AND geom IS NOT NULL
                     GROUP BY departement) u
             WHERE d.code = u.departement
            """
        )
        conn.execute(
            """
            UPDATE geo_region r
               SET geom = u.geom
              FROM (SELECT region, ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(geom)), 3)) AS geom
                      FROM geo_departement WHERE geom IS NOT NULL GROUP BY region) u
             WHERE r.code = u.region
            """
        )
        for table, tol in (("geo_departement", 100.0), ("geo_region", 200.0)):
            conn.execute(
                f"""
                UPDATE {table}
                   SET geom_simple = ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_ReducePrecision(
                           ST_Transform(ST_SimplifyPreserveTopology(ST_Transform(geom, 2154), %s), 4326),
                           0.00001)), 3))
                 WHERE geom IS NOT NULL
                """,  # noqa: S608 - fixed table names
                (tol,),
            )

        progress.step("contrôles")
        stats = conn.execute(
            """
            SELECT count(*) FILTER (WHERE type = 'commune') AS communes,
                   count(*) FILTER (WHERE type = 'arrondissement-municipal') AS arrondissements
              FROM geo_commune
            """
        ).fetchone()
        summary.communes = stats["communes"]
        summary.arrondissements = stats["arrondissements"]
        summary.departements = len(dep_rows)
        summary.regions = len(reg_rows)
        summary.aliases = len(alias_rows)
        summary.without_geometry = [
            f"{r['insee']} {r['nom']}"
            for r in conn.execute(
                "SELECT insee, nom FROM geo_commune WHERE geom IS NULL OR ST_IsEmpty(geom) ORDER BY insee"
            )
        ]
        summary.invalid_geometry = [
            f"{r['insee']} {r['nom']}"
            for r in conn.execute(
                "SELECT insee, nom FROM geo_commune WHERE geom IS NOT NULL AND NOT ST_IsValid(geom) "
                "ORDER BY insee"
            )
        ]
        summary.merged = {
            r["insee"]: r["geom_source"].split(",")
            for r in conn.execute(
                "SELECT insee, geom_source FROM geo_commune WHERE geom_source LIKE '%,%' ORDER BY insee"
            )
        }
        unused = conn.execute(
            "SELECT count(DISTINCT s.code) AS n FROM stage_geom s "
            "WHERE s.origin <> 'paris_arrondissements' AND NOT EXISTS "
            "(SELECT 1 FROM stage_parts p WHERE p.code = s.code)"
        ).fetchone()["n"]
        if unused and region == IDF:
            summary.warnings.append(f"{unused} contours 2018 ne correspondent à aucune commune 2026.")
        conn.execute(
            """
            INSERT INTO data_source (name, loaded_at, version, details)
            VALUES ('geographie', now(), %s, %s)
            ON CONFLICT (name) DO UPDATE
               SET loaded_at = excluded.loaded_at, version = excluded.version, details = excluded.details
            """,
            ("COG 2026 / IGN Admin Express 2018", json.dumps(summary.as_dict())),
        )
    return summary
