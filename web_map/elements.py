"""Plain building blocks of a map page: path styles, markers, legend items, tables.

Nothing here renders HTML from data except through :class:`markupsafe.Markup` formatting (values
escaped); everything a script needs is turned into plain JSON-able dicts (``as_js``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from web_map import style

_COLOR = re.compile(r"^#[0-9A-Fa-f]{3,8}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_controls(value: Any) -> Any:
    """NUL and other C0 control characters removed from a string (they have no place in a page and
    browsers render them unpredictably); Markup and non-strings are returned unchanged."""
    if isinstance(value, str) and not isinstance(value, Markup) and _CONTROL.search(value):
        return _CONTROL.sub("", value)
    return value


def text(value: Any) -> str:
    """Any value as escaped HTML text (``& < > " '`` escaped, control characters removed)."""
    return html.escape(_CONTROL.sub("", value if isinstance(value, str) else str(value)), quote=True)


def safe_color(value: str, default: str = style.PRIMARY) -> str:
    """``value`` if it is a hex colour, else ``default`` (colours end up in SVG attributes)."""
    return value if _COLOR.match(value or "") else default


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


@dataclass(frozen=True)
class PathStyle:
    """Leaflet path options (colour, weight, fill…)."""

    color: str = style.COMMUNE_OUTLINE
    weight: float = 2.5
    opacity: float = 1.0
    fill_color: str | None = style.COMMUNE_FILL
    fill_opacity: float = 0.12
    dash_array: str | None = None
    interactive: bool = True

    def as_leaflet(self) -> dict[str, Any]:
        """Leaflet ``path`` options."""
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
TERRITORY_STYLE = PathStyle(color="#00838F", weight=1.2, opacity=0.8, fill_color="#00838F", fill_opacity=0.1)
CHOROPLETH_STYLE = PathStyle(color="#FFFFFF", weight=0.6, opacity=1, fill_color="#CCCCCC", fill_opacity=0.85)


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
        """The marker as read by ``ror-map.js`` (texts are set with ``textContent`` there)."""
        out: dict[str, Any] = {"lat": round(self.lat, 5), "lon": round(self.lon, 5), "label": self.label,
                               "family": self.family if self.family in style.FAMILIES else "autre"}
        if self.details:
            out["details"] = [[str(k), str(v)] for k, v in self.details]
        if self.url and self.url.startswith("/") and not self.url.startswith("//"):
            out["url"] = self.url
        return out


_SWATCH = Markup('<svg class="rg-swatch" viewBox="0 0 22 15" width="22" height="15" aria-hidden="true" '
                 'focusable="false"><rect x="1" y="1" width="20" height="13" {}/></svg>')


@dataclass(frozen=True)
class LegendItem:
    """One legend line. ``kind``: fill, line, dashed, hatch, marker (``family`` required), cluster (a group
    of markers of one family, with its count)."""

    label: str
    color: str = style.PRIMARY
    kind: str = "fill"
    family: str | None = None

    def swatch(self) -> Markup:
        """The legend symbol as inline SVG (presentation attributes only: no ``style``, CSP-safe)."""
        if self.kind == "marker" and self.family in style.FAMILIES:
            return Markup(style.marker_svg(self.family, 20))
        color = safe_color(self.color)
        if self.kind == "cluster":
            return Markup('<svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">'
                          '<circle cx="12" cy="12" r="11" fill="{}" stroke="#fff" stroke-width="2"/>'
                          '<text x="12" y="16" text-anchor="middle" font-size="11" font-weight="700" '
                          'fill="#fff">5</text></svg>').format(color)
        attrs = {
            "hatch": Markup('fill="url(#rg-hatch)" stroke="{}" stroke-width="1"').format(style.INK),
            "line": Markup('fill="none" stroke="{}" stroke-width="3"').format(color),
            "dashed": Markup('fill="none" stroke="{}" stroke-width="2" stroke-dasharray="4 3"').format(color),
        }.get(self.kind, Markup('fill="{}" stroke="{}" stroke-width="1"').format(color, style.INK))
        return _SWATCH.format(attrs)


@dataclass
class Legend:
    """A titled list of legend items, with an optional note."""

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


def _cell(value: Any, col: Column) -> dict[str, Any]:
    if isinstance(value, Markup):  # built with Markup.format by a widget (values escaped): links, marks
        return {"text": value, "sort": value.striptags(), "numeric": False}
    if col.numeric and isinstance(value, int | float) and not isinstance(value, bool):
        return {"text": style.fr_number(value, col.decimals), "sort": value, "numeric": True}
    if value is None or value == "" or value == []:
        return {"text": "—", "sort": "", "numeric": col.numeric}
    if isinstance(value, list | tuple):
        text = ", ".join(str(v) for v in value)
        return {"text": text, "sort": text, "numeric": False}
    return {"text": value, "sort": str(value), "numeric": col.numeric}


@dataclass
class Table:
    """An HTML table carrying the same information as the map (sortable, keyboard usable)."""

    caption: str
    columns: list[Column]
    rows: list[Mapping[str, Any]]
    sortable: bool = True
    id: str = "rg-table"
    empty_text: str = "Aucune ligne."

    def cells(self) -> list[list[dict[str, Any]]]:
        """Rows as cells: ``{"text", "sort", "numeric"}``."""
        return [[_cell(row.get(col.key), col) for col in self.columns] for row in self.rows]

    def body_rows(self) -> list[Markup]:
        """The ``<tr>`` of the body, every value escaped (built in Python: a 1,300-row table renders in
        a few milliseconds instead of a hundred through template logic)."""
        out = []
        for row in self.rows:
            parts = []
            for i, col in enumerate(self.columns):
                cell = _cell(row.get(col.key), col)
                shown = cell["text"] if isinstance(cell["text"], Markup) else text(cell["text"])
                attrs = ' scope="row"' if i == 0 else ""
                if cell["numeric"]:
                    attrs += f' class="rg-num" data-sort="{text(cell["sort"])}"'
                elif cell["sort"] != cell["text"]:
                    attrs += f' data-sort="{text(cell["sort"])}"'
                tag = "th" if i == 0 else "td"
                parts.append(f"<{tag}{attrs}>{shown}</{tag}>")
            out.append(Markup("<tr>" + "".join(parts) + "</tr>"))
        return out
