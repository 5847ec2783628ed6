"""Fixtures of the anomaly-report and territory-editing tests: their own database (the coverage fixture plus a second
EG), a live server over it, and real API tokens (``gis.tokens``) for each role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from gis import tokens
from gis.db import connect
from gis.settings import Settings
from tests import coverage_fixture
from tests.conftest import LiveServer, load_with_offers

OTHER_FINESS = "750000002"
FIXTURE_FINESS = "930000001"


def _insert(conn) -> None:
    coverage_fixture.insert(conn)
    eg = conn.execute(
        "INSERT INTO etablissement (finess, nom, categorie, geom, source, commune_insee) VALUES "
        "(%s, 'Autre EG (fictif)', '460', ST_SetSRID(ST_MakePoint(2.36, 48.87), 4326), 'test', '75110') RETURNING id",
        (OTHER_FINESS,),
    ).fetchone()["id"]
    pk = conn.execute(
        "INSERT INTO offre (ror_id, nom, type_offre, champ, etablissement_id, source) "
        "VALUES ('edit-autre', 'SAAD d''un autre EG (fictif)', '30', '04', %s, 'test') RETURNING id",
        (eg,),
    ).fetchone()["id"]
    conn.execute("INSERT INTO zone_intervention (offre_id, type_division, code) VALUES (%s, '3', '75110')", (pk,))


@dataclass
class Tokens:
    admin: str
    referent: str        # scope: the fixture EG 930000001
    referent_autre: str  # scope: the other EG 750000002
    pro: str
    revoked: str


@pytest.fixture(scope="session")
def editing_db(empty_db_factory, fetcher, data_dir: Path) -> str:
    url = empty_db_factory()
    load_with_offers(url, fetcher, data_dir, _insert)
    return url


@pytest.fixture(scope="session")
def api_tokens(editing_db: str) -> Tokens:
    with connect(editing_db) as conn, conn.transaction():
        made = {
            "admin": tokens.create_token(conn, role="administrateur", nom="Admin test")[1],
            "referent": tokens.create_token(conn, role="referent", etablissements=[FIXTURE_FINESS],
                                            nom="Référente 93")[1],
            "referent_autre": tokens.create_token(conn, role="referent", etablissements=[OTHER_FINESS],
                                                  nom="Référent 75")[1],
            "pro": tokens.create_token(conn, role="professionnel", nom="Pro test")[1],
        }
        revoked_id, revoked = tokens.create_token(conn, role="administrateur", nom="Révoqué")
        tokens.revoke_token(conn, revoked_id)
    return Tokens(revoked=revoked, **made)


@pytest.fixture(scope="session")
def editing_server(editing_db: str, data_dir: Path) -> Iterator[LiveServer]:
    server = LiveServer(Settings(database_url=editing_db, data_dir=data_dir, download=False, signalement_max=1000))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def edit_http(editing_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=editing_server.url, timeout=30) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
