"""The map page every widget uses, rendered by Jinja2 (autoescape on) with no inline script.

Layers are composable::

    page = MapPage("Offres couvrant Saint-Denis", basemap="plan-ign")
    page.add_polygons(feature, name="Commune", style=COMMUNE_STYLE)                  # inline GeoJSON
    page.add_remote_polygons("/api/v1/departements?geometry=simplified", name="Départements")  # fetched
    page.add_markers([Marker(48.93, 2.36, "EHPAD Les Lilas", family="personnes_agees")], name="Offres")
    page.add_family_legend(["personnes_agees"])
    page.add_table("Offres", [Column("nom", "Nom")], rows)
    html = page.render()

Every data- or user-controlled string reaches the HTML through autoescape (text nodes and quoted
attributes) or reaches the script as JSON in a ``<script type="application/json">`` block, read by
``ror-map.js`` with ``JSON.parse``. Rendering is a template render: no geometry work, no query.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from jinja2 import Environment, PackageLoader
from markupsafe import Markup, escape

from web_map import assets, components, style
from web_map.basemaps import basemap, basemap_key
from web_map.elements import Column, Legend, LegendItem, Marker, Table, strip_controls

DEFAULT_SOURCES = "Sources : ROR Île-de-France, FINESS, IGN Admin Express 2018, INSEE COG 2026"
IDF_CENTER = (48.71, 2.50)

_env = Environment(loader=PackageLoader("web_map", "templates"), autoescape=True, trim_blocks=True,
                   lstrip_blocks=True, finalize=strip_controls)
_env.filters["fr_number"] = style.fr_number
_env.globals["own_static"] = assets.own_prefix


def render_template(name: str, **context: Any) -> str:
    """Render one of our templates (autoescaped)."""
    return _env.get_template(name).render(**context)


def family_legend() -> list[dict[str, Any]]:
    """The offer families with their marker (inline SVG, our own constants), for a page's legend."""
    return [{"key": f.key, "label": f.label, "svg": Markup(style.marker_svg(f, 20))}
            for f in style.FAMILIES.values()]


class MapPage:
    """One embeddable map page. Build it, add layers/legends/tables, then :meth:`render`."""

    def __init__(self, title: str, *, basemap: str | None = "plan-ign", subtitle: str | None = None,
                 sources: str = DEFAULT_SOURCES, description: str | None = None,
                 location: Sequence[float] = IDF_CENTER, zoom: int = 9) -> None:
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
        self.layers: list[dict[str, Any]] = []
        #: Compact (map-only) embed: no header, notices or tables; the legend overlaid on the map, collapsible.
        self.compact = False
        self.view: dict[str, Any] = {"center": [round(v, 5) for v in location], "zoom": zoom,
                                     "minZoom": 6, "maxZoom": 19}

    # Layers -------------------------------------------------------------------------------------
    def add_polygons(self, geojson: Mapping[str, Any], *, name: str, style: Any = None,
                     **options: Any) -> dict[str, Any]:
        """Embed a GeoJSON Feature/FeatureCollection (see :func:`web_map.components.geojson_layer`)."""
        layer = components.geojson_layer(geojson, name=name, path_style=style, **options)
        self.layers.append(layer)
        return layer

    def add_remote_polygons(self, url: str, *, name: str, **options: Any) -> dict[str, Any]:
        """A GeoJSON layer fetched from a same-origin URL; a failure is announced in the page."""
        if "style" in options:
            options["path_style"] = options.pop("style")
        layer = components.remote_layer(url, name=name, **options)
        self.layers.append(layer)
        return layer

    def add_vector_tiles(self, url: str, *, name: str, layer: str, **options: Any) -> dict[str, Any]:
        """A Mapbox Vector Tile layer (see :func:`web_map.components.vector_tile_layer`)."""
        if "style" in options:
            options["path_style"] = options.pop("style")
        tiles = components.vector_tile_layer(url, name=name, layer=layer, **options)
        self.layers.append(tiles)
        return tiles

    def add_markers(self, markers: Iterable[Marker], *, name: str, cluster: bool = True, fit: bool = False,
                    toggle: bool = False, extend_fit: bool = False) -> dict[str, Any]:
        """Markers drawn with the family shape + letter (``extend_fit``: widen the view fitted to a polygon layer)."""
        layer = components.marker_layer(markers, name=name, cluster=cluster, fit=fit, toggle=toggle,
                                        extend_fit=extend_fit)
        self.layers.append(layer)
        return layer

    def fit_bounds(self, bbox: Sequence[float]) -> None:
        """Fit the initial view to ``[minx, miny, maxx, maxy]`` (GeoJSON order), without animation."""
        minx, miny, maxx, maxy = bbox
        self.view["fit"] = [[round(miny, 5), round(minx, 5)], [round(maxy, 5), round(maxx, 5)]]

    @property
    def clustered(self) -> bool:
        """Whether a marker layer is clustered (Leaflet.markercluster is then loaded)."""
        return any(lyr["kind"] == "markers" and lyr["options"]["cluster"] for lyr in self.layers)

    @property
    def vector_tiles(self) -> bool:
        """Whether a layer is drawn from vector tiles (Leaflet.VectorGrid is then loaded)."""
        return any(lyr["kind"] == "mvt" for lyr in self.layers)

    # Page content -------------------------------------------------------------------------------
    def add_legend(self, title: str, items: Sequence[LegendItem], note: str | None = None) -> Legend:
        """A legend box beside the map."""
        legend = Legend(title, list(items), note)
        self.legends.append(legend)
        return legend

    def add_family_legend(self, families: Iterable[str] | None = None, title: str = "Familles d'offre") -> Legend:
        """A legend of the offer families."""
        legend = components.family_legend(families, title)
        self.legends.append(legend)
        return legend

    def add_table(self, caption: str, columns: Sequence[Column], rows: Sequence[Mapping[str, Any]], *,
                  sortable: bool = True, empty_text: str = "Aucune ligne.") -> Table:
        """A table under the map (ids are numbered per page: identical pages for identical data)."""
        table = Table(caption, list(columns), list(rows), sortable=sortable, empty_text=empty_text,
                      id=f"rg-table-{len(self.tables) + 1}")
        self.tables.append(table)
        return table

    def add_html(self, markup: Markup | str, *, before_map: bool = False) -> None:
        """An HTML block: a :class:`Markup` built with ``Markup.format`` (values escaped); a plain
        ``str`` is escaped as text."""
        block = markup if isinstance(markup, Markup) else escape(markup)
        (self.blocks_before if before_map else self.blocks_after).append(block)

    def add_notice(self, text: str) -> None:
        """A short French notice shown under the title (plain text, escaped)."""
        self.notices.append(text)

    # Rendering ----------------------------------------------------------------------------------
    def spec(self) -> dict[str, Any]:
        """Everything ``ror-map.js`` needs, as JSON-able data."""
        tiles = basemap(self.basemap)
        return {"view": self.view, "basemap": tiles.as_js() if tiles else None, "layers": self.layers}

    def render(self) -> str:
        """The complete HTML page."""
        cluster = self.clustered
        return render_template("page.html", page=self, spec=self.spec(), css=assets.map_css(cluster=cluster),
                               scripts=assets.map_js(cluster=cluster, vector_tiles=self.vector_tiles))
