"""In-process response cache keyed by the normalised request and the data version (pure ASGI, no framework).

A ``GET``/``HEAD`` answer is stored when it is a 200 whose ``Cache-Control`` contains ``public`` and the data version
did not change while it was computed (and, when its ``Cache-Control`` has an ``s-maxage``, for that long at most: the
answers whose content depends on the time, such as the freshness of availability figures). A hit is answered
here without routing, validation or a database round trip,
gzip-compressed once at store time, with an ``ETag``; ``If-None-Match`` gives 304. The whole cache is dropped when the
data version changes (see :mod:`api.dataversion`), so no answer older than the last committed load is served.

The cache is keyed by visibility: it holds the answers of the public visibility only. Requests carrying credentials
(``Authorization`` or a session cookie) never read or fill it, and an answer is stored only when marked ``public``
(answers computed for another visibility are ``private, no-store``, see :func:`api.responses.cache_headers`). Answers
served from here say ``Vary: Accept-Encoding, Authorization, Cookie``, so that no shared or browser cache hands a
public answer to a connected user or the reverse.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.dataversion import DataState

_COMPRESSIBLE = (b"application/json", b"application/geo+json", b"text/", b"application/javascript",
                 b"image/svg+xml", b"application/fhir+json", b"application/vnd.mapbox-vector-tile",
                 b"application/schema+json", b"application/vnd.oai.openapi+json")
_DROP_HEADERS = {b"content-length", b"content-encoding", b"etag", b"vary", b"date", b"server"}
_CREDENTIAL_COOKIES = (b"ror_gis_session",)  # api.auth.SESSION_COOKIE
_S_MAXAGE = re.compile(rb"s-maxage=(\d+)")
VARY = b"Accept-Encoding, Authorization, Cookie"


@dataclass(slots=True)
class Entry:
    """One stored answer."""

    headers: list[tuple[bytes, bytes]]
    body: bytes
    gz: bytes | None
    etag: bytes
    expires: float | None = None  # time.monotonic() after which the answer is dropped (s-maxage)

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gz or b"") + 256


class ResponseCache:
    """A byte-bounded LRU of answers, emptied when the data version changes."""

    def __init__(self, max_bytes: int, max_entry_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes
        self._entries: OrderedDict[tuple[bytes, ...], Entry] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    def get(self, key: tuple[bytes, ...]) -> Entry | None:
        entry = self._entries.get(key)
        if entry is not None and entry.expires is not None and time.monotonic() >= entry.expires:
            self._entries.pop(key)
            self._bytes -= entry.size
            return None
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: tuple[bytes, ...], entry: Entry) -> None:
        if entry.size > self.max_entry_bytes:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= old.size
        self._entries[key] = entry
        self._bytes += entry.size
        while self._bytes > self.max_bytes and self._entries:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= evicted.size

    def __len__(self) -> int:
        return len(self._entries)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def _has_credentials(scope: Scope) -> bool:
    if _header(scope, b"authorization") is not None:
        return True
    cookie = _header(scope, b"cookie")
    return cookie is not None and any(name in cookie for name in _CREDENTIAL_COOKIES)


def _normalised_query(raw: bytes) -> bytes:
    if not raw:
        return b""
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    return urlencode(sorted(pairs)).encode("latin-1")


def _accepts_gzip(scope: Scope) -> bool:
    value = _header(scope, b"accept-encoding")
    return value is not None and b"gzip" in value


def _etag_matches(scope: Scope, etag: bytes) -> bool:
    value = _header(scope, b"if-none-match")
    if value is None:
        return False
    candidates = [v.strip().removeprefix(b"W/") for v in value.split(b",")]
    return b"*" in candidates or etag in candidates


class ResponseCacheMiddleware:
    """Serve public answers from memory; store new ones (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, cache: ResponseCache, state: DataState) -> None:
        self.app = app
        self.cache = cache
        self.state = state
        state.on_change(cache.clear)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or _has_credentials(scope):
            await self.app(scope, receive, send)
            return
        version = self.state.current()
        if version is None:
            await self.app(scope, receive, send)
            return
        # Host is part of the key: some answers carry absolute links built from it (FHIR fullUrl, OGC links).
        key = (scope["path"].encode("utf-8", "surrogateescape"), _normalised_query(scope["query_string"]),
               _header(scope, b"accept") or b"", _header(scope, b"host") or b"")
        entry = self.cache.get(key)
        if entry is not None:
            self.cache.hits += 1
            await self._send_entry(scope, send, entry, hit=True)
            return
        self.cache.misses += 1
        await self._fill(scope, receive, send, key, version)

    async def _send_entry(self, scope: Scope, send: Send, entry: Entry, *, hit: bool = False) -> None:
        headers = list(entry.headers)
        if hit:
            headers.append((b"x-ror-cache", b"hit"))
        headers.append((b"etag", entry.etag))
        headers.append((b"vary", VARY))
        if _etag_matches(scope, entry.etag):
            await send({"type": "http.response.start", "status": 304,
                        "headers": [h for h in headers if h[0] in (b"etag", b"cache-control", b"vary")]})
            await send({"type": "http.response.body", "body": b""})
            return
        body = entry.body
        if entry.gz is not None and _accepts_gzip(scope):
            body = entry.gz
            headers.append((b"content-encoding", b"gzip"))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})

    async def _fill(self, scope: Scope, receive: Receive, send: Send, key: tuple[bytes, ...], version: int) -> None:
        # The inner app answers uncompressed; this layer compresses once and keeps both forms.
        inner_scope = dict(scope)
        inner_scope["method"] = "GET"  # a HEAD fills the cache with the whole answer, then sends headers only
        inner_scope["headers"] = [(k, v) for k, v in scope["headers"]
                                  if k not in (b"accept-encoding", b"if-none-match")]
        start: Message | None = None
        chunks: list[bytes] = []
        passthrough = False

        async def capture(message: Message) -> None:
            nonlocal start, passthrough
            if message["type"] == "http.response.start":
                start = message
                headers = dict(message.get("headers", []))
                control = headers.get(b"cache-control", b"")
                cacheable = (message["status"] == 200 and b"public" in control and b"private" not in control
                             and b"no-store" not in control and b"set-cookie" not in headers)
                if not cacheable:
                    passthrough = True
                    await send(message)
                return
            if passthrough:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                await self._complete(scope, send, key, version, start, b"".join(chunks))

        await self.app(inner_scope, receive, capture)

    async def _complete(self, scope: Scope, send: Send, key: tuple[bytes, ...], version: int,
                        start: Message | None, body: bytes) -> None:
        assert start is not None
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() not in _DROP_HEADERS]
        content_type = dict(headers).get(b"content-type", b"")
        gz = None
        if len(body) >= 1000 and content_type.startswith(_COMPRESSIBLE):
            gz = gzip.compress(body, compresslevel=6, mtime=0)
        digest = hashlib.blake2b(body, digest_size=10).hexdigest()
        max_age = _S_MAXAGE.search(dict(headers).get(b"cache-control", b""))
        expires = time.monotonic() + int(max_age.group(1)) if max_age else None
        entry = Entry(headers=headers, body=body, gz=gz, etag=f'"{version}-{digest}"'.encode(), expires=expires)
        if self.state.version == version:
            self.cache.put(key, entry)
        await self._send_entry(scope, send, entry)
