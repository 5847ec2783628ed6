"""Basemaps of the map widgets: tile URL templates, attributions, and the hosts the CSP must allow.

The tile hosts allowed by the CSP come from the settings (``Settings.tile_hosts``); a basemap whose
host is not allowed is never offered.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Basemap:
    """One tile layer: key, French name, URL template, attribution (trusted HTML), zoom limit."""

    key: str
    name: str
    url: str
    attribution: str
    max_zoom: int = 19

    @property
    def origin(self) -> str:
        """``scheme://host`` of the tiles (what the CSP ``img-src`` must allow)."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    def as_js(self) -> dict[str, object]:
        """The options read by ``ror-map.js`` (``L.tileLayer``)."""
        return {"url": self.url, "attribution": self.attribution, "maxZoom": self.max_zoom, "name": self.name}


PLAN_IGN_URL = (
    "https://data.geopf.fr/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2&STYLE=normal&TILEMATRIXSET=PM&FORMAT=image/png"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"
)
OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

BASEMAPS: dict[str, Basemap | None] = {
    "plan-ign": Basemap("plan-ign", "Plan IGN", PLAN_IGN_URL, "© IGN – Plan IGN"),
    "osm": Basemap("osm", "OpenStreetMap", OSM_URL,
                   '© les contributeurs d’<a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'),
    "aucun": None,
}
_ALIASES = {"none": "aucun", "plan_ign": "plan-ign", "planign": "plan-ign", "ign": "plan-ign"}

# Default CSP allow-list of tile hosts (``Settings.tile_hosts`` overrides it).
DEFAULT_TILE_HOSTS: tuple[str, ...] = tuple(b.origin for b in BASEMAPS.values() if b is not None)


def basemap_key(value: str | None, default: str = "plan-ign") -> str:
    """Normalise a basemap name (``plan-ign``, ``osm``, ``aucun``/``none``); ValueError if unknown."""
    key = (value or default).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in BASEMAPS:
        raise ValueError(key)
    return key


def basemap(key: str) -> Basemap | None:
    """The basemap of a normalised key (None for ``aucun``)."""
    return BASEMAPS[basemap_key(key)]
