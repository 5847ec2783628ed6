"""Local static assets: Leaflet and Leaflet.markercluster from the xstatic packages, our own CSS/JS.

Every asset URL carries a version (library version, or a hash of our static folder), so the files
can be cached for a year (``immutable``): a new release changes the URL.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import xstatic.pkg.leaflet as xs_leaflet
import xstatic.pkg.leaflet_markercluster as xs_cluster
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

STATIC_DIR = Path(__file__).resolve().parent / "static"
LONG_CACHE = "public, max-age=31536000, immutable"

LEAFLET_VERSION: str = xs_leaflet.VERSION
MARKERCLUSTER_VERSION: str = xs_cluster.VERSION


@lru_cache(maxsize=1)
def own_version() -> str:
    """Short hash of web_map/static (changes whenever one of our CSS/JS files changes)."""
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(STATIC_DIR).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def leaflet_prefix() -> str:
    return f"/static/leaflet/{LEAFLET_VERSION}"


def markercluster_prefix() -> str:
    return f"/static/markercluster/{MARKERCLUSTER_VERSION}"


def own_prefix() -> str:
    return f"/static/ror/{own_version()}"


def leaflet_js() -> list[tuple[str, str]]:
    """folium-style ``(name, url)`` list replacing folium's CDN JavaScript (Leaflet only: no jQuery,
    no Bootstrap, no awesome-markers)."""
    return [("leaflet", f"{leaflet_prefix()}/leaflet.js"), ("ror_map", f"{own_prefix()}/ror-map.js")]


def leaflet_css() -> list[tuple[str, str]]:
    return [("leaflet_css", f"{leaflet_prefix()}/leaflet.css"), ("ror_map_css", f"{own_prefix()}/ror-map.css")]


def markercluster_js() -> list[tuple[str, str]]:
    return [("markerclusterjs", f"{markercluster_prefix()}/leaflet.markercluster.js")]


def markercluster_css() -> list[tuple[str, str]]:
    return [
        ("markerclustercss", f"{markercluster_prefix()}/MarkerCluster.css"),
        ("markerclusterdefaultcss", f"{markercluster_prefix()}/MarkerCluster.Default.css"),
    ]


class CachedStaticFiles(StaticFiles):
    """StaticFiles whose successful answers carry a long ``Cache-Control`` (URLs are versioned)."""

    def __init__(self, *args, cache_control: str = LONG_CACHE, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.cache_control = cache_control

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_cache(message: dict) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 304):
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                headers.append((b"cache-control", self.cache_control.encode()))
                headers.append((b"x-content-type-options", b"nosniff"))
                message = {**message, "headers": headers}
            await send(message)

        await super().__call__(scope, receive, send_with_cache)


def static_mounts() -> list[tuple[str, str, CachedStaticFiles]]:
    """``(path, name, app)`` triples to mount on the FastAPI app."""
    return [
        (leaflet_prefix(), "static-leaflet", CachedStaticFiles(directory=xs_leaflet.BASE_DIR)),
        (markercluster_prefix(), "static-markercluster", CachedStaticFiles(directory=xs_cluster.BASE_DIR)),
        (own_prefix(), "static-ror", CachedStaticFiles(directory=STATIC_DIR)),
    ]
