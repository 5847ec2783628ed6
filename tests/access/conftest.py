"""Fixtures of the access-control tests: a database with contacts of every level, tokens of every role, a live
server over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gis.settings import Settings
from tests.access import support
from tests.conftest import LiveServer, load_with_offers


@pytest.fixture(scope="session")
def access_db(empty_db_factory, fetcher, data_dir: Path) -> str:
    url = empty_db_factory()
    load_with_offers(url, fetcher, data_dir, support.insert)
    return url


@pytest.fixture(scope="session")
def access_tokens(access_db: str) -> dict[str, tuple[int, str]]:
    return support.make_tokens(access_db)


@pytest.fixture(scope="session")
def access_server(access_db: str, data_dir: Path) -> Iterator[LiveServer]:
    server = LiveServer(Settings(database_url=access_db, data_dir=data_dir, download=False))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def access_http(access_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=access_server.url, timeout=30) as client:
        yield client
