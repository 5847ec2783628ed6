"""HTML responses of the pages and widgets (the HTTP side of :mod:`web_map`).

``error_response(settings, status_code=..., title=..., message=...)`` is the French HTML error page used by
the error table in :mod:`api.errors` for ``/`` and ``/cartes/*``. Every HTML answer carries the strict CSP
of :mod:`web_map.security`.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse
from markupsafe import Markup
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from gis.settings import Settings
from web_map import assets
from web_map.page import MapPage, render_template
from web_map.security import NO_STORE, PAGE_CACHE, page_headers

__all__ = ["CachedStaticFiles", "error_response", "html_response", "map_response",
           "static_mounts"]


def html_response(html: str, settings: Settings, *, status_code: int = 200, cache_control: str = PAGE_CACHE,
                  **csp: bool) -> HTMLResponse:
    """An HTML page with the page headers (CSP with frame-ancestors from the settings, cache, nosniff)."""
    return HTMLResponse(html, status_code=status_code,
                        headers=page_headers(settings, cache_control=cache_control, **csp))


def map_response(page: MapPage | str, settings: Settings, *, status_code: int = 200,
                 cache_control: str = PAGE_CACHE) -> HTMLResponse:
    """An HTML response for a map page."""
    html = page.render() if isinstance(page, MapPage) else page
    return html_response(html, settings, status_code=status_code, cache_control=cache_control)


def error_response(settings: Settings, *, status_code: int, title: str, message: str,
                   back_url: str | None = None, back_label: str = "Retour",
                   extra: Markup | None = None) -> HTMLResponse:
    """A French error page (never a stack trace), not cached; ``extra``: a block under the message (a form)."""
    html = render_template("error.html", title=title, message=message, status_code=status_code,
                           back_url=back_url, back_label=back_label, css=assets.page_css(), extra=extra)
    return html_response(html, settings, status_code=status_code, cache_control=NO_STORE)


class CachedStaticFiles(StaticFiles):
    """StaticFiles whose successful answers carry a long ``Cache-Control`` (URLs are versioned)."""

    def __init__(self, *args: Any, cache_control: str = assets.LONG_CACHE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cache_control = cache_control

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_cache(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 304):
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                headers.append((b"cache-control", self.cache_control.encode()))
                headers.append((b"x-content-type-options", b"nosniff"))
                message = {**message, "headers": headers}
            await send(message)

        await super().__call__(scope, receive, send_with_cache)


def static_mounts() -> list[tuple[str, str, CachedStaticFiles]]:
    """``(path, name, app)`` triples to mount on the FastAPI app."""
    return [(prefix, name, CachedStaticFiles(directory=folder)) for prefix, name, folder in assets.static_dirs()]
