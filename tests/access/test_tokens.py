"""API tokens end to end: the CLI prints a token once and stores only its hash; ``Authorization: Bearer`` on a live
server; every permission boundary (malformed, unknown, revoked, expired → 401 at once; référent scope → 403)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from gis.access import Role, parse_level, parse_role
from gis.cli import main
from gis.db import connect
from gis.errors import InvalidInput
from gis.settings import get_settings
from gis.tokens import create_token, expiry_of, revoke_token
from tests.access.support import EG_IN_SCOPE, EG_OTHER


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_cli_create_list_revoke(access_db, monkeypatch):
    monkeypatch.setenv("ROR_GIS_DATABASE_URL", access_db)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        created = runner.invoke(main, ["tokens", "create", "--role", "referent", "--etablissement", EG_IN_SCOPE,
                                       "--expire", "2099-01-01", "--nom", "Référente CLI"], catch_exceptions=False)
        assert created.exit_code == 1 and "trop lointaine" in created.output  # beyond three years: refused
        created = runner.invoke(main, ["tokens", "create", "--role", "referent", "--etablissement", EG_IN_SCOPE,
                                       "--nom", "Référente CLI"], catch_exceptions=False)
        assert created.exit_code == 0, created.output
        token = created.stdout.strip().splitlines()[-1]
        assert re.fullmatch(r"rgt_[0-9a-f]{10}_[A-Za-z0-9_-]{43}", token)
        with connect(access_db) as conn:
            row = conn.execute("SELECT id, hash, prefix FROM api_token WHERE nom = 'Référente CLI'").fetchone()
            stored = conn.execute("SELECT string_agg(t::text, ' ') AS s FROM api_token t").fetchone()["s"]
        assert token not in stored and token.split("_")[2] not in stored  # only the hash is kept
        listed = runner.invoke(main, ["tokens", "list"], catch_exceptions=False)
        assert listed.exit_code == 0 and f"#{row['id']} rgt_{row['prefix']}_…" in listed.output
        assert token not in listed.output and row["hash"] not in listed.output and "actif" in listed.output
        revoked = runner.invoke(main, ["tokens", "revoke", str(row["id"])], catch_exceptions=False)
        assert revoked.exit_code == 0 and "révoqué" in revoked.output
        assert "révoqué" in runner.invoke(main, ["tokens", "list"]).output
        unknown = runner.invoke(main, ["tokens", "revoke", "999999"])
        assert unknown.exit_code == 1 and "inconnu" in unknown.output
        bad = runner.invoke(main, ["tokens", "create", "--role", "referent"])
        assert bad.exit_code == 1 and "au moins un établissement" in bad.output
    finally:
        get_settings.cache_clear()


def test_create_token_refuses_bad_input(conn):
    with pytest.raises(InvalidInput):
        create_token(conn, role="root")
    with pytest.raises(InvalidInput):
        create_token(conn, role="public")
    with pytest.raises(InvalidInput):
        create_token(conn, role="professionnel", etablissements=[EG_IN_SCOPE])  # a scope is for référents
    with pytest.raises(InvalidInput):
        create_token(conn, role="referent", etablissements=["12"])
    with pytest.raises(InvalidInput):
        expiry_of("2020-01-01")


def test_fail_closed_parsing():
    assert parse_role("ADMINISTRATEUR") is Role.ADMINISTRATEUR
    for bad in ("root", "", None, 3, "admin"):
        assert parse_role(bad) is Role.PUBLIC
    for bad in ("x", "", None, "4", "0", True, 2.5):
        assert parse_level(bad) == 3


def test_roles_seen_by_the_api(access_http, access_tokens):
    anonymous = access_http.get("/api/v1/moi")
    assert anonymous.status_code == 200 and anonymous.json()["role"] == "public"
    assert anonymous.json()["authentifie"] is False
    assert "private" in anonymous.headers["cache-control"]
    for name, role, level, sensitive in (("professionnel", "professionnel", 2, False),
                                         ("habilite", "professionnel", 2, True),
                                         ("referent", "referent", 2, False),
                                         ("administrateur", "administrateur", 3, True)):
        me = access_http.get("/api/v1/moi", headers=_auth(access_tokens[name][1]))
        assert me.status_code == 200, (name, me.text)
        body = me.json()
        assert body["role"] == role and body["authentifie"] is True, name
        assert body["visibilite"] == {"confidentialite_max": level, "unites_sensibles": sensitive}, name
    assert access_http.get("/api/v1/moi", headers=_auth(access_tokens["referent"][1])).json()["etablissements"] \
        == [EG_IN_SCOPE]


@pytest.mark.parametrize("header", [
    "Bearer rgt_0000000000_" + "A" * 43,   # well formed, unknown
    "Bearer nonsense",                     # not a token
    "Basic dXNlcjpwYXNz",                  # another scheme
    "Bearer",                              # no token
])
def test_bad_credentials_are_refused(access_http, header):
    for path in ("/api/v1/moi", "/api/v1/communes/93066/services"):
        resp = access_http.get(path, headers={"Authorization": header})
        assert resp.status_code == 401, (header, path, resp.text)
        assert resp.headers["www-authenticate"].startswith("Bearer")
        assert resp.json()["code"] == "authentification_requise"
        assert "Traceback" not in resp.text


def test_wrong_secret_with_a_known_prefix_is_refused(access_http, access_tokens):
    token = access_tokens["professionnel"][1]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert access_http.get("/api/v1/moi", headers=_auth(forged)).status_code == 401


def test_revoked_token_is_refused_at_once(access_http, access_db):
    with connect(access_db) as conn:
        token_id, token = create_token(conn, role="professionnel", nom="à révoquer")
        conn.commit()
    assert access_http.get("/api/v1/moi", headers=_auth(token)).json()["role"] == "professionnel"
    with connect(access_db) as conn:
        assert revoke_token(conn, token_id) is True
        conn.commit()
    resp = access_http.get("/api/v1/communes/93066/services", headers=_auth(token))
    assert resp.status_code == 401
    assert access_http.get("/api/v1/moi", headers=_auth(token)).status_code == 401


def test_expired_token_is_refused_at_once(access_http, access_db):
    with connect(access_db) as conn:
        token_id, token = create_token(conn, role="administrateur", nom="qui expire")
        conn.commit()
    assert access_http.get("/api/v1/moi", headers=_auth(token)).status_code == 200
    with connect(access_db) as conn:
        last_used = conn.execute("SELECT last_used_at FROM api_token WHERE id = %s", (token_id,)).fetchone()
        assert last_used["last_used_at"] is not None
        conn.execute("UPDATE api_token SET expires_at = now() - interval '1 second' WHERE id = %s", (token_id,))
        conn.commit()
    assert access_http.get("/api/v1/moi", headers=_auth(token)).status_code == 401


def test_referent_scope_boundary(access_http, access_tokens):
    in_scope, other = "/api/v1/gestion/offres/cov-commune", "/api/v1/gestion/offres/cov-dep"
    assert access_http.get(in_scope).status_code == 401
    assert access_http.get(in_scope, headers=_auth(access_tokens["professionnel"][1])).status_code == 403
    referent = _auth(access_tokens["referent"][1])
    mine = access_http.get(in_scope, headers=referent)
    assert mine.status_code == 200 and mine.headers["cache-control"] == "private, no-store"
    assert mine.json()["etablissement_finess"] == EG_IN_SCOPE
    assert len(mine.json()["contacts"]) == 4  # every level, for the référents of the EG
    refused = access_http.get(other, headers=referent)
    assert refused.status_code == 403 and refused.json()["code"] == "acces_refuse"
    admin = _auth(access_tokens["administrateur"][1])
    assert access_http.get(other, headers=admin).json()["etablissement_finess"] == EG_OTHER
    assert access_http.get("/api/v1/gestion/offres/inconnue", headers=admin).status_code == 404


def test_a_stored_row_outside_the_rules_fails_closed():
    from gis.access import visibility
    from gis.tokens import _principal

    odd = _principal({"id": 7, "role": "superadmin", "etablissements": [EG_IN_SCOPE], "habilite_sensible": None,
                      "nom": None})
    assert odd.role is Role.PUBLIC and odd.etablissements == frozenset() and odd.habilite_sensible is False
    assert visibility(odd).public
    pro = _principal({"id": 8, "role": "professionnel", "etablissements": [EG_IN_SCOPE], "habilite_sensible": True,
                      "nom": "x"})
    assert pro.etablissements == frozenset()  # a scope only means something for a référent
