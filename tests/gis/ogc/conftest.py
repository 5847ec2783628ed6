"""Fixtures of the OGC layer tests: a connection to the coverage-fixture database (rolled back)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from gis.db import connect


@pytest.fixture
def fconn(fixture_db_url: str) -> Iterator[psycopg.Connection]:
    """Connection to the database with the geography, the nomenclatures and the coverage fixture."""
    with connect(fixture_db_url) as c, c.transaction(force_rollback=True):
        yield c
