"""The planners' indicator map (``/cartes/taux-equipement``): equipment rates or 2SFCA accessibility per area.

Built like the coverage map (:mod:`web_map.choropleth`): classes computed here from the values (rounded bounds,
:func:`gis.classify.classify`), polygons fetched by the page from the GeoJSON of the indicator API (the cached
path), legend, summary with the data date and export links, and the full table. The controls are a plain GET form
(works without script); ``indicateurs.js`` only keeps the two selections exclusive and shows the fields of the
chosen indicator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup

from gis.classify import METHODS, classify, method_key
from gis.layers.indicateurs import NIVEAUX, RAYON_KM_MAX, RAYON_KM_MIN, Indicator
from web_map import assets, style
from web_map.choropleth import DEPARTEMENTS_URL, class_bounds
from web_map.elements import CONTEXT_STYLE, Column, LegendItem, PathStyle
from web_map.page import MapPage, render_template

API = {"taux": "/api/v1/indicateurs/taux-equipement", "accessibilite": "/api/v1/indicateurs/accessibilite"}
DECROISSANCE_CHOICES = [("paliers", "Paliers comme l'APL (1, 2/3, 1/3)"), ("gaussienne", "Gaussienne"),
                        ("aucune", "Aucune (2SFCA classique)")]
_STYLE = PathStyle(color="#FFFFFF", weight=0.5, opacity=1, fill_color="#CCCCCC", fill_opacity=0.85)
_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre")


@dataclass
class FormState:
    """The current values of the page's controls."""

    indicateur: str = "taux"
    type_offre: list[str] = field(default_factory=list)
    categorie: list[str] = field(default_factory=list)
    niveau: str = "commune"
    rayon_km: float = 15.0
    decroissance: str = "paliers"
    classes: int = 5
    methode: str = "quantiles"
    fond: str | None = None

    def api_params(self) -> list[tuple[str, str]]:
        """The query of the indicator API equivalent to the page (without format)."""
        params = [("type_offre", c) for c in self.type_offre] + [("categorie", c) for c in self.categorie]
        if self.indicateur == "accessibilite":
            params += [("rayon_km", f"{self.rayon_km:g}"), ("decroissance", self.decroissance)]
        else:
            params.append(("niveau", self.niveau))
        return params

    def api_url(self, fmt: str) -> str:
        """Same-origin URL of the indicator in format ``fmt``."""
        return API[self.indicateur] + "?" + urlencode([*self.api_params(), ("format", fmt)])


def fr_date(iso: str | None) -> str:
    """``2026-12-01T19:38:05+00:00`` → ``1er décembre 2026 à 19 h 38 (UTC)``."""
    if not iso:
        return "date inconnue"
    d = datetime.fromisoformat(iso).astimezone(UTC)
    day = "1er" if d.day == 1 else str(d.day)
    return f"{day} {_MONTHS[d.month - 1]} {d.year} à {d.hour} h {d.minute:02d} (UTC)"


class IndicatorPage(MapPage):
    """A map page with the controls' script and style added."""

    def render(self) -> str:
        return render_template("page.html", page=self, spec=self.spec(),
                               css=[*assets.map_css(), f"{assets.own_prefix()}/indicateurs.css"],
                               scripts=[*assets.map_js(), f"{assets.own_prefix()}/indicateurs.js"])


def _form(form: FormState, choices: dict[str, list[dict[str, Any]]]) -> Markup:
    return Markup(render_template(
        "indicateurs_form.html", form=form, choices=choices, niveaux=list(NIVEAUX.items()),
        decroissances=DECROISSANCE_CHOICES, methodes=list(METHODS.items()),
        rayon_min=RAYON_KM_MIN, rayon_max=RAYON_KM_MAX))


def _summary(result: Indicator, form: FormState) -> Markup:
    meta, resume = result.meta, result.resume
    fictives = (Markup(" – <strong>dont {} places fictives (données de démonstration)</strong>").format(
        style.fr_number(resume["places_fictives"])) if resume["places_fictives"] else "")
    sources = ", ".join(meta["sources_capacites"]) or "source non renseignée"
    method = ""
    if "methode" in meta:
        m = meta["methode"]
        method = Markup("<li>Méthode : {} ; rayon {} km ; décroissance : {}. Voir la documentation (README, "
                        "« Accessibilité (2SFCA) »).</li>").format(m["nom"], style.fr_number(m["rayon_km"]),
                                                                   m["decroissance_libelle"])
    return Markup(
        '<section class="rg-summary" aria-labelledby="rg-summary-title"><h2 id="rg-summary-title">En bref</h2><ul>'
        "<li><strong>{} places</strong> pour {} habitants : <strong>{} places pour 1 000 habitants</strong> "
        "(ensemble des zones){}</li>"
        "<li>{} structure(s) comptée(s), dont {} sans capacité connue (comptées pour 0 place)</li>"
        "<li>{} zone(s), dont {} sans aucune place</li>{}"
        "<li>Places comptées : {}. Capacités : {}.</li>"
        "<li>{}.</li>"
        '<li class="rg-indic-date">Données du {} (version {}).</li></ul>'
        '<p class="rg-exports">Exporter : <a href="{}">CSV</a> – <a href="{}">XLSX</a> – <a href="{}">GeoJSON</a>'
        ' – <a href="{}">JSON</a></p></section>'
    ).format(style.fr_number(resume["places"]), style.fr_number(resume["population"]),
             style.fr_number(resume["taux_pour_1000"], 2) if resume["taux_pour_1000"] is not None else "—",
             fictives, style.fr_number(resume["structures"]), style.fr_number(resume["sans_capacite"]),
             style.fr_number(resume["zones"]), style.fr_number(resume["zones_sans_place"]), method,
             meta["places_comptees"], sources, meta["population"], fr_date(meta["donnees"]["mise_a_jour"]),
             meta["donnees"]["version"], form.api_url("csv"), form.api_url("xlsx"), form.api_url("geojson"),
             form.api_url("json"))


