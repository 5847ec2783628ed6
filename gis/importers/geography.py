"""Load the reference geography (COG 2026 and IGN 2018 polygons).

Communes, arrondissements, départements, régions, their former and delegated codes, and IGN 2018
polygons (merged communes get the union of their parts).

The whole load runs in one transaction: a failure leaves the previous geography intact, and running
it twice gives the same state. Every load is recorded in the import history (kind ``geography``),
failed ones too, and the geography tables are analysed at the end.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from psycopg import sql

from gis.db import Conn
from gis.errors import InvalidInput, SourceUnavailable
from gis.importers.report import ImportReport, recorded
from gis.importers.statements import one, statement
from gis.progress import Progress, silent
from gis.sources import Fetcher, Source, load_manifest, sha256_of
from gis.text import normalize

IDF = "11"
# Display geometry: Douglas-Peucker tolerance in metres (Lambert-93), then 5-decimal rounding.
SIMPLIFY_TOLERANCE_M = 60.0
# Two communes overlapping on more than this share of the smaller one are reported by the load.
OVERLAP_SHARE = 0.001
#: Tables a geography load writes (analysed at the end of the load).
TABLES = ("geo_commune", "geo_commune_alias", "geo_departement", "geo_region", "geo_commune_retablie")


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
        """Return the summary as stored in ``data_source.details``."""
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
        """Return the summary as French lines for the command line."""
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
) -> tuple[list[dict[str, Any]], list[tuple[str, str, str, str | None]]]:
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

    aliases: dict[tuple[str, str], tuple[str, str | None]] = {}
    attached: dict[str, str] = {}  # delegated or associated code -> the commune it belongs to today
    for c in in_scope:
        if c["type"] in ("commune-deleguee", "commune-associee"):
            target = c.get("chefLieu") or c.get("commune")
            if target and target != c["code"] and target in current and c["code"] not in current:
                kind = "deleguee" if c["type"] == "commune-deleguee" else "associee"
                aliases[(c["code"], target)] = (kind, c["nom"])
                attached[c["code"]] = target
    for code, c in current.items():
        for old in c.get("anciensCodes") or []:
            # a code that is today a delegated or associated commune of another commune belongs to that one only
            # (e.g. 60455, former code of 60054 and delegated commune of 60694): one commune per code and polygon
            if old != code and old not in current and attached.get(old, code) == code:
                aliases.setdefault((old, code), ("ancien", None))
    alias_rows = [(code, insee, kind, nom) for (code, insee), (kind, nom) in sorted(aliases.items())]
    return rows, alias_rows


_COMMUNE_COLUMNS = (
    "insee", "nom", "nom_norm", "type", "parent_insee", "departement", "region", "codes_postaux",
    "population", "siren", "epci_code", "epci_nom", "ept_code", "ept_nom",
)


def load_geography(
    conn: Conn,
    fetcher: Fetcher,
    *,
    region: str = IDF,
    progress: Progress | None = None,
) -> GeographySummary:
    """Replace the reference geography by the given scope, in one transaction.

    Parameters
    ----------
    conn
        Open connection.
    fetcher
        Finds (or downloads) the source files of ``data/communes/sources.toml``.
    region
        INSEE région code (``'11'``, Île-de-France) or ``'all'``.
    progress
        Where the steps are reported (default: nowhere).

    Returns
    -------
    GeographySummary
        What was loaded; also stored in ``data_source`` and in the import history.

    Raises
    ------
    InvalidInput
        Bad region code, or unusable source files (nothing is changed; the failure is recorded).
    SourceUnavailable
        A source file is missing and cannot be downloaded (recorded too).
    """
    if region != "all" and not (len(region) == 2 and region.isdigit()):
        raise InvalidInput(f"Région invalide : {region!r} (attendu : code INSEE à 2 chiffres ou 'all').")
    progress = progress or silent()
    summary = GeographySummary(region=region)
    with recorded(conn, "geography", f"COG 2026 / IGN 2018, région {region}", tables=TABLES) as report:
        inputs = _read_inputs(fetcher, region, summary, progress)
        _stage(conn, inputs, progress)
        progress.step("remplacement des tables de géographie")
        _replace_communes(conn, inputs["rows"], inputs["aliases"])
        progress.step("construction des géométries (unions, simplification, Lambert-93)")
        conn.execute(statement("geography_geometries"))
        _restored(conn, inputs["restored"], summary)
        _simplify(conn, "geo_commune", SIMPLIFY_TOLERANCE_M)
        progress.step("départements et régions")
        _departements_and_regions(conn, inputs, summary)
        progress.step("contrôles")
        _check(conn, summary, len(inputs["aliases"]))
        _record(conn, summary, report)
    return summary


def _read_inputs(fetcher: Fetcher, region: str, summary: GeographySummary, progress: Progress) -> dict[str, Any]:
    """Return the COG rows and aliases of the scope, and the 2018 polygons (sources listed in ``summary``)."""
    manifest = load_manifest()

    def source(name: str) -> Path:
        src: Source = manifest[name]
        path = fetcher.path(src)
        summary.sources.append(
            {"name": name, "title": src.title, "producer": src.producer, "licence": src.licence,
             "date": src.date, "file": src.path, "sha256": sha256_of(path)}
        )
        return path

    def optional(name: str, why: str) -> Path | None:
        try:
            return source(name)
        except SourceUnavailable:
            src = manifest[name]
            summary.warnings.append(f"Source facultative absente : {src.title} ({src.path}) ; {why}")
            return None

    progress.step("lecture du COG 2026")
    cog = _read_json(source("cog_communes"))
    departements = _read_json(source("cog_departements"))
    regions = _read_json(source("cog_regions"))
    rows, alias_rows = plan_communes(cog, _read_json(source("cog_epci")), _read_json(source("cog_ept")), region)
    if not rows:
        raise InvalidInput(f"Aucune commune pour la région {region!r} dans le COG.")
    codes = {r["insee"] for r in rows}
    progress.step("lecture des contours IGN 2018")
    polygons_source = "communes_idf_2018" if region == IDF else "communes_france_2018"
    extra: list[tuple[str, str, str]] = []
    if codes & {"69123", "13055"}:
        path = optional("arrondissements_lyon_marseille", "les arrondissements de Lyon et Marseille restent sans "
                        "géométrie (chaque ville est comptée une fois, par son contour communal).")
        if path is not None:
            extra += [(code, geo, "arrondissements_lyon_marseille") for code, geo in _geometry_features(path, "code")
                      if code in codes and code[:3] in ("132", "693")]
    restored = {code: r for code, r in restored_communes().items() if code in codes}
    if restored:
        path = optional("communes_retablies", f"{len(restored)} communes rétablies depuis 2018 restent sans contour "
                        "(leur territoire reste compté dans la commune dont elles ont été rétablies).")
        if path is not None:
            extra += [(code, geo, "communes_retablies") for code, geo in _geometry_features(path, "code")
                      if code in restored]
    return {
        "region": region, "rows": rows, "aliases": alias_rows, "codes": codes,
        "departements": [d for d in departements if d["code"] in {r["departement"] for r in rows}],
        "regions": [r for r in regions if r["code"] in {c["region"] for c in rows}],
        "polygons_source": polygons_source,
        "polygons": _geometry_features(source(polygons_source), "code"),
        "paris": _geometry_features(source("paris_arrondissements"), "c_arinsee") if "75056" in codes else [],
        "extra": extra,
        "restored": restored,
    }


def restored_communes() -> dict[str, dict[str, str]]:
    """Communes restored since 2018 out of a commune nouvelle (``data/communes/retablissements.toml``).

    Returns
    -------
    dict
        INSEE code -> ``{"nom", "contenant"}``, ``contenant`` being the commune whose 2018 polygon holds its land.
    """
    text = resources.files("data.communes").joinpath("retablissements.toml").read_text(encoding="utf-8")
    return {code: {"nom": str(e["nom"]), "contenant": str(e["contenant"])} for code, e in tomllib.loads(text).items()}


def _stage(conn: Conn, inputs: dict[str, Any], progress: Progress) -> None:
    """Temporary tables: every polygon read, and the parts (own code + merged codes) of each commune."""
    conn.execute("CREATE TEMP TABLE stage_geom (code text, geojson text, origin text) ON COMMIT DROP")
    conn.execute("CREATE TEMP TABLE stage_parts (insee text, code text) ON COMMIT DROP")
    polygons = inputs["polygons"]
    with conn.cursor().copy("COPY stage_geom (code, geojson, origin) FROM STDIN") as copy:
        for i, (code, geo) in enumerate(polygons, 1):
            copy.write_row((code, geo, inputs["polygons_source"]))
            progress.count("contours lus", i, len(polygons))
        for code, geo in inputs["paris"]:
            copy.write_row((code, geo, "paris_arrondissements"))
        for code, geo, origin in inputs["extra"]:
            copy.write_row((code, geo, origin))
    with conn.cursor().copy("COPY stage_parts (insee, code) FROM STDIN") as copy:
        for code in inputs["codes"]:
            copy.write_row((code, code))
        for old, insee, _kind, _nom in inputs["aliases"]:
            copy.write_row((insee, old))


def _replace_communes(
    conn: Conn, rows: list[dict[str, Any]], alias_rows: list[tuple[str, str, str, str | None]]
) -> None:
    for table in ("geo_commune_alias", "geo_commune", "geo_departement", "geo_region"):
        conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))
    copy_sql = sql.SQL("COPY geo_commune ({}) FROM STDIN").format(
        sql.SQL(", ").join(map(sql.Identifier, _COMMUNE_COLUMNS))
    )
    with conn.cursor().copy(copy_sql) as copy:
        for r in rows:
            copy.write_row(tuple(r[c] for c in _COMMUNE_COLUMNS))
    with conn.cursor().copy("COPY geo_commune_alias (code, insee, kind, nom) FROM STDIN") as copy:
        for a in alias_rows:
            copy.write_row(a)


def _restored(conn: Conn, restored: dict[str, dict[str, str]], summary: GeographySummary) -> None:
    """Record the restored communes; take the contour of each one found out of its contenant, report the others."""
    conn.execute("DELETE FROM geo_commune_retablie")
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO geo_commune_retablie (insee, nom, contenant, contour) "
            "SELECT %s, %s, %s, geom IS NOT NULL FROM geo_commune WHERE insee = %s",
            [(code, r["nom"], r["contenant"], code) for code, r in sorted(restored.items())],
        )
    conn.execute(statement("geography_restored"))
    for r in conn.execute("SELECT r.insee, r.nom, r.contenant, c.nom AS nom_contenant FROM geo_commune_retablie r "
                          "LEFT JOIN geo_commune c ON c.insee = r.contenant WHERE NOT r.contour ORDER BY r.insee"):
        summary.warnings.append(
            f"{r['insee']} {r['nom']}, rétablie depuis 2018, n'a pas de contour : son territoire reste dans "
            f"{r['contenant']} {r['nom_contenant'] or ''} (les points qui s'y trouvent sont signalés)."
        )


def _simplify(conn: Conn, table: str, tolerance_m: float) -> None:
    conn.execute(statement("geography_simplify").format(table=sql.Identifier(table)), (tolerance_m,))


def _departements_and_regions(
    conn: Conn, inputs: dict[str, Any], summary: GeographySummary
) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO geo_departement (code, nom, region, chef_lieu) VALUES (%s, %s, %s, %s)",
            [(d["code"], d["nom"], d["region"], d.get("chefLieu")) for d in inputs["departements"]],
        )
        cur.executemany(
            "INSERT INTO geo_region (code, nom) VALUES (%s, %s)", [(r["code"], r["nom"]) for r in inputs["regions"]]
        )
    conn.execute(statement("geography_areas"))
    for table, tol in (("geo_departement", 100.0), ("geo_region", 200.0)):
        _simplify(conn, table, tol)
    summary.departements = len(inputs["departements"])
    summary.regions = len(inputs["regions"])
    unused = one(conn.execute(
        "SELECT count(DISTINCT s.code) AS n FROM stage_geom s "
        "WHERE s.origin <> 'paris_arrondissements' AND NOT EXISTS "
        "(SELECT 1 FROM stage_parts p WHERE p.code = s.code)"
    ))["n"]
    if unused and inputs["region"] == IDF:
        summary.warnings.append(f"{unused} contours 2018 ne correspondent à aucune commune 2026.")


def _check(conn: Conn, summary: GeographySummary, aliases: int) -> None:
    """Check the counts, the communes without or with an invalid geometry, communes merged since 2018."""
    stats = one(conn.execute(
        "SELECT count(*) FILTER (WHERE type = 'commune') AS communes, "
        "count(*) FILTER (WHERE type = 'arrondissement-municipal') AS arrondissements FROM geo_commune"
    ))
    summary.communes = stats["communes"]
    summary.arrondissements = stats["arrondissements"]
    summary.aliases = aliases
    summary.without_geometry = [
        f"{r['insee']} {r['nom']}"
        for r in conn.execute(
            "SELECT insee, nom FROM geo_commune WHERE geom IS NULL OR ST_IsEmpty(geom) ORDER BY insee"
        )
    ]
    summary.invalid_geometry = [
        f"{r['insee']} {r['nom']}"
        for r in conn.execute(
            "SELECT insee, nom FROM geo_commune WHERE geom IS NOT NULL AND NOT ST_IsValid(geom) ORDER BY insee"
        )
    ]
    summary.merged = {
        r["insee"]: r["geom_source"].split(",")
        for r in conn.execute("SELECT insee, geom_source FROM geo_commune WHERE geom_source LIKE '%,%' ORDER BY insee")
    }
    summary.warnings.extend(
        f"Le contour 2018 {r['code']} est attribué à plusieurs communes : {r['communes']}."
        for r in conn.execute("SELECT code, string_agg(insee, ', ' ORDER BY insee) AS communes FROM stage_parts"
                              " GROUP BY code HAVING count(DISTINCT insee) > 1 ORDER BY code")
    )
    summary.warnings.extend(
        f"Les communes {r['a']} et {r['b']} se chevauchent sur {r['pct']} % de la plus petite."
        for r in conn.execute(statement("geography_overlaps"), {"share": OVERLAP_SHARE, "all": summary.region == "all"})
    )


def _record(conn: Conn, summary: GeographySummary, report: ImportReport) -> None:
    """Return the summary in ``data_source`` and in the import report (counts, flagged communes)."""
    conn.execute(
        "INSERT INTO data_source (name, loaded_at, version, details) VALUES ('geographie', now(), %s, %s) "
        "ON CONFLICT (name) DO UPDATE "
        "SET loaded_at = excluded.loaded_at, version = excluded.version, details = excluded.details",
        ("COG 2026 / IGN Admin Express 2018", json.dumps(summary.as_dict())),
    )
    report.counts.update({
        "communes": summary.communes, "arrondissements": summary.arrondissements,
        "departements": summary.departements, "regions": summary.regions, "codes_anciens": summary.aliases,
        "communes_fusionnees": len(summary.merged),
    })
    for commune in summary.without_geometry:
        report.warn(commune, "Commune sans géométrie.")
    for commune in summary.invalid_geometry:
        report.warn(commune, "Géométrie invalide.")
    for warning in summary.warnings:
        report.warn("géographie", warning)
