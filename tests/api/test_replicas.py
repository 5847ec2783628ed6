"""Read replicas: a real primary and a streaming replica built by the test on their own ports (pg_basebackup), the
routing of the answers, consistency with the data version, and the fall-back to the primary."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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
def pair(fetcher: Fetcher, data_dir: Path) -> Iterator[tuple[TempCluster, TempCluster]]:
    from tests import coverage_fixture
    from tests.conftest import load_with_offers

    primary = TempCluster()
    primary.start()
    replica: TempCluster | None = None
    try:
        with psycopg.connect(primary.url(), autocommit=True) as admin:
            admin.execute("CREATE DATABASE ror_gis")
        with connect(primary.url("ror_gis")) as conn:
            migrate(conn)
        load_with_offers(primary.url("ror_gis"), fetcher, data_dir, coverage_fixture.insert)
        replica = TempCluster(primary=primary)
        replica.start()
        yield primary, replica
    finally:
        if replica is not None:
            replica.destroy()
        primary.destroy()


@pytest.fixture(scope="module")
def server(pair: tuple[TempCluster, TempCluster], data_dir: Path) -> Iterator[LiveServer]:
    primary, replica = pair
    srv = LiveServer(Settings(database_url=primary.url("ror_gis"), database_replica_urls=replica.url("ror_gis"),
                              data_dir=data_dir, download=False, cache_max_mb=0, replica_poll_s=0.1,
                              replica_wait_s=0.5, pool_min_size=2, pool_max_size=4))
    srv.start()
    yield srv
    srv.stop()


def _health(client: httpx.Client) -> dict[str, Any]:
    body: dict[str, Any] = client.get("/health").json()
    return body


def _until(check: Callable[[], bool], limit_s: float = 20.0) -> None:
    deadline = time.monotonic() + limit_s
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def _replica(client: httpx.Client) -> dict[str, Any]:
    replicas: list[dict[str, Any]] = _health(client)["replicas"]
    assert len(replicas) == 1
    return replicas[0]


def _names(client: httpx.Client) -> set[str]:
    r = client.get(URL)
    assert r.status_code == 200
    return {o["nom"] for o in r.json()["results"]}


def test_reads_go_to_a_replica_that_has_replayed_the_version(pair, server):
    primary, replica = pair
    with httpx.Client(base_url=server.url, timeout=10) as client:
        _until(lambda: _replica(client)["etat"] == "à jour")
        before = _replica(client)["reponses"]
        for _ in range(10):
            assert client.get(URL).status_code == 200
        assert _replica(client)["reponses"] == before + 10  # every read answered by the replica
        assert "host=" not in str(_replica(client)) and "postgres@" not in _replica(client)["serveur"]


def test_a_lagging_replica_is_not_read_until_it_catches_up(pair, server):
    primary, replica = pair
    with httpx.Client(base_url=server.url, timeout=10) as client:
        _until(lambda: _replica(client)["etat"] == "à jour")
        with psycopg.connect(replica.url("ror_gis"), autocommit=True) as standby:
            standby.execute("SELECT pg_wal_replay_pause()")
            try:
                with psycopg.connect(primary.url("ror_gis"), autocommit=True) as conn:
                    conn.execute("UPDATE offre SET nom = 'Offre renommée sur le primaire' WHERE ror_id = 'cov-commune'")
                    version = conn.execute("SELECT version FROM data_version").fetchone()
                assert version is not None
                _until(lambda: _health(client)["version_donnees"] == version[0])  # announced by the primary
                _until(lambda: _replica(client)["etat"] == "en retard")
                served = _replica(client)["reponses"]
                for _ in range(5):  # the primary answers, with the new data
                    assert "Offre renommée sur le primaire" in _names(client)
                assert _replica(client)["reponses"] == served
            finally:
                standby.execute("SELECT pg_wal_replay_resume()")
        _until(lambda: _replica(client)["etat"] == "à jour")
        served = _replica(client)["reponses"]
        assert "Offre renommée sur le primaire" in _names(client)  # now from the replica, which caught up
        assert _replica(client)["reponses"] == served + 1


def test_the_primary_answers_when_the_replica_is_down(pair, server):
    primary, replica = pair
    with httpx.Client(base_url=server.url, timeout=10) as client:
        _until(lambda: _replica(client)["etat"] == "à jour")
        replica.stop("fast")
        try:
            statuses = [client.get(URL).status_code for _ in range(20)]
            assert statuses == [200] * 20
            _until(lambda: _replica(client)["etat"] == "injoignable")
            assert _health(client)["statut"] == "ok"
        finally:
            replica.start()
        _until(lambda: _replica(client)["etat"] == "à jour")
        served = _replica(client)["reponses"]
        assert client.get(URL).status_code == 200
        assert _replica(client)["reponses"] == served + 1
