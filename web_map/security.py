"""Security headers of the HTML pages: a strict CSP (with the embedding allow-list, the tile hosts and
violation reports), caching, nosniff. Pure functions of the settings (the HTTP side is in :mod:`api.html`).

The CSP allows scripts and styles from this origin only (no ``'unsafe-inline'``, no nonce: pages are
cached and must be identical for identical data), images from this origin and the allow-listed tile
hosts, fetches to this origin; objects, ``<base>`` and foreign form targets are forbidden. Violations
are reported to ``POST /csp-report`` with ``report-uri``. (``report-to`` is deliberately absent: a
browser that knows it ignores ``report-uri``, and Chromium's Reporting API did not deliver any report in
our headless tests, whereas ``report-uri`` delivers at once; the endpoint already accepts both formats.)
"""

from __future__ import annotations

import re

from gis.settings import Settings
from web_map.basemaps import DEFAULT_TILE_HOSTS

PAGE_CACHE = "public, max-age=300"
PRIVATE_NO_STORE = "no-store, private"
NO_STORE = "no-store"
CSP_REPORT_PATH = "/csp-report"

_UNSAFE = re.compile(r"[;\r\n,]")
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(?::\d{1,5})?$")


def frame_ancestors(settings: Settings) -> str:
    """The configured frame-ancestors allow-list, stripped of anything that could break the header."""
    value = _UNSAFE.sub(" ", settings.frame_ancestors or "").strip()
    return " ".join(value.split()) or "'none'"


def tile_hosts(settings: Settings) -> tuple[str, ...]:
    """The origins basemap tiles may come from (``Settings.tile_hosts``); malformed entries are dropped."""
    configured = getattr(settings, "tile_hosts", None)
    raw = configured.split() if isinstance(configured, str) else list(configured or DEFAULT_TILE_HOSTS)
    return tuple(h.rstrip("/") for h in raw if _ORIGIN.match(h.rstrip("/")))


def content_security_policy(settings: Settings, *, inline_styles: bool = False, workers: bool = False) -> str:
    """CSP of an HTML page. ``inline_styles``/``workers``: for the third-party API documentation
    pages only (Swagger UI and Redoc inject styles and start a worker); scripts stay external."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'" + (" 'unsafe-inline'" if inline_styles else ""),
            "img-src " + " ".join(["'self'", "data:", *tile_hosts(settings)]),
            "connect-src 'self'",
            "font-src 'self'",
            *(["worker-src 'self' blob:"] if workers else []),
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors(settings)}",
            f"report-uri {CSP_REPORT_PATH}",
        ]
    )


def page_headers(settings: Settings, *, cache_control: str = PAGE_CACHE, inline_styles: bool = False,
                 workers: bool = False) -> dict[str, str]:
    """Headers of an HTML page response."""
    return {
        "Content-Security-Policy": content_security_policy(settings, inline_styles=inline_styles, workers=workers),
        "Cache-Control": cache_control,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }
