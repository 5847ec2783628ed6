"""Map layers and legends as plain data: what ``ror-map.js`` draws.

Each function returns a JSON-able dict ``{"kind", ..., "options"}`` that the page embeds in its
``<script type="application/json">`` block; the browser script reads it with ``JSON.parse`` and
builds the Leaflet layers, setting every text with ``textContent`` (never as HTML).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from web_map import style
from web_map.elements import COMMUNE_STYLE, CONTEXT_STYLE, Legend, LegendItem, Marker, PathStyle, round_coords

StyleArg = PathStyle | Mapping[str, Any] | None


def layer_options(name: str, path_style: StyleArg, *, default: PathStyle = COMMUNE_STYLE,
                  tooltip: Sequence[tuple[str, str]] | None = None, fit: bool = False,
                  choropleth: Mapping[str, Any] | None = None, toggle: bool = False, highlight: bool = False,
                  popup: Sequence[tuple[str, str]] | None = None) -> dict[str, Any]:
    """Options of a polygon layer: name, Leaflet style, tooltip/popup fields, choropleth, behaviour."""
    if isinstance(path_style, PathStyle):
        path = path_style.as_leaflet()
    elif path_style is None:
        path = default.as_leaflet()
    else:
        path = dict(path_style)
    opts: dict[str, Any] = {"name": name, "style": path, "fit": fit, "toggle": toggle, "highlight": highlight}
    if tooltip:
        opts["tooltip"] = [[prop, label] for prop, label in tooltip]
    if popup:
        opts["popup"] = [[prop, label] for prop, label in popup]
    if choropleth:
        opts["choropleth"] = dict(choropleth)
    return opts


def geojson_layer(geojson: Mapping[str, Any], *, name: str, path_style: StyleArg = None, ndigits: int = 5,
                  **options: Any) -> dict[str, Any]:
    """A GeoJSON Feature/FeatureCollection embedded in the page (keep it small).

    A feature property ``_fill`` overrides the fill colour; ``choropleth``: ``{"property", "breaks",
    "colors", "zeroFill", "noDataFill"}`` (the class of each feature is computed in the browser).
    """
    return {"kind": "geojson", "data": round_coords(dict(geojson), ndigits),
            "options": layer_options(name, path_style, **options)}


def remote_layer(url: str, *, name: str, path_style: StyleArg = CONTEXT_STYLE, **options: Any) -> dict[str, Any]:
    """A GeoJSON layer fetched by the page from a same-origin path (CSP ``connect-src 'self'``)."""
    if not url.startswith("/") or url.startswith("//"):
        raise ValueError("remote layers must be same-origin paths (CSP connect-src 'self')")
    return {"kind": "remote", "url": url,
            "options": layer_options(name, path_style, default=CONTEXT_STYLE, **options)}


def vector_tile_layer(url: str, *, name: str, layer: str, feature_id: str | None = None,
                      min_zoom: int = 0, max_native_zoom: int = 16, path_style: StyleArg = None,
                      **options: Any) -> dict[str, Any]:
    """Mapbox Vector Tiles from a same-origin URL template (``…/{z}/{x}/{y}?…``), drawn as SVG paths.

    ``layer``: the MVT layer to draw (the OGC collection id); ``feature_id``: the property identifying a
    feature across tiles (hover/click highlight of every piece). Same options as a GeoJSON layer
    (style, choropleth, tooltip, highlight, toggle).
    """
    if not url.startswith("/") or url.startswith("//"):
        raise ValueError("vector tiles must come from same-origin paths (CSP connect-src 'self')")
    opts = layer_options(name, path_style, **options)
    opts.update(layer=layer, featureId=feature_id, minZoom=min_zoom, maxNativeZoom=max_native_zoom)
    return {"kind": "mvt", "url": url, "options": opts}


def marker_layer(markers: Iterable[Marker], *, name: str, cluster: bool = True, fit: bool = False,
                 toggle: bool = False, extend_fit: bool = False) -> dict[str, Any]:
    """Markers drawn with their family's shape and letter (see :mod:`web_map.style`); ``extend_fit``: the view
    fitted to an earlier polygon layer is widened to the markers too."""
    points = [m.as_js() for m in markers]
    used = {p["family"] for p in points}
    families = {k: v for k, v in style.families_js().items() if k in used}
    return {"kind": "markers", "data": points,
            "options": {"name": name, "cluster": cluster, "fit": fit or extend_fit, "extendFit": extend_fit,
                        "toggle": toggle, "families": families}}


def family_legend(families: Iterable[str] | None = None, title: str = "Familles d'offre") -> Legend:
    """A legend of the offer families (marker shape, letter and colour)."""
    keys = list(families) if families is not None else list(style.FAMILIES)
    return Legend(title, [LegendItem(style.FAMILIES[k].label, style.FAMILIES[k].color, "marker", k) for k in keys])
