"""HTTP headers of the map pages: CSP (with the embedding allow-list), caching, nosniff.

:func:`page_headers` is used by every map response; :class:`SecurityHeadersMiddleware` adds
``X-Content-Type-Options: nosniff`` everywhere and the map CSP to any ``/cartes`` answer that was
built elsewhere (e.g. by the global exception handlers).
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gis.settings import Settings

# Hosts the browser may fetch basemap tiles from (the only requests allowed to leave the host).
TILE_HOSTS: tuple[str, ...] = ("https://data.geopf.fr", "https://tile.openstreetmap.org")

PAGE_CACHE = "public, max-age=300"
PRIVATE_NO_STORE = "no-store, private"
_UNSAFE = re.compile(r"[;\r\n,]")


def frame_ancestors(settings: Settings) -> str:
    """The configured frame-ancestors allow-list, stripped of anything that could break the header."""
    value = _UNSAFE.sub(" ", settings.frame_ancestors or "").strip()
    return " ".join(value.split()) or "'none'"


def content_security_policy(settings: Settings) -> str:
    """CSP of a map page: own assets, inline scripts/styles (folium and Leaflet need them), tiles."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self' 'unsafe-inline'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: " + " ".join(TILE_HOSTS),
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors(settings)}",
        ]
    )


def page_headers(settings: Settings, *, cache_control: str = PAGE_CACHE) -> dict[str, str]:
    """Headers of a map page response."""
    return {
        "Content-Security-Policy": content_security_policy(settings),
        "Cache-Control": cache_control,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }


class SecurityHeadersMiddleware:
    """Pure ASGI middleware: nosniff on every answer; map CSP on ``/cartes`` answers lacking one."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.csp = content_security_policy(settings).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_map = scope.get("path", "").startswith("/cartes")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                if b"x-content-type-options" not in names:
                    headers.append((b"x-content-type-options", b"nosniff"))
                if is_map and b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", self.csp))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
