"""The serving core over real sockets: no stall at any concurrency, a bounded queue, answers from memory keyed by the
data version (ETag/304, never stale after a commit, never shared with credentialed requests), CORS and headers,
French errors (JSON for the API, HTML for the pages) and no 500 on hostile input."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gis.db import connect
from gis.settings import Settings
from tests.conftest import LiveServer


@pytest.fixture(scope="module")
def small_pool_server(fixture_db_url: str, data_dir: Path) -> Iterator[LiveServer]:
    """Two connections, no cache: every request needs the database."""
    server = LiveServer(Settings(database_url=fixture_db_url, data_dir=data_dir, download=False,
                                 pool_max_size=2, pool_min_size=1, cache_max_mb=0))
    server.start()
    yield server
    server.stop()


async def _burst(url: str, paths: list[str], concurrency: int) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        return await asyncio.gather(*(client.get(p) for p in paths))


def test_no_stall_at_four_times_pool_plus_threads(small_pool_server):
    # 4 × (2 connections + 40 AnyIO threads) = 168 concurrent requests, each needing the database.
    n = 4 * (2 + 40)
    paths = [f"/api/v1/communes/93066/services?limit={1 + i % 50}" for i in range(n)]
    responses = asyncio.run(_burst(small_pool_server.url, paths, n))
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == n, {s: statuses.count(s) for s in set(statuses)}


def test_full_queue_answers_503_with_retry_after(fixture_db_url, data_dir):
    server = LiveServer(Settings(database_url=fixture_db_url, data_dir=data_dir, download=False,
                                 pool_max_size=1, pool_min_size=1, queue_max=0, cache_max_mb=0))
    server.start()
    try:
        paths = [f"/api/v1/communes/75056/services?limit={1 + i}" for i in range(40)]
        responses = asyncio.run(_burst(server.url, paths, 40))
    finally:
        server.stop()
    saturated = [r for r in responses if r.status_code == 503]
    assert saturated, "a full queue must refuse some requests"
    assert all(r.status_code in (200, 503) for r in responses)
    body = saturated[0].json()
    assert body["code"] == "service_sature" and "simultanées" in body["detail"]
    assert saturated[0].headers["retry-after"] == "2"


def test_cache_hit_etag_and_304(fixture_http):
    url = "/api/v1/communes/93066/services?type_offre=28&limit=5"
    first = fixture_http.get(url)
    assert first.status_code == 200
    again = _cached(fixture_http, "/api/v1/communes/93066/services?limit=5&type_offre=28")  # other order
    etag = again.headers["etag"]
    assert again.content == first.content
    assert "public" in again.headers["cache-control"]
    not_modified = fixture_http.get(url, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.content == b""
    gz = fixture_http.get("/api/v1/communes/93066/services", headers={"Accept-Encoding": "gzip"})
    gz = fixture_http.get("/api/v1/communes/93066/services", headers={"Accept-Encoding": "gzip"})
    assert gz.headers.get("content-encoding") == "gzip" and gz.json()["total"] > 0


delays: list[float] = []


def _cached(client: httpx.Client, url: str) -> httpx.Response:
    """GET ``url`` until it is answered from the cache (the version is re-read after a commit: ≤ 2 s)."""
    start = time.monotonic()
    while True:
        r = client.get(url)
        if r.headers.get("x-ror-cache") == "hit" or time.monotonic() - start > 2:
            assert r.headers.get("x-ror-cache") == "hit", "the answer never came from the cache"
            return r
        time.sleep(0.01)


@pytest.mark.parametrize("attempt", range(10))
def test_no_stale_answer_once_a_load_committed(fixture_db_url, fixture_http, attempt):
    url = "/api/v1/communes/93066/services?limit=1000"
    before = _cached(fixture_http, url).json()
    target = before["results"][0]["id"]
    with connect(fixture_db_url) as conn:
        old = conn.execute("SELECT nom FROM offre WHERE ror_id = %s", (target,)).fetchone()["nom"]
        conn.execute("UPDATE offre SET nom = nom || ' (renommée)' WHERE ror_id = %s", (target,))
        conn.commit()
        try:
            # The commit reaches every process by NOTIFY (milliseconds; more on a loaded machine), then never stale.
            start = time.monotonic()
            while True:
                after = fixture_http.get(url)
                names = {r["id"]: r["nom"] for r in after.json()["results"]}
                if names[target] != old:
                    break
                assert time.monotonic() - start < 1.0, "stale answer 1 s after the commit"
            assert names[target] == old + " (renommée)"
            delays.append(time.monotonic() - start)
            for _ in range(3):
                again = {r["id"]: r["nom"] for r in fixture_http.get(url).json()["results"]}
                assert again[target] == old + " (renommée)"
        finally:
            conn.execute("UPDATE offre SET nom = %s WHERE ror_id = %s", (old, target))
            conn.commit()
    start = time.monotonic()
    while {r["id"]: r["nom"] for r in fixture_http.get(url).json()["results"]}[target] != old:
        assert time.monotonic() - start < 1.0, "stale answer 1 s after the commit"


def test_credentialed_requests_bypass_the_cache(fixture_http):
    url = "/api/v1/communes/93008/services"
    _cached(fixture_http, url)
    refused = fixture_http.get(url, headers={"Authorization": "Bearer x"})  # an invalid token: 401, never a hit
    assert refused.status_code == 401 and refused.headers.get("x-ror-cache") is None
    stale = fixture_http.get(url, headers={"Cookie": "ror_gis_session=expired"})  # a dead session: the public
    assert stale.status_code == 200 and stale.headers.get("x-ror-cache") is None


def test_cors_preflight_and_simple_request(fixture_http):
    pre = fixture_http.options("/api/v1/communes/93066/services",
                               headers={"Origin": "https://portail.example", "Access-Control-Request-Method": "GET"})
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == "*"
    assert "GET" in pre.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in pre.headers
    simple = fixture_http.get("/api/v1/communes?q=bobigny", headers={"Origin": "https://portail.example"})
    assert simple.headers["access-control-allow-origin"] == "*"


def test_cors_allow_list(fixture_db_url, data_dir):
    server = LiveServer(Settings(database_url=fixture_db_url, data_dir=data_dir, download=False,
                                 cors_origins="https://maillage.example, https://dac.example"))
    server.start()
    try:
        with httpx.Client(base_url=server.url) as client:
            ok = client.options("/api/v1/communes", headers={"Origin": "https://dac.example",
                                                             "Access-Control-Request-Method": "GET"})
            assert ok.status_code == 204 and ok.headers["access-control-allow-origin"] == "https://dac.example"
            no = client.options("/api/v1/communes", headers={"Origin": "https://evil.example",
                                                             "Access-Control-Request-Method": "GET"})
            assert no.status_code == 403 and "access-control-allow-origin" not in no.headers
            plain = client.get("/api/v1/communes?q=paris", headers={"Origin": "https://evil.example"})
            assert "access-control-allow-origin" not in plain.headers
    finally:
        server.stop()


def test_security_headers_on_json(fixture_http):
    r = fixture_http.get("/api/v1/communes?q=bobigny")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"]
    assert "default-src 'none'" in r.headers["content-security-policy"]


@pytest.mark.parametrize("path", [
    "/api/v1/communes/93066/services?offset=9223372036854775808",
    "/api/v1/communes/93066/services?offset=1e20",
    "/api/v1/communes/93066/services?limit=-1",
    "/api/v1/nomenclatures/%00",
    "/api/v1/communes/%00",
    "/api/v1/communes?q=%00",
    "/api/v1/services/%00abc",
    "/api/v1/suggestions?q=" + "a" * 5000,
    "/api/v1/communes/" + "9" * 5000 + "/services",
    "/api/v1/services?lat=1e400&lon=2",
    "/api/v1/communes/93066/services?type_offre=" + "x" * 3000,
])
def test_no_500_on_hostile_input(fixture_http, path):
    r = fixture_http.get(path)
    assert r.status_code in (200, 404, 422), (r.status_code, r.text[:200])
    assert "Traceback" not in r.text and "psycopg" not in r.text
    if r.status_code != 200:
        assert r.json()["detail"]


def test_pages_answer_html_errors(fixture_http):
    r = fixture_http.get("/cartes/commune/99999")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "Commune" in r.text or "commune" in r.text
    r = fixture_http.get("/cartes/commune/93066?age=abc")
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    api = fixture_http.get("/api/v1/communes/99999/services")
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/json")


def test_pages_answer_html_503_when_the_database_is_down(data_dir):
    server = LiveServer(Settings(database_url="postgresql://nobody@127.0.0.1:1/none", data_dir=data_dir,
                                 pool_wait_s=1))
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            page = client.get("/cartes/commune/93066")
            assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
            assert "base de données" in page.text
            api = client.get("/api/v1/communes/93066/services")
            assert api.status_code == 503 and api.json()["code"] == "base_indisponible"
    finally:
        server.stop()


def test_report_commit_visibility_delay():
    if delays:
        print(f"commit → fresh answer: max {max(delays) * 1000:.1f} ms over {len(delays)} commits")


def test_chunked_upload_over_the_limit_is_refused_while_streaming(fixture_http):
    sent = 0

    def body():  # no Content-Length: chunked transfer, 64 MB offered
        nonlocal sent
        yield (b'--zzz\r\nContent-Disposition: form-data; name="fichier"; filename="a.csv"\r\n'
               b"Content-Type: text/csv\r\n\r\n")
        chunk = b"x" * 65536
        for _ in range(1024):
            sent += len(chunk)
            yield chunk

    start = time.monotonic()
    r = fixture_http.post("/cartes/tableau", content=body(),
                          headers={"Content-Type": "multipart/form-data; boundary=zzz"})
    assert r.status_code == 413, r.text[:300]
    assert "trop volumineux" in r.text
    assert time.monotonic() - start < 5
