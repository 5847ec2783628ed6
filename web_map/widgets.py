"""Concrete map pages built with :class:`web_map.base.MapPage`.

Each builder returns the page (not the response) so that other layers (offers, zones…) can be
added on top before rendering.
"""

from __future__ import annotations

from typing import Any

import psycopg
from markupsafe import Markup

from gis.layers import communes
from gis.layers.tableau import TableauResult
from web_map import style
from web_map.base import COMMUNE_STYLE, CONTEXT_STYLE, Column, LegendItem, MapPage, PathStyle

_TYPE_LABELS = {"commune": "Commune", "arrondissement-municipal": "Arrondissement municipal"}
_ALIAS_KINDS = {"ancien": "ancien code INSEE", "deleguee": "code de commune déléguée",
                "associee": "code de commune associée"}


def commune_page(conn: psycopg.Connection, code: str, *, basemap: str = "plan-ign") -> MapPage:
    """The commune widget: full outline, fitted view, legend, facts table.

    Raises InvalidInput (malformed code) or NotFound (unknown code).
    """
    feature = communes.feature(conn, code, geometry="full")
    props: dict[str, Any] = feature["properties"]
    nom = props["nom"]
    page = MapPage(f"Offres couvrant {nom}", basemap=basemap,
                   subtitle=f"{_TYPE_LABELS.get(props['type'], 'Commune')} – {props['departement_nom']} "
                            f"({props['departement']})")
    if props.get("code_demande"):
        kind = _ALIAS_KINDS.get(props.get("type_code_demande", ""), "ancien code")
        page.add_notice(f"Le code {props['code_demande']} ({kind}) correspond aujourd'hui à {nom} "
                        f"({props['insee']}).")
    display = {"type": "Feature", "id": feature["id"], "geometry": feature["geometry"],
               "properties": {"nom": nom, "insee": props["insee"], "population": props["population"]}}
    page.add_polygons(display, name=f"Limite communale de {nom}", style=COMMUNE_STYLE,
                      tooltip=[("nom", "Commune"), ("insee", "Code INSEE"), ("population", "Population")])
    if feature.get("bbox"):
        page.fit_bounds(feature["bbox"])
    page.add_legend("Légende", [LegendItem(f"Limite communale de {nom}", style.COMMUNE_OUTLINE, "line")])
    page.add_table(f"Caractéristiques de {nom}", [Column("label", "Caractéristique"), Column("value", "Valeur")],
                   commune_facts(props), sortable=False)
    return page


def commune_facts(props: dict[str, Any]) -> list[dict[str, Any]]:
    """Two-column rows (label, value) describing a commune, in French."""
    rows: list[tuple[str, Any]] = [
        ("Nom", props["nom"]),
        ("Code INSEE", props["insee"]),
        ("Type", _TYPE_LABELS.get(props["type"], props["type"])),
        ("Département", f"{props['departement_nom']} ({props['departement']})"),
        ("Codes postaux", ", ".join(props.get("codes_postaux") or []) or None),
        ("Population municipale", style.fr_number(props["population"]) if props.get("population") else None),
        ("Superficie", f"{style.fr_number(props['superficie_km2'], 2)} km²" if props.get("superficie_km2") else None),
        ("Intercommunalité (EPCI)", props.get("epci_nom")),
        ("Établissement public territorial", props.get("ept_nom")),
        ("Commune de rattachement", props.get("parent_nom")),
        ("Anciens codes rattachés", ", ".join(props.get("codes_anciens") or []) or None),
        ("Arrondissements", ", ".join(props.get("arrondissements") or []) or None),
    ]
    return [{"label": k, "value": v} for k, v in rows if v not in (None, "")]


