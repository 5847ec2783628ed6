"""Pure-ASGI middlewares at the edge of the app: security headers on every answer, and CORS for the JSON API.

CORS: origins come from ``ROR_GIS_CORS_ORIGINS`` (``*`` allowed for public data); credentials are never allowed,
since every answer cached or served to a browser across origins is public. Preflights (``OPTIONS`` with
``Access-Control-Request-Method``) are answered here for ``/api``, ``/ogc`` and ``/fhir``.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gis.errors import PayloadTooLarge

# A CSP for answers that are not pages (JSON, GeoJSON, files): nothing may run or load in their context.
DATA_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
_BASE_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
)
_CORS_PREFIXES = ("/api/", "/ogc", "/fhir")
_ALLOWED_METHODS = b"GET, HEAD, OPTIONS"
_ALLOWED_HEADERS = b"Accept, Accept-Language, Content-Type, If-None-Match, Authorization"
_EXPOSED_HEADERS = b"ETag, Content-Disposition, Retry-After"


class SecurityHeadersMiddleware:
    """nosniff and Referrer-Policy everywhere; a restrictive CSP on any answer that did not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers.extend(h for h in _BASE_HEADERS if h[0] not in names)
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", DATA_CSP))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class CorsMiddleware:
    """CORS for the data endpoints, from an allow-list of origins; never with credentials."""

    def __init__(self, app: ASGIApp, *, origins: list[str], max_age_s: int = 600) -> None:
        self.app = app
        self.any_origin = "*" in origins
        self.origins = {o.rstrip("/").encode() for o in origins if o != "*"}
        self.max_age = str(max_age_s).encode()

    def _allowed(self, origin: bytes) -> bytes | None:
        if self.any_origin:
            return b"*"
        return origin if origin in self.origins else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(_CORS_PREFIXES):
            await self.app(scope, receive, send)
            return
        origin = next((v for k, v in scope["headers"] if k == b"origin"), None)
        if origin is None:
            await self.app(scope, receive, send)
            return
        allowed = self._allowed(origin)
        is_preflight = scope["method"] == "OPTIONS" and any(
            k == b"access-control-request-method" for k, _ in scope["headers"])
        if is_preflight:
            await self._preflight(send, allowed)
            return
        if allowed is None:
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"access-control-allow-origin", allowed))
                headers.append((b"access-control-expose-headers", _EXPOSED_HEADERS))
                if allowed != b"*":
                    headers.append((b"vary", b"Origin"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(self, send: Send, allowed: bytes | None) -> None:
        headers = [(b"vary", b"Origin"), (b"content-length", b"0")]
        status = 403
        if allowed is not None:
            status = 204
            headers += [
                (b"access-control-allow-origin", allowed),
                (b"access-control-allow-methods", _ALLOWED_METHODS),
                (b"access-control-allow-headers", _ALLOWED_HEADERS),
                (b"access-control-max-age", self.max_age),
            ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


class OptionsMiddleware:
    """``OPTIONS`` on any route (that is not a CORS preflight): 204 with the ``Allow`` header of that path."""

    def __init__(self, app: ASGIApp, *, routes: Callable[[], list[BaseRoute]]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "OPTIONS":
            await self.app(scope, receive, send)
            return
        methods: set[str] = set()
        for route in _flatten(self.routes()):
            match, _ = route.matches({**scope, "method": "GET"})
            if match != Match.NONE:
                methods |= set(getattr(route, "methods", None) or {"GET", "HEAD"})
        if not methods:
            await self.app(scope, receive, send)
            return
        if "GET" in methods:
            methods.add("HEAD")
        allow = ", ".join(sorted(methods | {"OPTIONS"}))
        await send({"type": "http.response.start", "status": 204,
                    "headers": [(b"allow", allow.encode()), (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})


def _flatten(routes: list[BaseRoute]) -> list[BaseRoute]:
    """The routes, with those of included routers (FastAPI keeps them behind a wrapper) spelled out."""
    out: list[BaseRoute] = []
    for route in routes:
        inner = getattr(getattr(route, "original_router", None), "routes", None)
        out.extend(_flatten(inner) if inner is not None else [route])
    return out


class BodyLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` while they stream in (``Content-Length`` or chunked): 413 in French
    through the error table, before the body is buffered or parsed."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        too_large = PayloadTooLarge(f"Envoi trop volumineux : au plus {self.max_bytes // 2**20} Mo.")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            scope = {**scope, "ror_gis.too_large": too_large}
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if "ror_gis.too_large" in scope:
                raise scope["ror_gis.too_large"]
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise too_large
            return message

        await self.app(scope, limited_receive, send)
