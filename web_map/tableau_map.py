"""The map of an uploaded spreadsheet (``/cartes/tableau``): classes, French labels, page and export rows.

Built from a :class:`gis.tableau.TableauResult`. Integer data get integer classes (``1``, ``2 à 3``…), large
numbers are written compactly (``1,5 million``), and the table of the result can always be downloaded: by the
shareable link when the data fit in a URL, otherwise by a form posting the same compressed data back
(nothing is stored by the service, any instance can answer).
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from gis.tableau import TableauResult
from web_map import assets, style
from web_map.choropleth import (
    COMMUNE_OUTLINE_STYLE,
    COMMUNE_OUTLINE_TILES,
    DEPARTEMENTS_URL,
    class_bounds,
    integer_classes,
)
from web_map.elements import CHOROPLETH_STYLE, CONTEXT_STYLE, Column, LegendItem
from web_map.page import MapPage, render_template

# The unmatched rows listed in the page (the count says how many there are in all): a file of 50,000 wrong codes
# must not make a 10 MB page.
UNMATCHED_SHOWN = 500
#: Beyond this many communes the polygons are not embedded in the page (about 10 kB each: 1,283 communes made a
#: 15 MB page) but drawn from the communes' vector tiles, coloured from a compact JSON of the values.
INLINE_COMMUNES = 100
_SCALES = ((1e12, "billion", "billions"), (1e9, "milliard", "milliards"), (1e6, "million", "millions"))


def fr_compact(value: float, decimals: int | None = None) -> str:
    """French number for labels: as :func:`web_map.style.fr_number` under a million, else ``1,5 million``,
    ``12 milliards``, ``1 000 billions`` (three significant digits at most)."""
    magnitude = abs(value)
    for scale, one, many in _SCALES:
        if magnitude >= scale:
            digits = 0 if magnitude / scale >= 100 else (1 if magnitude / scale >= 10 else 2)
            mantissa = round(value / scale, digits)
            shown = next(d for d in range(digits + 1) if abs(mantissa - round(mantissa, d)) < 1e-9)
            return f"{style.fr_number(mantissa, shown)} {one if abs(mantissa) < 2 else many}"
    return style.fr_number(value, decimals)


def class_labels(bins: list[float], lower: float, integers: bool) -> tuple[list[float], list[str]]:
    """Upper bounds and French labels of the classes: whole-number classes when every value is an integer."""
    if not bins:
        return [], []
    if integers:
        bounds, _ = integer_classes(bins, lower)
        labels = []
        for i, b in enumerate(bounds):
            lo = round(lower) if i == 0 else bounds[i - 1] + 1
            labels.append(fr_compact(b) if lo >= b else f"{fr_compact(lo)} à {fr_compact(b)}")
        return bounds, labels
    return bins, class_bounds(bins, lower, fmt=fr_compact)


def apply_classes(result: TableauResult) -> None:
    """Colours and French labels of the classes; ``classe``/``_fill``/``valeur_txt`` on rows and features."""
    non_zero = [e["valeur"] for e in result.matched if e["valeur"] != 0]
    lower = min(non_zero) if non_zero else 0.0
    bins, labels = class_labels(result.bins, lower, integers=result.decimals == 0)
    result.bins = bins
    colors = style.sequential_ramp(len(bins)) if bins else []

    def index(v: float) -> int:
        return next((i for i, b in enumerate(bins) if v <= b), len(bins) - 1)

    counts = [0] * len(bins)
    for e in result.matched:
        v = e["valeur"]
        e["valeur_txt"] = fr_compact(v, result.decimals if float(v).is_integer() else None)
        if v == 0:
            e["classe"], e["_fill"] = "valeur nulle (zone blanche)", style.ZERO_FILL
        else:
            i = index(v)
            counts[i] += 1
            e["classe_index"] = i
    result.classes = [{"label": f"{bounds} ({counts[i]} commune{'s' if counts[i] > 1 else ''})",
                       "bounds": bounds, "color": colors[i]} for i, bounds in enumerate(labels)]
    for e in result.matched:
        if "classe_index" in e:
            i = e.pop("classe_index")
            e["classe"], e["_fill"] = f"{i + 1} : {result.classes[i]['bounds']}", colors[i]
    by_insee = {e["insee"]: e for e in result.matched}
    for f in result.features:
        e = by_insee[f["id"]]
        f["properties"].update(valeur_txt=e["valeur_txt"], _fill=e["_fill"])


TABLEAU_EXPORT_HEADERS = ["Code INSEE", "Commune", "Code saisi", "Correspondance", "Valeur", "Classe",
                          "Ligne du fichier"]


def _cell_number(value: float) -> float | int:
    """An integer value as an int (``5``, not ``5,0``, in the CSV); values are bounded (|x| ≤ 1e15)."""
    return int(value) if float(value).is_integer() else value


def tableau_export_rows(result: TableauResult) -> list[list[Any]]:
    """The matched communes of a spreadsheet map as export rows (see :data:`TABLEAU_EXPORT_HEADERS`)."""
    if not result.classes:
        apply_classes(result)
    return [[e["insee"], e["nom"], e.get("code_saisi"), e.get("correspondance"), _cell_number(e["valeur"]),
             e.get("classe"), e.get("ligne")] for e in result.matched]


def _legends(page: MapPage, result: TableauResult, value_label: str) -> None:
    items = [LegendItem(c["label"], c["color"], "fill") for c in result.classes]
    if result.zero_count:
        items.append(LegendItem("Valeur nulle (0) : zone blanche", kind="hatch"))
    page.add_legend(value_label, items, note=f"Discrétisation : {result.method_label}, "
                    f"{len(result.classes)} classe(s). Communes absentes du fichier : contour gris, sans couleur.")
    page.add_legend("Repères", [LegendItem("Commune absente du fichier (sans valeur)", style.NO_DATA_OUTLINE, "line"),
                                LegendItem("Limite départementale", style.DEPARTEMENT_OUTLINE, "dashed")])


#: The POST route that returns the table of a map too large for a shareable link.
EXPORT_ACTION = "/cartes/tableau/export"


def _export_form(export: dict[str, str]) -> Markup:
    """A form posting the packed data back for the CSV/XLSX (no link: the data do not fit in a URL)."""
    hidden = Markup("").join(Markup('<input type="hidden" name="{}" value="{}">').format(k, v)
                             for k, v in export.items())
    return Markup(
        '<section class="rg-summary" aria-labelledby="rg-share-title"><h2 id="rg-share-title">Exporter</h2>'
        '<p>Tableau trop volumineux pour un lien de partage : conservez le fichier pour refaire la carte. '
        'Le résultat reste téléchargeable :</p><form method="post" action="{}" class="rg-exports">{}'
        '<button type="submit" name="format" value="csv">Tableau CSV</button> '
        '<button type="submit" name="format" value="xlsx">Tableau Excel (.xlsx)</button></form></section>'
    ).format(EXPORT_ACTION, hidden)


def _share_block(page: MapPage, share_url: str | None, export: dict[str, str] | None) -> None:
    if share_url:
        page.add_html(Markup(
            '<section class="rg-summary" aria-labelledby="rg-share-title"><h2 id="rg-share-title">Partager et '
            'exporter</h2><p><a href="{}">Lien vers cette carte</a> (les codes et valeurs du tableau sont dans le '
            'lien : rien n\'est conservé par le service) · <a href="{}" download>tableau CSV</a> · '
            '<a href="{}" download>tableau Excel (.xlsx)</a></p></section>'
        ).format(share_url, f"{share_url}&format=csv", f"{share_url}&format=xlsx"))
    elif export:
        page.add_html(_export_form(export))
    else:
        page.add_html(Markup('<p class="rg-summary">Tableau trop volumineux pour un lien de partage ou un '
                             'export : conservez le fichier pour refaire la carte.</p>'))


def inline_limit() -> int | None:
    """The ``inline_max`` of :func:`gis.tableau.analyse`: :data:`INLINE_COMMUNES`, None without vector tiles."""
    return INLINE_COMMUNES if assets.vector_tiles_available() else None


class _TiledTableauPage(MapPage):
    """A map page that also loads ``tableau-map.js`` (the vector-tile layer coloured from the page's values)."""

    def render(self) -> str:
        """The complete HTML page."""
        scripts = [*assets.map_js(vector_tiles=True), f"{assets.own_prefix()}/tableau-map.js"]
        return render_template("page.html", page=self, spec=self.spec(), css=assets.map_css(), scripts=scripts)


def _values_layer(page: MapPage, result: TableauResult, value_label: str) -> None:
    """The communes of the file from the vector tiles, coloured from their values (kind ``mvtValues``)."""
    index = {c["color"]: i for i, c in enumerate(result.classes)}
    layer = page.add_vector_tiles(COMMUNE_OUTLINE_TILES, name=value_label, layer="communes", feature_id="insee",
                                  min_zoom=5, style=CHOROPLETH_STYLE, highlight=True,
                                  tooltip=[("nom", "Commune"), ("valeur_txt", value_label)])
    layer["kind"] = "mvtValues"
    layer["values"] = {e["insee"]: [index.get(e["_fill"], -1), e["nom"], e["valeur_txt"]] for e in result.matched}
    layer["options"].update(colors=[c["color"] for c in result.classes], zeroFill=style.ZERO_FILL)


def tableau_page(result: TableauResult, *, basemap: str = "plan-ign", title: str | None = None,
                 share_url: str | None = None, export: dict[str, str] | None = None) -> MapPage:
    """The choropleth of an uploaded spreadsheet.

    ``share_url``: the map as a link (None: file too large); ``export``: the hidden fields of the export form
    (packed data, classes, method, title) offered when there is no link.
    """
    apply_classes(result)
    value_label = result.value_column
    tiled = not result.geometry_inline and assets.vector_tiles_available()
    page = (_TiledTableauPage if tiled else MapPage)(title or f"{value_label} par commune", basemap=basemap,
                   subtitle=f"Fichier « {result.filename} » – colonne code : « {result.code_column} », "
                            f"colonne valeur : « {value_label} »",
                   sources=f"Sources : fichier chargé par l'utilisateur ({result.filename}), "
                           "IGN Admin Express 2018, INSEE COG 2026")
    page.add_notice(f"Carte faite à partir d'un fichier fourni par un utilisateur (« {result.filename} ») : "
                    "ni le titre ni les valeurs ne proviennent du ROR ni ne sont vérifiés par le service.")
    if assets.vector_tiles_available():
        page.add_vector_tiles(COMMUNE_OUTLINE_TILES, name="Communes sans valeur", layer="communes",
                              style=COMMUNE_OUTLINE_STYLE, min_zoom=5)
    page.add_remote_polygons(DEPARTEMENTS_URL, name="Limites départementales",
                             style=CONTEXT_STYLE)
    if tiled:
        _values_layer(page, result, value_label)
    elif result.features:
        page.add_polygons({"type": "FeatureCollection", "features": result.features}, name=value_label,
                          style=CHOROPLETH_STYLE,
                          tooltip=[("nom", "Commune"), ("valeur_txt", value_label)])
    if result.bbox:
        page.fit_bounds(result.bbox)
    _legends(page, result, value_label)
    summary = Markup(
        '<section class="rg-summary" aria-labelledby="rg-summary-title"><h2 id="rg-summary-title">Bilan du '
        "rapprochement</h2><ul><li>{} ligne(s) de données lue(s) ({})</li><li>{} commune(s) cartographiée(s)"
        "</li><li>{} ligne(s) non rapprochée(s)</li></ul>"
        '<p><a href="/cartes/tableau">Charger un autre fichier</a></p></section>'
    ).format(result.rows_read, result.format_label, len(result.matched), len(result.unmatched))
    page.add_html(summary)
    _share_block(page, share_url, export)
    _tables(page, result, value_label)
    return page


def _tables(page: MapPage, result: TableauResult, value_label: str) -> None:
    page.add_table(
        f"Communes rapprochées ({len(result.matched)})",
        [Column("nom", "Commune"), Column("insee", "Code INSEE"), Column("code_saisi", "Code saisi"),
         Column("correspondance", "Correspondance"),
         Column("valeur", value_label, numeric=True, decimals=result.decimals),
         Column("classe", "Classe"), Column("ligne", "Ligne du fichier", numeric=True)],
        result.matched, empty_text="Aucune commune rapprochée.",
    )
    shown = result.unmatched[:UNMATCHED_SHOWN]
    more = f" ; les {len(shown)} premières" if len(shown) < len(result.unmatched) else ""
    page.add_table(
        f"Lignes non rapprochées ({len(result.unmatched)}{more})",
        [Column("ligne", "Ligne du fichier", numeric=True), Column("code_saisi", "Code saisi"),
         Column("valeur_saisie", "Valeur saisie"), Column("motif", "Motif")],
        shown, empty_text="Toutes les lignes ont été rapprochées.",
    )
