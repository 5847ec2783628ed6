"""Test fixtures: a real PostGIS test database (created and dropped by the suite), the real IDF
reference data from the shared data folder, and a live HTTP server on a random local port.

Environment:
- ``ROR_GIS_TEST_ADMIN_URL``: a PostgreSQL URL allowed to create databases (default: the
  ``ROR_GIS_DATABASE_URL`` server, database ``postgres``).
- ``ROR_GIS_DATA_DIR``: source files (default ``../shared/data`` beside the checkout).
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from gis.db import connect, migrate
from gis.settings import Settings
from gis.sources import Fetcher

REPO = Path(__file__).resolve().parent.parent

# Headless-Chromium fixtures (browser, browser_page, phone_page), shared by every test module.
pytest_plugins = ("tests.browser",)


def _admin_url() -> str:
    explicit = os.environ.get("ROR_GIS_TEST_ADMIN_URL")
    if explicit:
        return explicit
    base = os.environ.get("ROR_GIS_DATABASE_URL", "postgresql:///ror_gis")
    return make_conninfo(base, dbname="postgres")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    settings = Settings()
    path = settings.resolved_data_dir()
    if not (path / "cog" / "communes.json").is_file():
        pytest.exit(f"reference data not found in {path} (set ROR_GIS_DATA_DIR)", returncode=2)
    return path


@pytest.fixture(scope="session")
def fetcher(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Fetcher:
    return Fetcher(data_dir, tmp_path_factory.mktemp("cache"), allow_download=False, log=lambda _m: None)


def _create_database(admin: str, name: str) -> str:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return make_conninfo(admin, dbname=name)


def _drop_database(admin: str, name: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def empty_db_factory() -> Iterator:
    """Creates extra empty test databases (schema migrated) and drops them at the end."""
    admin = _admin_url()
    created: list[str] = []

    def make(migrated: bool = True) -> str:
        name = f"ror_gis_test_{uuid.uuid4().hex[:10]}"
        url = _create_database(admin, name)
        created.append(name)
        if migrated:
            with connect(url) as conn:
                migrate(conn)
        return url

    yield make
    for name in created:
        _drop_database(admin, name)


@pytest.fixture(scope="session")
def db_url(empty_db_factory, fetcher: Fetcher) -> str:
    """The shared test database: schema plus the real IDF geography (committed, read by the server)."""
    from gis.importers.geography import load_geography

    url = empty_db_factory()
    with connect(url) as conn:
        load_geography(conn, fetcher, region="11")
    return url


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection]:
    """A connection whose every change is rolled back at the end of the test."""
    with connect(db_url) as c, c.transaction(force_rollback=True):
        yield c


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """uvicorn serving the app in a background thread, on a real local socket."""

    def __init__(self, settings: Settings) -> None:
        import uvicorn

        from api.app import create_app

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/openapi.json", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("test server did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def app_settings(db_url: str, data_dir: Path) -> Settings:
    return Settings(database_url=db_url, data_dir=data_dir, download=False)


@pytest.fixture(scope="session")
def live_server(app_settings: Settings) -> Iterator[LiveServer]:
    server = LiveServer(app_settings)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def http(live_server: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client talking to the live server over a real socket."""
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        yield client


def load_with_offers(url: str, fetcher: Fetcher, data_dir: Path, insert_offers) -> None:
    """Load the IDF geography and the nomenclatures into ``url``, insert offers with ``insert_offers(conn)`` in one
    transaction, then refresh everything derived (coverage, public forms, ANALYZE)."""
    from gis.importers.geography import load_geography
    from gis.importers.nomenclatures import load_nomenclatures
    from gis.maintenance import after_load

    with connect(url) as conn:
        load_geography(conn, fetcher, region="11")
        load_nomenclatures(conn, data_dir)
        with conn.transaction():
            insert_offers(conn)
        after_load(conn)


@pytest.fixture(scope="session")
def fixture_db_url(empty_db_factory, fetcher: Fetcher, data_dir: Path) -> str:
    """A database with the IDF geography, the nomenclatures and the known coverage fixture (committed)."""
    from tests import coverage_fixture

    url = empty_db_factory()
    load_with_offers(url, fetcher, data_dir, coverage_fixture.insert)
    return url


@pytest.fixture(scope="session")
def fixture_server(fixture_db_url: str, data_dir: Path) -> Iterator[LiveServer]:
    """A live server over the coverage-fixture database."""
    server = LiveServer(Settings(database_url=fixture_db_url, data_dir=data_dir, download=False))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fixture_http(fixture_server: LiveServer) -> Iterator[httpx.Client]:
    """HTTP client on the live server over the coverage-fixture database."""
    with httpx.Client(base_url=fixture_server.url, timeout=30) as client:
        yield client