def indicateurs_page(result: Indicator, form: FormState, *, choices: dict[str, list[dict[str, Any]]],
                     extent: list[float] | None, basemap: str = "plan-ign") -> MapPage:
    """The indicator map: controls, choropleth of the areas (GeoJSON of the API), legend, summary, exports, table.

    ``result``: the indicator without geometry (classes and table); ``form``: the controls' values; ``choices``:
    types d'offre and categories present in the data; ``extent``: bbox to fit.
    """
    access = form.indicateur == "accessibilite"
    prop = "accessibilite_pour_1000" if access else "taux_pour_1000"
    what = " ; ".join(result.meta["selection"]["libelles"])
    niveau = "commune" if access else form.niveau
    name = "Accessibilité (2SFCA)" if access else "Taux d'équipement"
    title = f"{name} : {what}"
    value_label = "Places accessibles pour 1 000 hab. (2SFCA)" if access else "Places pour 1 000 habitants"
    page = IndicatorPage(title, basemap=basemap,
                         subtitle=f"{value_label} – {NIVEAUX[niveau]} – Île-de-France",
                         sources=f"Sources : capacités {', '.join(result.meta['sources_capacites']) or 'ROR'}, "
                                 "population municipale INSEE (COG 2026), IGN Admin Express 2018")
    page.add_html(_form(form, choices), before_map=True)
    if not result.resume["places"]:
        resume = result.resume
        page.add_notice(f"Aucune place comptée pour cette sélection : {resume['structures']} unité(s) chargée(s), "
                        f"dont {resume['sans_capacite']} sans capacité connue.")
    rows = [f["properties"] for f in result.features]
    values = [r[prop] for r in rows if r[prop] not in (None, 0)]
    method = method_key(form.methode)
    breaks = classify(values, form.classes, method) if values else []
    colors = style.sequential_ramp(len(breaks)) if breaks else []
    tooltip = [("nom", "Zone"), (prop, value_label), ("places", "Places"), ("population", "Population")]
    page.add_remote_polygons(form.api_url("geojson"), name=value_label, toggle=True, highlight=True, style=_STYLE,
                             tooltip=tooltip,
                             choropleth={"property": prop, "breaks": breaks, "colors": colors,
                                         "zeroFill": style.ZERO_FILL, "noDataFill": style.NO_DATA_FILL})
    if niveau in ("commune", "epci"):
        page.add_remote_polygons(DEPARTEMENTS_URL, name="Limites départementales", style=CONTEXT_STYLE)
    if extent:
        page.fit_bounds(extent)
        page.view.update(zoomSnap=0.25, fitPadding=4)  # the région fills the frame, as on the coverage map
    lower = min(values) if values else 0
    items = [LegendItem(text, c, "fill") for text, c in zip(class_bounds(breaks, lower), colors, strict=True)]
    items.append(LegendItem("Aucune place accessible : 0" if access else "Aucune place : 0", kind="hatch"))
    note = (f"Discrétisation : {METHODS[method]}. Places comptées là où se trouve l'établissement (ou le lieu de "
            "l'offre) ; population municipale.")
    if access:
        note += " Accessibilité : places des communes situées dans le rayon, pondérées par la distance."
    page.add_legend(value_label, items, note=note)
    if niveau in ("commune", "epci"):
        page.add_legend("Repères", [LegendItem("Limite départementale", style.DEPARTEMENT_OUTLINE, "dashed")])
    page.add_html(_summary(result, form))
    columns = [Column("nom", "Zone"), Column("code", "Code"), Column("population", "Population", numeric=True),
               Column("places", "Places", numeric=True),
               Column("taux_pour_1000", "Places pour 1 000 hab.", numeric=True, decimals=2)]
    if access:
        columns.append(Column("accessibilite_pour_1000", "Accessibilité 2SFCA pour 1 000 hab.", numeric=True,
                              decimals=3))
    columns += [Column("structures", "Structures", numeric=True),
                Column("sans_capacite", "Sans capacité connue", numeric=True)]
    page.add_table(f"{value_label} par zone ({len(rows)})", columns, rows)
    return page
