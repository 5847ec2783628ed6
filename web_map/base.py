"""Map-page factory used by every widget.

A :class:`MapPage` owns a folium map that loads only local assets (no CDN, no jQuery/Bootstrap),
a basemap (``plan-ign``, ``osm`` or ``aucun``), a metric scale bar, a title, an HTML legend, a
source line, and HTML tables carrying the same information as the map (sortable, keyboard usable).

Layers are composable::

    page = MapPage("Offres couvrant Saint-Denis", basemap="plan-ign")
    page.add_polygons(feature, name="Commune", style=CommuneStyle, fit=True)           # inline GeoJSON
    page.add_remote_polygons("/api/v1/departements?geometry=simplified", name="Départements")  # fetched
    page.add_markers([Marker(48.93, 2.36, "EHPAD Les Lilas", family="personnes_agees")], name="Offres")
    page.add_family_legend(["personnes_agees"])
    page.add_table("Offres", [Column("nom", "Nom")], rows)
    return map_response(page, settings)

Inline GeoJSON is for small layers (a commune, a few hundred simplified polygons); heavier
layers should be served by the JSON API and fetched by the page (:meth:`MapPage.add_remote_polygons`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import folium
from branca.element import MacroElement
from fastapi.responses import HTMLResponse
from folium.elements import JSCSSMixin
from folium.plugins import MarkerCluster
from folium.template import Template
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from gis.settings import Settings
from web_map import assets, style
from web_map.security import PAGE_CACHE, page_headers

DEFAULT_SOURCES = (
    "Sources : ROR Île-de-France (données fictives de démonstration), FINESS, "
    "IGN Admin Express 2018, INSEE COG 2026"
)
IDF_CENTER = (48.71, 2.50)

PLAN_IGN_URL = (
    "https://data.geopf.fr/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2&STYLE=normal&TILEMATRIXSET=PM&FORMAT=image/png"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"
)
OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

BASEMAPS: dict[str, dict[str, Any] | None] = {
    "plan-ign": {"tiles": PLAN_IGN_URL, "attr": "© IGN – Plan IGN", "name": "Plan IGN", "max_zoom": 19},
    "osm": {
        "tiles": OSM_URL,
        "attr": '© les contributeurs d’<a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>',
        "name": "OpenStreetMap",
        "max_zoom": 19,
    },
    "aucun": None,
}
_BASEMAP_ALIASES = {"none": "aucun", "plan_ign": "plan-ign", "planign": "plan-ign", "ign": "plan-ign"}

_env = Environment(
    loader=PackageLoader("web_map", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["fr_number"] = style.fr_number
_ids = itertools.count(1)


def basemap_key(value: str | None, default: str = "plan-ign") -> str:
    """Normalise a basemap name (``plan-ign``, ``osm``, ``aucun``/``none``); ValueError if unknown."""
    key = (value or default).strip().lower()
    key = _BASEMAP_ALIASES.get(key, key)
    if key not in BASEMAPS:
        raise ValueError(key)
    return key


def round_coords(obj: Any, ndigits: int = 5) -> Any:
    """A copy of a GeoJSON object (or coordinate array) with coordinates rounded to ``ndigits``."""
    if isinstance(obj, float):
        return round(obj, ndigits)
    if isinstance(obj, list | tuple):
        return [round_coords(v, ndigits) for v in obj]
    if isinstance(obj, dict):
        return {k: (round_coords(v, ndigits) if k in ("coordinates", "geometries", "geometry", "features", "bbox")
                    else v) for k, v in obj.items()}
    return obj


# --- folium elements ---------------------------------------------------------------------------
class LocalMap(folium.Map):
    """folium.Map with local assets only, a French zoom control, a metric scale bar and no
    page-wide CSS (the page template owns the layout)."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        {% endmacro %}
        {% macro html(this, kwargs) %}
            <div class="folium-map rg-map" id={{ this.get_name()|tojson }} role="region"
                 aria-label={{ this.aria_label|tojson }} aria-describedby="rg-map-desc"></div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.map(
                {{ this.get_name()|tojson }},
                {
                    center: {{ this.location|tojson }},
                    crs: L.CRS.{{ this.crs }},
                    ...{{this.options|tojavascript}}
                }
            );
            L.control.zoom({position: "topleft", zoomInTitle: "Zoom avant",
                            zoomOutTitle: "Zoom arrière"}).addTo({{ this.get_name() }});
            L.control.scale({metric: true, imperial: false, maxWidth: 160}).addTo({{ this.get_name() }});
            RorMap.setupMap({{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, *args: Any, aria_label: str = "Carte", **kwargs: Any) -> None:
        kwargs.setdefault("zoom_control", False)
        super().__init__(*args, **kwargs)
        # Per instance, so that add_js_link() never touches folium's class-level CDN lists.
        self.default_js = assets.leaflet_js()
        self.default_css = assets.leaflet_css()
        self.aria_label = aria_label


class LocalMarkerCluster(MarkerCluster):
    """folium's MarkerCluster served from our static files (for folium.Marker children)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_js = assets.markercluster_js()
        self.default_css = assets.markercluster_css()


class _RorElement(MacroElement):
    """Base of our data-driven layers: ``RorMap.<fn>(map, data, options)`` in the page script."""

    js_function = ""
    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = RorMap.{{ this.js_function }}(
                {{ this._parent.get_name() }}, {{ this.data|tojson }}, {{ this.options|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, data: Any, options: Mapping[str, Any]) -> None:
        super().__init__()
        self._name = type(self).__name__
        self.data = data
        self.options = dict(options)


class FitView(MacroElement):
    """Initial view fitted on bounds, without animation (the page opens directly on the data)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.fitBounds({{ this.bounds|tojson }}, {padding: [12, 12], animate: false});
        {% endmacro %}
        """
    )

    def __init__(self, bounds: list[list[float]]) -> None:
        super().__init__()
        self._name = "FitView"
        self.bounds = bounds


class InlineGeoJson(_RorElement):
    """A GeoJSON layer embedded in the page (keep it small)."""

    js_function = "geojson"


class RemoteGeoJson(_RorElement):
    """A GeoJSON layer fetched by the page from a same-origin URL (JSON API)."""

    js_function = "remoteGeojson"


class MarkerLayer(JSCSSMixin, _RorElement):
    """Markers with the family shape/letter icons, clustered with Leaflet.markercluster by default."""

    js_function = "markers"

    def __init__(self, data: Any, options: Mapping[str, Any]) -> None:
        super().__init__(data, options)
        if options.get("cluster"):
            self.default_js = assets.markercluster_js()
            self.default_css = assets.markercluster_css()
        else:
            self.default_js, self.default_css = [], []


# --- Page content ------------------------------------------------------------------------------
@dataclass(frozen=True)
class PathStyle:
    """Leaflet path options (colour, weight, fill…), French names stay out of here."""

    color: str = style.COMMUNE_OUTLINE
    weight: float = 2.5
    opacity: float = 1.0
    fill_color: str | None = style.COMMUNE_FILL
    fill_opacity: float = 0.12
    dash_array: str | None = None
    interactive: bool = True

    def as_leaflet(self) -> dict[str, Any]:
        out: dict[str, Any] = {"color": self.color, "weight": self.weight, "opacity": self.opacity,
                               "fill": self.fill_color is not None, "fillOpacity": self.fill_opacity,
                               "interactive": self.interactive}
        if self.fill_color:
            out["fillColor"] = self.fill_color
        if self.dash_array:
            out["dashArray"] = self.dash_array
        return out


COMMUNE_STYLE = PathStyle()
CONTEXT_STYLE = PathStyle(color=style.DEPARTEMENT_OUTLINE, weight=1.2, opacity=0.7, fill_color=None,
                          dash_array="4 3", interactive=False)


@dataclass(frozen=True)
class Marker:
    """One point of a marker layer. ``details``: (label, value) lines shown in the popup."""

    lat: float
    lon: float
    label: str
    family: str = "autre"
    details: Sequence[tuple[str, str]] = ()
    url: str | None = None

    def as_js(self) -> dict[str, Any]:
        out: dict[str, Any] = {"lat": round(self.lat, 5), "lon": round(self.lon, 5), "label": self.label,
                               "family": self.family if self.family in style.FAMILIES else "autre"}
        if self.details:
            out["details"] = [[str(k), str(v)] for k, v in self.details]
        if self.url:
            out["url"] = self.url
        return out


@dataclass(frozen=True)
class LegendItem:
    """One legend line. ``kind``: fill, line, dashed, hatch, marker (``family`` required)."""

    label: str
    color: str = style.PRIMARY
    kind: str = "fill"
    family: str | None = None

    def swatch(self) -> Markup:
        if self.kind == "marker" and self.family:
            return Markup(style.marker_svg(self.family, 20))
        if self.kind == "hatch":
            return Markup('<span class="rg-swatch rg-swatch-hatch"></span>')
        css = {
            "fill": f"background:{self.color};border-color:{style.INK}",
            "line": f"background:transparent;border:3px solid {self.color}",
            "dashed": f"background:transparent;border:2px dashed {self.color}",
        }.get(self.kind, f"background:{self.color}")
        return Markup('<span class="rg-swatch" style="{}"></span>').format(css)


@dataclass
class Legend:
    title: str
    items: list[LegendItem]
    note: str | None = None


@dataclass(frozen=True)
class Column:
    """A table column: key in the row dicts, French header, numeric (right-aligned, numeric sort)."""

    key: str
    label: str
    numeric: bool = False
    decimals: int | None = None


@dataclass
class Table:
    caption: str
    columns: list[Column]
    rows: list[Mapping[str, Any]]
    sortable: bool = True
    id: str = field(default_factory=lambda: f"rg-table-{next(_ids)}")
    empty_text: str = "Aucune ligne."

    def cells(self) -> list[list[dict[str, Any]]]:
        """Rows as cells: ``{"text", "sort", "numeric"}``."""
        out = []
        for row in self.rows:
            cells = []
            for col in self.columns:
                value = row.get(col.key)
                if col.numeric and isinstance(value, int | float):
                    cells.append({"text": style.fr_number(value, col.decimals), "sort": value, "numeric": True})
                elif value is None or value == "" or value == []:
                    cells.append({"text": "—", "sort": "", "numeric": col.numeric})
                elif isinstance(value, list | tuple):
                    text = ", ".join(str(v) for v in value)
                    cells.append({"text": text, "sort": text, "numeric": False})
                else:
                    cells.append({"text": value, "sort": str(value), "numeric": col.numeric})
            out.append(cells)
        return out


class MapPage:
    """One embeddable map page. Build it, add layers/legends/tables, then :meth:`render`."""

    def __init__(
        self,
        title: str,
        *,
        basemap: str | None = "plan-ign",
        subtitle: str | None = None,
        sources: str = DEFAULT_SOURCES,
        description: str | None = None,
        location: Sequence[float] = IDF_CENTER,
        zoom: int = 9,
    ) -> None:
        self.title = title
        self.subtitle = subtitle
        self.sources = sources
        self.basemap = basemap_key(basemap)
        self.description = description or (
            f"Carte interactive : {title}. Les informations de la carte figurent aussi dans les "
            "tableaux de la page."
        )
        self.legends: list[Legend] = []
        self.tables: list[Table] = []
        self.blocks_before: list[Markup] = []
        self.blocks_after: list[Markup] = []
        self.notices: list[str] = []
        self.map = LocalMap(location=list(location), zoom_start=zoom, tiles=None, aria_label=f"Carte : {title}")
        # Map-level zoom bounds (markercluster needs maxZoom even without a basemap).
        self.map.options.update(min_zoom=6, max_zoom=19)
        spec = BASEMAPS[self.basemap]
        if spec is not None:
            folium.TileLayer(tiles=spec["tiles"], attr=spec["attr"], name=spec["name"],
                             max_zoom=spec["max_zoom"], max_native_zoom=spec["max_zoom"],
                             detect_retina=False).add_to(self.map)

    # Layers -------------------------------------------------------------------------------------
    def _layer_options(self, name: str, style_: PathStyle | Mapping[str, Any] | None,
                       tooltip: Sequence[tuple[str, str]] | None, fit: bool,
                       choropleth: Mapping[str, Any] | None, *, toggle: bool = False, highlight: bool = False,
                       popup: Sequence[tuple[str, str]] | None = None) -> dict[str, Any]:
        if isinstance(style_, PathStyle):
            path = style_.as_leaflet()
        elif style_ is None:
            path = COMMUNE_STYLE.as_leaflet()
        else:
            path = dict(style_)
        opts: dict[str, Any] = {"name": name, "style": path, "fit": fit}
        if tooltip:
            opts["tooltip"] = [[prop, label] for prop, label in tooltip]
        if choropleth:
            opts["choropleth"] = dict(choropleth)
        if toggle:
            opts["toggle"] = True
        if highlight:
            opts["highlight"] = True
        if popup:
            opts["popup"] = [[prop, label] for prop, label in popup]
        return opts

    def add_polygons(
        self,
        geojson: Mapping[str, Any],
        *,
        name: str,
        style: PathStyle | Mapping[str, Any] | None = None,
        tooltip: Sequence[tuple[str, str]] | None = None,
        fit: bool = False,
        choropleth: Mapping[str, Any] | None = None,
        ndigits: int = 5,
        toggle: bool = False,
        highlight: bool = False,
        popup: Sequence[tuple[str, str]] | None = None,
    ) -> InlineGeoJson:
        """Embed a GeoJSON Feature/FeatureCollection (coordinates rounded to ``ndigits``).

        ``tooltip``: ``(property, French label)`` pairs; a property ``_fill`` on a feature overrides
        the fill colour; ``choropleth``: ``{"property", "breaks", "colors"}`` (classes computed in JS).
        """
        layer = InlineGeoJson(round_coords(dict(geojson), ndigits),
                              self._layer_options(name, style, tooltip, fit, choropleth, toggle=toggle,
                                                  highlight=highlight, popup=popup))
        layer.add_to(self.map)
        return layer

    def add_remote_polygons(
        self,
        url: str,
        *,
        name: str,
        style: PathStyle | Mapping[str, Any] | None = CONTEXT_STYLE,
        tooltip: Sequence[tuple[str, str]] | None = None,
        fit: bool = False,
        choropleth: Mapping[str, Any] | None = None,
        toggle: bool = False,
        highlight: bool = False,
        popup: Sequence[tuple[str, str]] | None = None,
    ) -> RemoteGeoJson:
        """A GeoJSON layer the page fetches from a same-origin URL; a failure is announced in the
        page (status region), never thrown."""
        if not url.startswith("/"):
            raise ValueError("remote layers must be same-origin paths (CSP connect-src 'self')")
        layer = RemoteGeoJson(url, self._layer_options(name, style, tooltip, fit, choropleth, toggle=toggle,
                                                       highlight=highlight, popup=popup))
        layer.add_to(self.map)
        return layer

    def add_markers(self, markers: Iterable[Marker], *, name: str, cluster: bool = True,
                    fit: bool = False, toggle: bool = False) -> MarkerLayer:
        """Markers drawn with the family shape + letter (see :mod:`web_map.style`)."""
        points = [m.as_js() for m in markers]
        used = sorted({p["family"] for p in points})
        families = {k: v for k, v in style.families_js().items() if k in used}
        layer = MarkerLayer(points, {"name": name, "cluster": cluster, "fit": fit, "families": families,
                                     "toggle": toggle})
        layer.add_to(self.map)
        return layer

    def fit_bounds(self, bbox: Sequence[float]) -> None:
        """Fit the view to ``[minx, miny, maxx, maxy]`` (GeoJSON order)."""
        minx, miny, maxx, maxy = bbox
        FitView([[round(miny, 5), round(minx, 5)], [round(maxy, 5), round(maxx, 5)]]).add_to(self.map)

    # Page content -------------------------------------------------------------------------------
    def add_legend(self, title: str, items: Sequence[LegendItem], note: str | None = None) -> Legend:
        legend = Legend(title, list(items), note)
        self.legends.append(legend)
        return legend

    def add_family_legend(self, families: Iterable[str] | None = None, title: str = "Familles d'offre") -> Legend:
        keys = list(families) if families is not None else list(style.FAMILIES)
        return self.add_legend(title, [LegendItem(style.FAMILIES[k].label, style.FAMILIES[k].color, "marker", k)
                                       for k in keys])

    def add_table(self, caption: str, columns: Sequence[Column], rows: Sequence[Mapping[str, Any]], *,
                  sortable: bool = True, empty_text: str = "Aucune ligne.") -> Table:
        table = Table(caption, list(columns), list(rows), sortable=sortable, empty_text=empty_text)
        self.tables.append(table)
        return table

    def add_html(self, markup: str | Markup, *, before_map: bool = False) -> None:
        """A trusted HTML block (build it with ``Markup.format`` to escape values)."""
        (self.blocks_before if before_map else self.blocks_after).append(Markup(markup))

    def add_notice(self, text: str) -> None:
        """A short French notice shown under the title (plain text, escaped)."""
        self.notices.append(text)

    def render(self) -> str:
        """The complete HTML page."""
        figure = self.map.get_root()
        for child in figure._children.values():
            child.render()
        return _env.get_template("page.html").render(
            page=self,
            head=Markup(figure.header.render()),
            map_html=Markup(figure.html.render()),
            map_script=Markup(figure.script.render()),
            st=style,
        )


# --- Responses ---------------------------------------------------------------------------------
def map_response(page: MapPage | str, settings: Settings, *, status_code: int = 200,
                 cache_control: str = PAGE_CACHE) -> HTMLResponse:
    """An HTML response for a map page, with CSP (frame-ancestors from settings), cache, nosniff."""
    html = page.render() if isinstance(page, MapPage) else page
    return HTMLResponse(html, status_code=status_code, headers=page_headers(settings, cache_control=cache_control))


def render_template(name: str, **context: Any) -> str:
    """Render one of our templates (autoescaped)."""
    return _env.get_template(name).render(**context)


def error_response(settings: Settings, *, status_code: int, title: str, message: str,
                   back_url: str | None = None, back_label: str = "Retour") -> HTMLResponse:
    """A French error page (never a stack trace), not cached."""
    html = render_template("error.html", title=title, message=message, status_code=status_code,
                           back_url=back_url, back_label=back_label, css=assets.leaflet_css())
    return HTMLResponse(html, status_code=status_code,
                        headers=page_headers(settings, cache_control="no-store"))


__all__ = [
    "BASEMAPS", "COMMUNE_STYLE", "CONTEXT_STYLE", "DEFAULT_SOURCES", "Column", "InlineGeoJson", "LegendItem",
    "LocalMap", "LocalMarkerCluster", "MapPage", "Marker", "MarkerLayer", "PathStyle", "RemoteGeoJson",
    "basemap_key", "error_response", "map_response", "render_template", "round_coords",
]
