"""couverture.publique (migration 021) mirrors the public visibility of each row's offer, whatever changes it.

The public coverage answer counts and pages a commune's rows by this flag; these tests flip every column the public
visibility depends on and check the flag, the answer and its count, for the public and for a visibility that sees
sensitive units (which does not use the flag).
"""

from __future__ import annotations

import itertools

import pytest
from psycopg import sql

from gis.access import Confidentialite, Visibility
from gis.layers import offres
from gis.layers.filters import PUBLIC_OFFER
from gis.layers.offres import Filters
from gis.territories import coverage
from tests import coverage_fixture

SENSITIVE = Visibility(Confidentialite.ACCES_RESTREINT, sensitive=True)
RESTRICTED = Visibility(Confidentialite.ACCES_RESTREINT, sensitive=False)
STATUTS = ["ouverte", "fermee_temporairement", "fermee"]


@pytest.fixture
def ids(conn):
    return coverage_fixture.insert(conn)


def _flags_match_the_rule(conn) -> None:
    """Every coverage row's flag equals the public rule of the layers evaluated on its offer."""
    wrong = conn.execute(sql.SQL(
        "SELECT o.ror_id, cv.insee FROM couverture cv JOIN offre o ON o.id = cv.offre_id "
        "WHERE cv.publique IS DISTINCT FROM ({})").format(PUBLIC_OFFER)).fetchall()
    assert wrong == []


def _answer(conn, vis=None, **filters):
    kwargs = {"vis": vis} if vis else {}
    answer = offres.covering(conn, "93066", Filters(**filters), **kwargs)
    return {r["id"] for r in answer["results"]}, answer["total"]


def test_the_flag_rule_is_the_public_rule_of_the_layers(conn):
    values = list(itertools.product([True, False, None], [*STATUTS, None]))
    rows = conn.execute(sql.SQL(
        "SELECT offre_publique(o.unite_sensible, o.statut) AS flag, ({}) AS rule "
        "FROM unnest(%s::boolean[], %s::text[]) AS o(unite_sensible, statut)").format(PUBLIC_OFFER),
        ([u for u, _ in values], [s for _, s in values])).fetchall()
    assert len(rows) == len(values)
    assert all(r["flag"] is r["rule"] for r in rows)


@pytest.mark.parametrize(("column", "hidden", "shown"), [
    ("unite_sensible", True, False),
    ("statut", "fermee", "ouverte"),
    ("statut", "fermee", "fermee_temporairement"),
])
def test_flipping_a_visibility_column_follows_in_the_public_answer(conn, ids, column, hidden, shown):
    _flags_match_the_rule(conn)
    update = sql.SQL("UPDATE offre SET {} = %s WHERE ror_id = 'cov-commune'").format(sql.Identifier(column))
    conn.execute(update, (shown,))
    names, total = _answer(conn)
    assert "cov-commune" in names and total == len(names)
    sensitive_total = _answer(conn, SENSITIVE)[1]

    conn.execute(update, (hidden,))
    _flags_match_the_rule(conn)
    for vis in (None, RESTRICTED):
        hidden_names, hidden_total = _answer(conn, vis)
        assert "cov-commune" not in hidden_names
        assert hidden_total == total - 1 == len(hidden_names)
    assert _answer(conn, type_offre=["30"])[0] & {"cov-commune"} == set()
    # a visibility that sees sensitive units still sees it unless it is closed
    assert ("cov-commune" in _answer(conn, SENSITIVE)[0]) is (hidden is True)

    conn.execute(update, (shown,))
    _flags_match_the_rule(conn)
    assert _answer(conn) == (names, total)
    assert _answer(conn, SENSITIVE)[1] == sensitive_total


def test_a_stale_flag_never_shows_a_hidden_offer_and_a_refresh_repairs_it(conn, ids):
    conn.execute("UPDATE couverture SET publique = true WHERE offre_id = ANY (%s)",
                 ([ids["cov-sensible"], ids["cov-fermee"]],))
    names, _ = _answer(conn)
    assert not names & {"cov-sensible", "cov-fermee"}  # the rule is checked on every offer returned
    assert not _answer(conn, type_offre=["30"])[0] & {"cov-sensible", "cov-fermee"}

    conn.execute("UPDATE couverture SET publique = false WHERE offre_id = %s", (ids["cov-commune"],))
    coverage.refresh(conn, list(ids.values()))
    _flags_match_the_rule(conn)
    names, total = _answer(conn)
    assert "cov-commune" in names and total == len(names)


def test_unfiltered_and_filtered_counts_agree(conn, ids):
    for insee in ("93066", "75110", "75056", "94028"):
        everything = offres.covering(conn, insee, limit=1000)
        assert everything["total"] == len(everything["results"])
        by_type: dict[str, int] = {}
        for r in everything["results"]:
            by_type[r["type_offre"]["code"]] = by_type.get(r["type_offre"]["code"], 0) + 1
        for code, n in by_type.items():
            assert offres.covering(conn, insee, Filters(type_offre=[code]), limit=1000)["total"] == n
        page = offres.covering(conn, insee, limit=2, offset=1)
        assert page["total"] == everything["total"]
        assert [r["id"] for r in page["results"]] == [r["id"] for r in everything["results"][1:3]]
