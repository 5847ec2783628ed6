"""Availability (*Disponibilités*): the API over real HTTP (nearest first, type filter, public only, stale figures
marked, JSON / GeoJSON / CSV, cached at most a minute) and the deterministic fictitious availability of the demo.
The page is tested in tests/web_map/test_browser_disponibilites.py."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from gis.db import connect
from gis.demo.availability import assign_demo_availability
from gis.settings import Settings
from tests import disponibilites_fixture
from tests.conftest import LiveServer, load_with_offers


@pytest.fixture(scope="module")
def server(empty_db_factory, fetcher, data_dir) -> Iterator[LiveServer]:
    url = empty_db_factory()
    load_with_offers(url, fetcher, data_dir, disponibilites_fixture.insert)
    live = LiveServer(Settings(database_url=url, data_dir=data_dir, download=False))
    live.start()
    live.db_url = url  # type: ignore[attr-defined]
    yield live
    live.stop()


def _get(server: LiveServer, **params) -> httpx.Response:
    return httpx.get(server.url + "/api/v1/disponibilites", params=params, timeout=30)


def test_nearest_first_public_with_places_and_stale_marked(server):
    r = _get(server, commune="93066", type_offre="21", rayon_km=10)
    assert r.status_code == 200 and "s-maxage=60" in r.headers["cache-control"]
    body = r.json()
    ids = [o["id"] for o in body["results"]]
    assert ids == ["dispo-proche", "dispo-sans-date", "dispo-perimee", "dispo-fictive"]
    assert body["total"] == 4 and body["perimees"] == 2 and body["delai_peremption_h"] == 72
    dispo = {o["id"]: o["disponibilite"] for o in body["results"]}
    assert dispo["dispo-proche"]["places"] == 3 and dispo["dispo-proche"]["perimee"] is False
    assert dispo["dispo-perimee"]["perimee"] is True and dispo["dispo-sans-date"]["perimee"] is True
    assert dispo["dispo-fictive"]["fictive"] is True and dispo["dispo-fictive"]["perimee"] is False
    limit = datetime.fromisoformat(dispo["dispo-proche"]["perimee_apres"])
    maj = datetime.fromisoformat(dispo["dispo-proche"]["maj"])
    assert limit - maj == timedelta(hours=72)
    first = body["results"][0]
    assert first["capacite"] == 80 and first["capacite_disponible"] == 3 and first["distance_km"] < 1
    # the other type and the radius
    assert [o["id"] for o in _get(server, commune="93066", type_offre="22").json()["results"]] == ["dispo-autre-type"]
    assert "dispo-loin" in [o["id"] for o in _get(server, commune="93066", rayon_km=50).json()["results"]]


def test_geojson_csv_and_errors(server):
    gj = _get(server, commune="93066", type_offre="21", format="geojson")
    assert gj.headers["content-type"].startswith("application/geo+json")
    feats = gj.json()["features"]
    assert [f["id"] for f in feats][0] == "dispo-proche"
    assert feats[0]["properties"]["disponibilite"]["places"] == 3 and gj.json()["perimees"] == 2
    text = _get(server, commune="93066", type_offre="21", format="csv").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert rows[0]["Places disponibles"] == "3" and rows[0]["Capacité installée"] == "80"
    assert {r["Disponibilité fictive"] for r in rows} == {"oui", "non"}
    bad = _get(server, commune="99999")
    assert bad.status_code == 404 and "Aucune commune" in bad.json()["detail"]
    assert _get(server, commune="93066", rayon_km=500).status_code == 422
    assert _get(server, commune="93066", type_offre="zz").status_code == 422


def test_stale_delay_is_a_setting(server, data_dir):
    live = LiveServer(Settings(database_url=server.db_url, data_dir=data_dir, download=False,
                               disponibilite_perimee_h=200))
    live.start()
    try:
        body = httpx.get(live.url + "/api/v1/disponibilites", params={"commune": "93066", "type_offre": "21"},
                         timeout=30).json()
    finally:
        live.stop()
    assert body["delai_peremption_h"] == 200 and body["perimees"] == 1  # only the undated figure


def test_demo_availability_is_deterministic_and_labelled(server):
    with connect(server.db_url) as conn:
        conn.execute("UPDATE offre SET capacite_disponible = NULL, capacite_disponible_maj = NULL, "
                     "disponibilite_fictive = true WHERE ror_id = 'dispo-zero'")
        conn.commit()
        fixed = datetime(2026, 6, 1, 12, tzinfo=UTC)
        q = ("SELECT ror_id, capacite_disponible, capacite_disponible_maj, disponibilite_fictive, "
             "provenance -> 'capacite_disponible' AS prov FROM offre ORDER BY ror_id")
        n1 = assign_demo_availability(conn, seed=7, now=fixed)
        first = conn.execute(q).fetchall()
        n2 = assign_demo_availability(conn, seed=7, now=fixed)
        assert conn.execute(q).fetchall() == first and n1 == n2
        real = {r["ror_id"]: r for r in first}
        # real figures are never touched; the invented one is labelled
        assert real["dispo-proche"]["disponibilite_fictive"] is False and real["dispo-proche"]["prov"] is None
        zero = real["dispo-zero"]
        if zero["capacite_disponible"] is not None:
            assert zero["disponibilite_fictive"] is True
            assert zero["prov"] == {"source": "Données fictives de démonstration — ror-gis", "millesime": "fictif"}
        doc = conn.execute("SELECT doc_public::jsonb AS d FROM offre WHERE ror_id = 'dispo-fictive'").fetchone()["d"]
        assert doc["disponibilite_fictive"] is True


def test_cache_honours_s_maxage_only():
    from api.cache import Entry, ResponseCache

    cache = ResponseCache(1 << 20, 1 << 20)
    cache.put((b"k",), Entry(headers=[], body=b"x", gz=None, etag=b'"1"', expires=time.monotonic() - 1))
    cache.put((b"j",), Entry(headers=[], body=b"y", gz=None, etag=b'"2"'))
    assert cache.get((b"k",)) is None and len(cache) == 1  # expired: dropped
    assert cache.get((b"j",)) is not None  # no s-maxage: kept until the data version changes
