"""Choropleth widgets: the planners' coverage map; class helpers shared with :mod:`web_map.tableau_map`.

Built from plain data (the routers query :mod:`gis.layers`); classes are computed here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from gis.classify import METHODS, classify, method_key
from web_map import style
from web_map.elements import CONTEXT_STYLE, Column, LegendItem, PathStyle
from web_map.page import MapPage, render_template

DEPARTEMENTS_URL = "/api/v1/departements?geometry=simplified"
#: Every commune's outline (OGC API – Tiles, collection ``communes``): communes absent from a spreadsheet stay
#: readable as a thin grey outline under the coloured ones.
COMMUNE_OUTLINE_TILES = "/ogc/collections/communes/tiles/WebMercatorQuad/{z}/{x}/{y}?properties=insee"
COMMUNE_OUTLINE_STYLE = PathStyle(color=style.NO_DATA_OUTLINE, weight=0.5, opacity=0.9, fill_color=None,
                                  interactive=False)


def class_bounds(bins: list[float], lower: float,
                 fmt: Callable[[float], str] = style.fr_number) -> list[str]:
    """French legend text of choropleth classes given their upper bounds and the lowest value (numbers
    written by ``fmt``)."""
    out = []
    for i, b in enumerate(bins):
        lo = lower if i == 0 else bins[i - 1]
        if len(bins) == 1 and lo == b:
            out.append(fmt(b))
        elif i == 0:
            out.append(f"de {fmt(lo)} à {fmt(b)}")
        else:
            out.append(f"plus de {fmt(lo)} à {fmt(b)}")
    return out


def integer_classes(breaks: list[float], lower: float) -> tuple[list[float], list[str]]:
    """Classes of counts: whole-number upper bounds (duplicates merged) and labels that never overlap
    ("1", "2 à 3", "4 à 7")."""
    bounds = sorted({int(math.ceil(b)) for b in breaks})
    labels = []
    for i, b in enumerate(bounds):
        lo = int(math.ceil(lower)) if i == 0 else bounds[i - 1] + 1
        labels.append(style.fr_number(b) if lo >= b else f"{style.fr_number(lo)} à {style.fr_number(b)}")
    return [float(b) for b in bounds], labels


def rounded_classes(breaks: list[float], lower: float, decimals: int = 1) -> tuple[list[float], list[str]]:
    """Classes of rates: upper bounds rounded up to ``decimals`` (duplicates merged), French labels."""
    step = 10 ** decimals
    bounds = sorted({math.ceil(b * step - 1e-9) / step for b in breaks})
    labels = []
    for i, b in enumerate(bounds):
        if i == 0:
            lo = math.floor(lower * step + 1e-9) / step
            labels.append(f"de {style.fr_number(lo, decimals)} à {style.fr_number(b, decimals)}")
        else:
            labels.append(f"plus de {style.fr_number(bounds[i - 1], decimals)} à {style.fr_number(b, decimals)}")
    return bounds, labels


def coverage_controls(types: list[dict[str, Any]], departements: list[dict[str, Any]],
                      current: dict[str, Any]) -> Markup:
    """The coverage page's form (type d'offre grouped by family, territory, measure, classes, method)."""
    groups: dict[str, list[dict[str, Any]]] = {k: [] for k in style.FAMILIES}
    for t in sorted(types, key=lambda t: str(t["label"] or "").casefold()):
        groups[style.family_for_type_offre(t["code"]).key].append(t)
    grouped = [{"label": style.FAMILIES[k].label, "codes": codes} for k, codes in groups.items() if codes]
    return Markup(render_template("_couverture_form.html", types=grouped, departements=departements,
                                  current=current, methods=list(METHODS.items())))


_COVERAGE_STYLE = PathStyle(color="#FFFFFF", weight=0.5, opacity=1, fill_color="#CCCCCC", fill_opacity=0.85)
_COVERAGE_TOOLTIP = [("nom", "Commune"), ("offres", "Offres"), ("pour_10000", "Pour 10 000 hab."),
                     ("population", "Population")]


def _coverage_layer(page: MapPage, url: str, *, tiles: bool, name: str, choropleth: dict[str, Any]) -> None:
    """The communes of the coverage map: vector tiles (layer ``couverture``) or fetched GeoJSON."""
    common: dict[str, Any] = {"name": name, "toggle": True, "highlight": True, "style": _COVERAGE_STYLE,
                              "choropleth": choropleth, "tooltip": _COVERAGE_TOOLTIP}
    if tiles:
        page.add_vector_tiles(url, layer="couverture", feature_id="insee", min_zoom=5, **common)
    else:
        page.add_remote_polygons(url, **common)


#: Rows of the coverage page's table beyond which it shows only the first ones (France-wide: 35,000 communes
#: made a 7.7 MB page); the GeoJSON link gives the whole list.
COVERAGE_TABLE_ROWS = 1000
#: Tables up to this many rows are shown whole (a région: Île-de-France has 1,286 communes and arrondissements).
COVERAGE_TABLE_WHOLE = 2000


def couverture_page(data: dict[str, Any], *, type_labels: list[str], extent: list[float] | None,
                    departement: str | None = None, per_10000: bool = False, classes: int = 5,
                    methode: str = "quantiles", basemap: str = "plan-ign", query: str = "",
                    tiles_url: str | None = None, controls: Markup | None = None,
                    data_date: str | None = None) -> MapPage:
    """Planners' choropleth: how many offers of the type(s) cover each commune; 'zones blanches'.

    ``data``: :func:`gis.layers.territoires.coverage_by_commune` without geometry (the page draws the
    polygons from the vector tiles ``tiles_url`` of the OGC API, else fetches the GeoJSON of
    ``/api/v1/couverture``); ``type_labels``: French labels of the chosen types d'offre; ``extent``: bbox
    of the département (or of the region) to fit.
    """
    summary = data["resume"]
    what = ", ".join(type_labels)
    prop = "pour_10000" if per_10000 else "offres"
    value_label = "Offres pour 10 000 habitants" if per_10000 else "Nombre d'offres"
    area = (f"département {departement}" if departement else "Île-de-France")
    sources = "Sources : ROR Île-de-France, INSEE (population), IGN Admin Express 2018, INSEE COG 2026"
    page = MapPage(f"Couverture : {what}", basemap=basemap,
                   subtitle=f"{value_label} couvrant chaque commune – {area}",
                   sources=sources + (f" – données du {data_date}" if data_date else ""))
    if controls is not None:
        page.add_html(controls, before_map=True)
    method = method_key(methode)
    values = [f["properties"][prop] for f in data["features"]
              if f["properties"][prop] not in (None, 0)]
    raw = classify(values, classes, method) if values else []
    lower = min(values) if values else 0
    breaks, labels = (rounded_classes(raw, lower) if per_10000 else integer_classes(raw, lower)) if raw else ([], [])
    colors = style.sequential_ramp(len(breaks)) if breaks else []
    remote = "/api/v1/couverture" + (f"?{query}" if query else "")
    _coverage_layer(page, tiles_url or remote, tiles=tiles_url is not None, name=value_label,
                    choropleth={"property": prop, "breaks": breaks, "colors": colors,
                                "zeroFill": style.ZERO_FILL, "noDataFill": style.NO_DATA_FILL})
    page.add_remote_polygons(DEPARTEMENTS_URL, name="Limites départementales",
                             style=CONTEXT_STYLE)
    if extent:
        page.fit_bounds(extent)
        # The territory fills the frame: quarter zoom steps (tiles are still asked at whole zoom levels, Leaflet
        # rounds the tile zoom and scales the tiles), a small margin.
        page.view.update(zoomSnap=0.25, fitPadding=4)
    items = [LegendItem(text, c, "fill") for text, c in zip(labels, colors, strict=True)]
    items.append(LegendItem("Aucune offre : zone blanche", kind="hatch"))
    page.add_legend(value_label, items, note=f"Discrétisation : {METHODS[method]}. Paris est représenté par "
                    "arrondissement. Une commune couverte par une offre de tout Paris ou du département compte.")
    page.add_legend("Repères", [LegendItem("Limite départementale", style.DEPARTEMENT_OUTLINE, "dashed")])
    if summary.get("communes_offres_fictives"):
        page.add_notice("Carte calculée en partie ou en totalité sur des offres fictives de démonstration "
                        f"({style.fr_number(summary['communes_offres_fictives'])} communes couvertes par au moins "
                        "une offre fictive) : elle ne décrit pas l'offre réelle.")
    pct_c = 100 * summary["communes_non_couvertes"] / summary["communes"] if summary["communes"] else 0
    pct_p = 100 * summary["population_non_couverte"] / summary["population"] if summary["population"] else 0
    page.add_html(Markup(
        '<section class="rg-summary" aria-labelledby="rg-summary-title"><h2 id="rg-summary-title">En bref</h2><ul>'
        "<li>{} communes ou arrondissements, dont <strong>{} sans aucune offre</strong> ({} %)</li>"
        "<li>Population non couverte : <strong>{} habitants</strong> ({} %)</li></ul>"
        '<p class="rg-exports">Données : <a href="{}" download>tableau CSV</a> · <a href="{}" download>tableau '
        'Excel (.xlsx)</a> · <a href="{}">GeoJSON</a>{}</p></section>'
    ).format(style.fr_number(summary["communes"]), style.fr_number(summary["communes_non_couvertes"]),
             style.fr_number(pct_c, 1), style.fr_number(summary["population_non_couverte"]),
             style.fr_number(pct_p, 1), f"{remote}&format=csv" if query else f"{remote}?format=csv",
             f"{remote}&format=xlsx" if query else f"{remote}?format=xlsx", remote,
             Markup(' – <a href="{}">tuiles vectorielles (TileJSON)</a>').format(
                 tiles_url.replace("{z}/{x}/{y}", "tilejson.json", 1)) if tiles_url else ""))
    rows = [{**f["properties"], "zone": "oui" if f["properties"]["offres"] == 0 else "non"}
            for f in data["features"]]
    title = f"{value_label} par commune ({len(rows)})"
    if len(rows) > COVERAGE_TABLE_WHOLE:  # France-wide: a page of the table, the whole list in the GeoJSON
        rows.sort(key=lambda r: (r["offres"] != 0, -(r["population"] or 0), r["insee"]))
        rows = rows[:COVERAGE_TABLE_ROWS]
        title = (f"{value_label} : les {COVERAGE_TABLE_ROWS} communes les plus exposées (zones blanches les plus "
                 f"peuplées d'abord) sur {style.fr_number(summary['communes'])} — liste complète : GeoJSON")
        page.add_notice(f"Tableau limité aux {COVERAGE_TABLE_ROWS} premières communes ; "
                        "la liste complète est dans le GeoJSON.")
    page.add_table(title,
                   [Column("nom", "Commune"), Column("insee", "Code INSEE"), Column("departement", "Dép."),
                    Column("population", "Population", numeric=True), Column("offres", "Offres", numeric=True),
                    Column("pour_10000", "Pour 10 000 hab.", numeric=True, decimals=2),
                    Column("zone", "Zone blanche")], rows)
    return page
