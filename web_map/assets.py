"""Local static assets: Leaflet and Leaflet.markercluster from the xstatic packages, Leaflet.VectorGrid
from npm (``web_map/vendor``, installed by ``scripts/bootstrap.sh``), Swagger UI and Redoc from the
``fastapi-offline`` package, our own CSS/JS.

Every asset URL carries a version (library version, or a hash of our static folder), so the files
can be cached for a year (``immutable``): a new release changes the URL. The HTTP side (mounting
the folders) lives in :mod:`api.html`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from functools import lru_cache
from importlib import metadata, util
from pathlib import Path

import xstatic.pkg.leaflet as xs_leaflet
import xstatic.pkg.leaflet_markercluster as xs_cluster

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
VECTORGRID_PACKAGE = Path(__file__).resolve().parent / "vendor" / "node_modules" / "leaflet.vectorgrid"
VECTORGRID_JS = "Leaflet.VectorGrid.bundled.min.js"
DRAW_PACKAGE = Path(__file__).resolve().parent / "vendor" / "node_modules" / "leaflet-draw"
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
    """URL folder of Leaflet."""
    return f"/static/leaflet/{LEAFLET_VERSION}"


def markercluster_prefix() -> str:
    """URL folder of Leaflet.markercluster."""
    return f"/static/markercluster/{MARKERCLUSTER_VERSION}"


@lru_cache(maxsize=1)
def vectorgrid_version() -> str | None:
    """Version of the installed Leaflet.VectorGrid (npm), or None when ``npm ci`` has not been run."""
    try:
        version = json.loads((VECTORGRID_PACKAGE / "package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        version = None
    if version is None or not (VECTORGRID_PACKAGE / "dist" / VECTORGRID_JS).is_file():
        logger.warning("Leaflet.VectorGrid is not installed (run scripts/bootstrap.sh): maps use GeoJSON, "
                       "not vector tiles")
        return None
    return str(version)


def vector_tiles_available() -> bool:
    """Whether the maps can draw vector tiles (Leaflet.VectorGrid installed)."""
    return vectorgrid_version() is not None


def vectorgrid_prefix() -> str:
    """URL folder of Leaflet.VectorGrid's ``dist`` folder."""
    return f"/static/vectorgrid/{vectorgrid_version()}"


@lru_cache(maxsize=1)
def draw_version() -> str | None:
    """Version of the installed Leaflet.draw (npm, for the zone editor), or None when it is not installed."""
    try:
        version = json.loads((DRAW_PACKAGE / "package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        return None
    return str(version) if (DRAW_PACKAGE / "dist" / "leaflet.draw.js").is_file() else None


def draw_prefix() -> str:
    """URL folder of Leaflet.draw's ``dist`` folder."""
    return f"/static/leaflet-draw/{draw_version()}"


def own_prefix() -> str:
    """URL folder of our own CSS/JS."""
    return f"/static/ror/{own_version()}"


@lru_cache(maxsize=1)
def docs_version() -> str:
    """Version of the package shipping the Swagger UI and Redoc builds."""
    return metadata.version("fastapi-offline")


def docs_prefix() -> str:
    """URL folder of the Swagger UI / Redoc builds."""
    return f"/static/docs/{docs_version()}"


def docs_dir() -> Path:
    """Folder of ``swagger-ui-bundle.js``, ``swagger-ui.css`` and ``redoc.standalone.js``."""
    # Located without importing the package (it would import FastAPI; only its static files are used).
    spec = util.find_spec("fastapi_offline")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the fastapi-offline package (Swagger UI and Redoc builds) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def map_css(*, cluster: bool = False) -> list[str]:
    """Stylesheets of a map page."""
    css = [f"{leaflet_prefix()}/leaflet.css"]
    if cluster:
        css += [f"{markercluster_prefix()}/MarkerCluster.css", f"{markercluster_prefix()}/MarkerCluster.Default.css"]
    return [*css, f"{own_prefix()}/ror-map.css"]


def map_js(*, cluster: bool = False, vector_tiles: bool = False) -> list[str]:
    """Scripts of a map page, in load order (no inline script: ``ror-map.js`` reads the page's JSON block)."""
    js = [f"{leaflet_prefix()}/leaflet.js"]
    if cluster:
        js.append(f"{markercluster_prefix()}/leaflet.markercluster.js")
    if vector_tiles:
        js.append(f"{vectorgrid_prefix()}/{VECTORGRID_JS}")
    return [*js, f"{own_prefix()}/ror-map.js", f"{own_prefix()}/ror-export.js"]


def page_css() -> list[str]:
    """Stylesheets of the human pages (coordinator, embed builder, forms, errors)."""
    return [f"{own_prefix()}/ror-map.css", f"{own_prefix()}/pages.css"]


def static_dirs() -> list[tuple[str, str, Path]]:
    """``(url prefix, name, folder)`` of every static folder to serve."""
    dirs = [
        (leaflet_prefix(), "static-leaflet", Path(xs_leaflet.BASE_DIR)),
        (markercluster_prefix(), "static-markercluster", Path(xs_cluster.BASE_DIR)),
        (own_prefix(), "static-ror", STATIC_DIR),
        (docs_prefix(), "static-docs", docs_dir()),
    ]
    if vector_tiles_available():
        dirs.append((vectorgrid_prefix(), "static-vectorgrid", VECTORGRID_PACKAGE / "dist"))
    if draw_version() is not None:
        dirs.append((draw_prefix(), "static-leaflet-draw", DRAW_PACKAGE / "dist"))
    return dirs
