"""Human pages: the coordinator search page (``/``) and the embed-code builder (``/cartes/integrer``).

Both are static HTML shells rendered from :mod:`web_map` templates; the browser fills them from the
JSON API (same origin) with ``coordinateur.js`` / ``integrer.js``. The state lives in the query string
(read by the scripts, written into the DOM as text only), so the server needs no database here.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.html import html_response
from gis.settings import Settings
from web_map import assets, style
from web_map.basemaps import basemap_key
from web_map.page import family_legend, render_template
from web_map.security import PAGE_CACHE, frame_ancestors

router = APIRouter(tags=["pages"])


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _base_url(settings: Settings) -> str:
    """Absolute base URL for embed codes: the configured public URL, else empty (the script then uses
    the page's own origin). Never the request's ``Host`` header: the page is cached by URL."""
    return (settings.public_url or "").rstrip("/")


def _default_basemap(settings: Settings) -> str:
    try:
        return basemap_key(settings.basemap)
    except ValueError:
        return "plan-ign"


def _assets(*scripts: str) -> dict[str, object]:
    prefix = assets.own_prefix()
    return {"css": assets.page_css(), "scripts": [f"{prefix}/{name}" for name in (*scripts, "session.js")]}


@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
def coordinateur(request: Request) -> HTMLResponse:
    """Commune search, filters, map and table of the offers covering the commune, exports."""
    html = render_template("coordinateur.html", families=family_legend(), catalog=style.families_catalog(),
                           **_assets("coordinateur.js"))
    return html_response(html, _settings(request), cache_control=PAGE_CACHE)


@router.head("/cartes/integrer", include_in_schema=False)
@router.get("/cartes/integrer", response_class=HTMLResponse, summary="Générateur de code d'intégration des cartes")
def integrer(request: Request) -> HTMLResponse:
    """Choose a map widget, its size and basemap; get the ``<iframe>`` code and a live preview.
    Prefilled from the query string (``carte=commune&insee=93066&type_offre=30``)."""
    settings = _settings(request)
    html = render_template(
        "integrer.html",
        base_url=_base_url(settings),
        frame_ancestors=frame_ancestors(settings),
        default_basemap=_default_basemap(settings),
        **_assets("coordinateur.js", "integrer.js"),
    )
    return html_response(html, settings, cache_control=PAGE_CACHE)



@router.api_route("/favicon.ico", methods=["GET", "HEAD"], include_in_schema=False)
def favicon() -> RedirectResponse:
    """Browsers that ignore ``<link rel="icon">`` ask for ``/favicon.ico``: the versioned SVG icon."""
    return RedirectResponse(f"{assets.own_prefix()}/favicon.svg", status_code=301,
                            headers={"Cache-Control": "public, max-age=86400"})
