"""Failed logins are limited per client address: after the limit, 429 with Retry-After and the French error page,
even for a good token, until the window has passed; a success forgets the failures."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gis.db import connect
from gis.settings import Settings
from gis.tokens import create_token
from tests.conftest import LiveServer


@pytest.fixture(scope="module")
def limited_server(access_db: str, data_dir: Path) -> Iterator[LiveServer]:
    server = LiveServer(Settings(database_url=access_db, data_dir=data_dir, download=False,
                                 login_max_echecs=3, login_fenetre_s=600))
    server.start()
    yield server
    server.stop()


def _post(client: httpx.Client, token: str) -> httpx.Response:
    form = client.get("/connexion")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    return client.post("/connexion", data={"jeton": token, "csrf": csrf})


def test_failed_logins_are_limited(limited_server, access_db):
    with connect(access_db) as conn:
        _id, good = create_token(conn, role="professionnel", nom="Limite (fictif)")
        conn.commit()
    bad = "rgt_" + "x" * 43
    with httpx.Client(base_url=limited_server.url, timeout=30, follow_redirects=False) as client:
        assert _post(client, good).status_code == 303
        assert [_post(client, bad).status_code for _ in range(3)] == [401, 401, 401]
        blocked = _post(client, good)
        assert blocked.status_code == 429
        assert 1 <= int(blocked.headers["retry-after"]) <= 600
        assert "text/html" in blocked.headers["content-type"]
        assert "Trop de tentatives de connexion" in blocked.text and "Traceback" not in blocked.text