# --- Spreadsheet choropleth ----------------------------------------------------------------------
def apply_classes(result: TableauResult) -> None:
    """Colours and French labels of the classes; ``classe``/``_fill``/``valeur_txt`` on rows and features."""
    bins = result.bins
    colors = style.sequential_ramp(len(bins)) if bins else []
    non_zero = [e["valeur"] for e in result.matched if e["valeur"] != 0]
    lower = min(non_zero) if non_zero else 0.0

    def index(v: float) -> int:
        return next((i for i, b in enumerate(bins) if v <= b), len(bins) - 1)

    counts = [0] * len(bins)
    for e in result.matched:
        v = e["valeur"]
        e["valeur_txt"] = style.fr_number(v, result.decimals if float(v).is_integer() else None)
        if v == 0:
            e["classe"], e["_fill"] = "valeur nulle (zone blanche)", style.ZERO_FILL
        else:
            i = index(v)
            counts[i] += 1
            e["classe_index"] = i
    result.classes = []
    for i, b in enumerate(bins):
        lo = lower if i == 0 else bins[i - 1]
        bounds = (f"de {style.fr_number(lo)} à {style.fr_number(b)}" if i == 0
                  else f"plus de {style.fr_number(lo)} à {style.fr_number(b)}")
        if len(bins) == 1 and lo == b:
            bounds = style.fr_number(b)
        result.classes.append({"label": f"{bounds} ({counts[i]} commune{'s' if counts[i] > 1 else ''})",
                               "bounds": bounds, "color": colors[i]})
    for e in result.matched:
        if "classe_index" in e:
            i = e.pop("classe_index")
            e["classe"], e["_fill"] = f"{i + 1} : {result.classes[i]['bounds']}", colors[i]
    by_insee = {e["insee"]: e for e in result.matched}
    for f in result.features:
        e = by_insee[f["id"]]
        f["properties"].update(valeur_txt=e["valeur_txt"], _fill=e["_fill"])


def tableau_page(result: TableauResult, *, basemap: str = "plan-ign", title: str | None = None) -> MapPage:
    """The choropleth of an uploaded spreadsheet."""
    apply_classes(result)
    value_label = result.value_column
    page = MapPage(title or f"{value_label} par commune", basemap=basemap,
                   subtitle=f"Fichier « {result.filename} » – colonne code : « {result.code_column} », "
                            f"colonne valeur : « {value_label} »",
                   sources=f"Sources : fichier chargé par l'utilisateur ({result.filename}), "
                           "IGN Admin Express 2018, INSEE COG 2026")
    page.add_remote_polygons("/api/v1/departements?geometry=simplified", name="Limites départementales",
                             style=CONTEXT_STYLE)
    if result.features:
        page.add_polygons({"type": "FeatureCollection", "features": result.features}, name=value_label,
                          style=PathStyle(color="#FFFFFF", weight=0.6, opacity=1, fill_color="#CCCCCC",
                                          fill_opacity=0.85),
                          tooltip=[("nom", "Commune"), ("valeur_txt", value_label)])
    if result.bbox:
        page.fit_bounds(result.bbox)
    items = [LegendItem(c["label"], c["color"], "fill") for c in result.classes]
    if result.zero_count:
        items.append(LegendItem("Valeur nulle (0) : zone blanche", kind="hatch"))
    page.add_legend(value_label, items, note=f"Discrétisation : {result.method_label}, "
                    f"{len(result.classes)} classe(s). Communes absentes du fichier : non représentées.")
    page.add_legend("Repères", [LegendItem("Limite départementale", style.DEPARTEMENT_OUTLINE, "dashed")])
    summary = Markup(
        '<section class="rg-summary" aria-labelledby="rg-summary-title"><h2 id="rg-summary-title">Bilan du '
        "rapprochement</h2><ul><li>{} ligne(s) de données lue(s) ({})</li><li>{} commune(s) cartographiée(s)"
        "</li><li>{} ligne(s) non rapprochée(s)</li></ul>"
        '<p><a href="/cartes/tableau">Charger un autre fichier</a></p></section>'
    ).format(result.rows_read, result.format_label, len(result.matched), len(result.unmatched))
    page.add_html(summary)
    dec = result.decimals
    page.add_table(
        f"Communes rapprochées ({len(result.matched)})",
        [Column("nom", "Commune"), Column("insee", "Code INSEE"), Column("code_saisi", "Code saisi"),
         Column("correspondance", "Correspondance"), Column("valeur", value_label, numeric=True, decimals=dec),
         Column("classe", "Classe"), Column("ligne", "Ligne du fichier", numeric=True)],
        result.matched, empty_text="Aucune commune rapprochée.",
    )
    page.add_table(
        f"Lignes non rapprochées ({len(result.unmatched)})",
        [Column("ligne", "Ligne du fichier", numeric=True), Column("code_saisi", "Code saisi"),
         Column("valeur_saisie", "Valeur saisie"), Column("motif", "Motif")],
        result.unmatched, empty_text="Toutes les lignes ont été rapprochées.",
    )
    return page
