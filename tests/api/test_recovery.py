"""Recovery after a PostgreSQL restart, against a cluster this test creates, stops and starts on its own port."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from gis.db import connect, migrate
from gis.settings import Settings
from gis.sources import Fetcher
from tests.conftest import LiveServer
from tests.pgcluster import TempCluster

URL = "/api/v1/communes/93066/services"


@pytest.fixture(scope="module")
def cluster(fetcher: Fetcher, data_dir: Path) -> Iterator[TempCluster]:
    from tests import coverage_fixture
    from tests.conftest import load_with_offers

    pg = TempCluster()
    pg.start()
    with psycopg.connect(pg.url(), autocommit=True) as admin:
        admin.execute("CREATE DATABASE ror_gis")
    with connect(pg.url("ror_gis")) as conn:
        migrate(conn)
    load_with_offers(pg.url("ror_gis"), fetcher, data_dir, coverage_fixture.insert)
    yield pg
    pg.destroy()


@pytest.fixture(scope="module")
def server(cluster: TempCluster, data_dir: Path) -> Iterator[LiveServer]:
    srv = LiveServer(Settings(database_url=cluster.url("ror_gis"), data_dir=data_dir, download=False,
                              pool_wait_s=1, cache_max_mb=0, pool_min_size=4, pool_max_size=4))
    srv.start()
    yield srv
    srv.stop()


def _first_success_after(client: httpx.Client, limit_s: float) -> tuple[float, list[int]]:
    start, statuses = time.monotonic(), []
    while time.monotonic() - start < limit_s:
        r = client.get(URL)
        statuses.append(r.status_code)
        if r.status_code == 200:
            return time.monotonic() - start, statuses
        time.sleep(0.05)
    return float("inf"), statuses


def test_answers_again_within_2_s_of_a_restart(cluster, server):
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for _ in range(8):  # every pooled connection used once
            assert client.get(URL).status_code == 200
        cluster.stop("fast")
        down = client.get(URL)
        assert down.status_code == 503
        assert down.json()["code"] == "base_indisponible" and "base de données" in down.json()["detail"]
        cluster.start()  # returns once the server accepts connections
        delay, statuses = _first_success_after(client, 10)
        assert delay <= 2.0, statuses
        assert all(client.get(URL).status_code == 200 for _ in range(20))


def test_idle_pool_survives_a_restart_without_errors(cluster, server):
    # Connections idle in the pool die with the server; the liveness check replaces them without a failed answer.
    with httpx.Client(base_url=server.url, timeout=10) as client:
        assert client.get(URL).status_code == 200
        cluster.stop("fast")
        cluster.start()
        delay, statuses = _first_success_after(client, 10)
        assert delay <= 2.0, statuses
        assert statuses == [200], statuses
