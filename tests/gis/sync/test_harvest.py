"""``ror-gis sync fhir`` against the project's own /fhir served from another database, through a local proxy that
injects faults: database A → /fhir → importer → database B gives the same public offers and coverage."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from gis.db import connect
from gis.errors import SourceUnavailable
from gis.sync import sync_fhir
from gis.sync.client import ClientOptions, FhirClient
from gis.sync.harvest import read_state
from tests.fhir_support import (
    CNSA_OFFER,
    CNSA_PROVENANCE,
    ROR_OFFER_CNSA_FIGURE,
    ROR_PLACE_WITHOUT_LINES,
    differences,
    public_offers,
)
from tests.gis.sync.proxy import FaultProxy, after, on_requests

TODAY = date(2026, 6, 1)  # the date the demo offers of the source were loaded for


def _client(sleeps: list[float], **kw) -> FhirClient:
    options = ClientOptions(timeout_s=3.0, retries=3, backoff_s=0.01, token="jeton-de-test", **kw)
    return FhirClient(options, sleep=sleeps.append)


def _sync(url: str, proxy: FaultProxy, sleeps: list[float], **kw):
    with connect(url) as conn:
        return sync_fhir(conn, proxy.url + "/fhir", page_size=7, today=TODAY, client=_client(sleeps),
                         margin=timedelta(0), **kw)


def _runs(url: str) -> list[dict]:
    with connect(url) as conn:
        return conn.execute("SELECT status, counts FROM import_run WHERE source LIKE 'synchronisation %%' "
                            "ORDER BY id").fetchall()


def test_round_trip_with_faults_then_incremental_and_deletions(fhir_uncached_server, fhir_source_url, target_factory):
    source = public_offers(fhir_source_url)
    assert len(source) > 30 and any(r["oi"] for r in source.values()) and any(r["polygone_ha"] for r in source.values())
    target = target_factory()
    sleeps: list[float] = []
    with FaultProxy(fhir_uncached_server.url, delay_s=5.0) as proxy:
        proxy.faults = [on_requests({2}, "503"), on_requests({3}, "truncate"), on_requests({4}, "timeout")]
        result = _sync(target, proxy, sleeps)
        assert [a for _n, _p, a, _t in proxy.log[:4]] == [None, "503", "truncate", "timeout"]
        assert all(auth == "Bearer jeton-de-test" for *_x, auth in proxy.log)
        assert result.retries >= 3 and sleeps[0] == 1.0  # Retry-After honoured (more retries: a loaded machine)
        assert result.pages >= 5 and result.counts["offres_creees"] == len(source)
        assert [r for r in result.rejections if r.gravite == "rejet"] == []
        assert differences(public_offers(target), source) == {}
        assert _runs(target)[-1]["status"] == "reussi"
        proxy.faults = []
        _derived_locations_are_no_places(proxy, target, sleeps, result.counts)
        _changes_reach_the_target(proxy, fhir_source_url, target, sleeps)


def _derived_locations_are_no_places(proxy: FaultProxy, target: str, sleeps: list[float], counts) -> None:
    """The CNSA unit (capacity, no place) comes with the Location derived from it: B gets the capacity and its
    provenance back on the offer, no place; a second, full sync changes nothing."""
    assert counts["lieux_deduits_d_une_offre"] >= 1

    def state() -> tuple:
        with connect(target) as conn:
            offers = conn.execute(
                "SELECT o.ror_id, l.ror_id AS lieu, o.capacite, o.capacite_type, o.capacite_maj, "
                "o.provenance -> 'capacite' AS p FROM offre o LEFT JOIN lieu l ON l.id = o.lieu_id "
                "WHERE o.ror_id = ANY (%s) ORDER BY 1", ([CNSA_OFFER, ROR_OFFER_CNSA_FIGURE],)).fetchall()
            places = conn.execute("SELECT array_agg(ror_id ORDER BY ror_id) AS a FROM lieu").fetchone()["a"]
        return offers, places

    offers, places = state()
    common = {"capacite_type": "place", "capacite_maj": None, "p": CNSA_PROVENANCE}
    assert offers == [{"ror_id": CNSA_OFFER, "lieu": None, "capacite": 80, **common},
                      {"ror_id": ROR_OFFER_CNSA_FIGURE, "lieu": ROR_PLACE_WITHOUT_LINES, "capacite": 12, **common}]
    assert not [p for p in places if p.startswith("offre-")]
    before = public_offers(target)
    again = _sync(target, proxy, sleeps, full=True)
    assert again.counts["offres_creees"] == 0 and [r for r in again.rejections if r.gravite == "rejet"] == []
    assert differences(public_offers(target), before) == {} and state() == (offers, places)


def _changes_reach_the_target(proxy: FaultProxy, source_url: str, target: str, sleeps: list[float]) -> None:
    """A changes: one offer renamed, two made sensitive (they must disappear from B, and so must the place that only
    one of them used)."""
    before = public_offers(source_url)
    with connect(source_url) as conn, conn.transaction():
        alone = conn.execute(
            "SELECT o.ror_id, l.ror_id AS lieu FROM offre o JOIN lieu l ON l.id = o.lieu_id"
            " WHERE NOT o.unite_sensible AND o.statut = 'ouverte'"
            " AND NOT EXISTS (SELECT 1 FROM offre x WHERE x.lieu_id = o.lieu_id AND x.id <> o.id)"
            " ORDER BY o.ror_id LIMIT 1").fetchone()
        assert alone is not None
        conn.execute("UPDATE offre SET nom = nom || ' (renommée)', updated_at = now() WHERE ror_id = 'cov-commune'")
        conn.execute("UPDATE offre SET unite_sensible = true, updated_at = now() WHERE ror_id = ANY (%s)",
                     (["cov-arr", alone["ror_id"]],))
    try:
        with connect(target) as conn:
            assert conn.execute("SELECT 1 FROM lieu WHERE ror_id = %s", (alone["lieu"],)).fetchone()
        dry = _sync(target, proxy, sleeps, dry_run=True)
        assert dry.counts["offres_mises_a_jour"] == 1 and dry.counts["offres_supprimees"] == 2
        assert differences(public_offers(target), before) == {}  # nothing written
        incremental = _sync(target, proxy, sleeps)
        assert incremental.since is not None and incremental.pages == 1
        assert incremental.counts["offres_mises_a_jour"] == 1 and incremental.counts["offres_supprimees"] == 2
        assert incremental.counts["lieux_supprimes"] >= 1
        assert differences(public_offers(target), public_offers(source_url)) == {}
        with connect(target) as conn:
            assert conn.execute("SELECT 1 FROM lieu WHERE ror_id = %s", (alone["lieu"],)).fetchone() is None
            orphans = conn.execute(
                "SELECT (SELECT count(*) FROM lieu l WHERE NOT EXISTS (SELECT 1 FROM offre o WHERE o.lieu_id = l.id))"
                " + (SELECT count(*) FROM organisation_interne i"
                "    WHERE NOT EXISTS (SELECT 1 FROM offre o WHERE o.oi_id = i.id)"
                "      AND NOT EXISTS (SELECT 1 FROM organisation_interne c WHERE c.parent_id = i.id)) AS n"
            ).fetchone()["n"]
            assert orphans == 0
    finally:
        with connect(source_url) as conn, conn.transaction():
            conn.execute("UPDATE offre SET nom = replace(nom, ' (renommée)', '') WHERE ror_id = 'cov-commune'")
            conn.execute("UPDATE offre SET unite_sensible = false WHERE ror_id = ANY (%s)",
                         (["cov-arr", alone["ror_id"]],))


def test_an_interrupted_sync_resumes_where_it_stopped(fhir_uncached_server, fhir_source_url, target_factory):
    target = target_factory()
    sleeps: list[float] = []
    with FaultProxy(fhir_uncached_server.url) as proxy:
        proxy.faults = [after(3, "500")]
        with pytest.raises(SourceUnavailable):
            _sync(target, proxy, sleeps)
        with connect(target) as conn:
            state = read_state(conn, proxy.url + "/fhir")
            first = conn.execute("SELECT count(*) AS n FROM offre").fetchone()["n"]
        assert "_offset=21" in state["next"] and first > 0
        assert _runs(target)[-1]["status"] == "echoue"
        proxy.faults = []
        done = len(proxy.log)
        result = _sync(target, proxy, sleeps)
        assert "_offset=21" in proxy.log[done][1]  # resumed at the page that failed, nothing fetched twice
    assert result.resumed and result.counts["offres_mises_a_jour"] == 0
    assert first + result.counts["offres_creees"] == len(public_offers(fhir_source_url))
    assert differences(public_offers(target), public_offers(fhir_source_url)) == {}
    assert _runs(target)[-1]["status"] == "reussi"
