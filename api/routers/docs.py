"""Self-hosted API documentation: ``/docs`` (Swagger UI) and ``/redoc`` (Redoc).

The Swagger UI and Redoc builds come from the ``fastapi-offline`` package and are served under
``/static/docs/<version>/`` (see :mod:`web_map.assets`); the pages load no script or font from
another host, start the viewers from external files (no inline script) and carry the strict page CSP,
loosened only for the styles these third-party viewers inject and Redoc's blob worker.
"""

from __future__ import annotations

from functools import lru_cache

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.html import html_response
from web_map import assets
from web_map.page import render_template
from web_map.security import PAGE_CACHE

router = APIRouter(include_in_schema=False)

# Redoc's sidebar shows a logo fetched from the vendor's CDN; the CSP would block it (and report it on
# every visit), so the bundle is served with that URL replaced by an empty local image.
_REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
_EMPTY_SVG = b"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"


@lru_cache(maxsize=1)
def _redoc_bundle() -> bytes:
    return (assets.docs_dir() / "redoc.standalone.js").read_bytes().replace(_REDOC_LOGO, _EMPTY_SVG)


def _page(request: Request, template: str, viewer: str) -> HTMLResponse:
    docs, own = assets.docs_prefix(), assets.own_prefix()
    css = [f"{docs}/swagger-ui.css"] if viewer == "swagger" else []
    scripts = ([f"{docs}/swagger-ui-bundle.js", f"{own}/docs-swagger.js"] if viewer == "swagger"
               else [f"{docs}/redoc.standalone.js", f"{own}/docs-redoc.js"])
    html = render_template(template, title=f"{request.app.title} — documentation de l'API",
                           openapi_url=request.app.openapi_url, css=[*css, f"{own}/docs.css"], scripts=scripts)
    return html_response(html, request.app.state.settings, cache_control=PAGE_CACHE, inline_styles=True,
                         workers=viewer == "redoc")


@router.api_route("/docs", methods=["GET", "HEAD"])
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI over ``/openapi.json``."""
    return _page(request, "docs.html", "swagger")


@router.api_route("/redoc", methods=["GET", "HEAD"])
def redoc(request: Request) -> HTMLResponse:
    """Redoc over ``/openapi.json``."""
    return _page(request, "docs.html", "redoc")


@router.get(f"{assets.docs_prefix()}/redoc.standalone.js")
def redoc_bundle() -> Response:
    """The Redoc bundle without its third-party logo URL (long-cached: the URL is versioned)."""
    return Response(_redoc_bundle(), media_type="text/javascript",
                    headers={"Cache-Control": assets.LONG_CACHE, "X-Content-Type-Options": "nosniff"})

