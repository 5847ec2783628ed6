"""OpenID Connect bearer JWTs: an RSA key made by the test, its JWKS served by a real local HTTP server, a live API
configured with ``auth_mode=jetons+oidc``. Every refusal is a 401; claims map to roles and scope, failing closed."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from gis.settings import Settings
from tests.access.support import EG_IN_SCOPE, EG_OTHER
from tests.conftest import LiveServer

ISSUER = "https://idp.example.test/realms/sante"
AUDIENCE = "ror-gis"


class Jwks:
    """Keys published by the fake provider (the test adds keys to rotate them)."""

    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.fetches = 0

    def add(self, kid: str) -> rsa.RSAPrivateKey:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return self.keys[kid]

    def document(self) -> bytes:
        keys = []
        for kid, key in self.keys.items():
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        return json.dumps({"keys": keys}).encode()


@pytest.fixture(scope="module")
def jwks() -> Iterator[tuple[Jwks, str]]:
    published = Jwks()
    published.add("k1")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            published.fetches += 1
            body = published.document()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield published, f"http://127.0.0.1:{server.server_address[1]}/certs"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def oidc_http(jwks, access_db: str, data_dir: Path) -> Iterator[httpx.Client]:
    settings = Settings(database_url=access_db, data_dir=data_dir, download=False, auth_mode="jetons+oidc",
                        oidc_jwks_url=jwks[1], oidc_issuer=ISSUER, oidc_audience=AUDIENCE, oidc_jwks_cooldown_s=0,
                        oidc_role_map="medecin=professionnel,referent-eg=referent,ars-admin=administrateur")
    server = LiveServer(settings)
    server.start()
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client
    server.stop()


def _jwt(key: rsa.RSAPrivateKey, kid: str = "k1", alg: str = "RS256", **overrides: object) -> str:
    now = int(time.time())
    claims: dict[str, object] = {"iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "iat": now, "exp": now + 300,
                                 "name": "Dr Test (fictif)", "ror_gis_role": ["medecin"]}
    claims.update(overrides)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key, algorithm=alg, headers={"kid": kid})


def _me(client: httpx.Client, token: str) -> httpx.Response:
    return client.get("/api/v1/moi", headers={"Authorization": f"Bearer {token}"})


def test_valid_jwt_maps_to_a_principal(oidc_http, jwks):
    key = jwks[0].keys["k1"]
    me = _me(oidc_http, _jwt(key))
    assert me.status_code == 200, me.text
    assert me.json() | {"visibilite": None} == {
        "authentifie": True, "role": "professionnel", "libelle": "Professionnel", "nom": "Dr Test (fictif)",
        "source": "oidc", "etablissements": [], "habilite_sensible": False, "visibilite": None}
    admin = _me(oidc_http, _jwt(key, ror_gis_role="ars-admin medecin")).json()
    assert admin["role"] == "administrateur"  # the most trusted mapped value
    habilitated = _me(oidc_http, _jwt(key, habilite_sensible=True)).json()
    assert habilitated["visibilite"] == {"confidentialite_max": 2, "unites_sensibles": True}
    unknown = _me(oidc_http, _jwt(key, ror_gis_role=["superuser"], habilite_sensible="peut-être")).json()
    assert unknown["role"] == "public" and unknown["habilite_sensible"] is False  # fail closed


def test_referent_scope_from_claims(oidc_http, jwks):
    token = _jwt(jwks[0].keys["k1"], ror_gis_role="referent-eg", finess=[EG_IN_SCOPE, "pas-un-finess"])
    headers = {"Authorization": f"Bearer {token}"}
    assert _me(oidc_http, token).json()["etablissements"] == [EG_IN_SCOPE]
    assert oidc_http.get("/api/v1/gestion/offres/cov-commune", headers=headers).status_code == 200
    assert oidc_http.get("/api/v1/gestion/offres/cov-dep", headers=headers).status_code == 403
    assert EG_OTHER not in _me(oidc_http, token).text


def test_invalid_jwts_are_refused(oidc_http, jwks):
    key = jwks[0].keys["k1"]
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    now = int(time.time())
    refused = {
        "expired": _jwt(key, exp=now - 120, iat=now - 600),
        "audience": _jwt(key, aud="autre-application"),
        "issuer": _jwt(key, iss="https://idp.example.test/realms/autre"),
        "no-sub": _jwt(key, sub=None),
        "other-key-same-kid": _jwt(stranger),
        "unknown-kid": _jwt(stranger, kid="inconnu"),
        "hs256-with-public-key": jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": now + 300},
                                            public_pem.decode()[:40], algorithm="HS256", headers={"kid": "k1"}),
        "alg-none": jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": now + 300}, None,
                               algorithm="none", headers={"kid": "k1"}),
        "tampered": _jwt(key)[:-6] + "AAAAAA",
    }
    for name, token in refused.items():
        resp = _me(oidc_http, token)
        assert resp.status_code == 401, (name, resp.text)
        assert resp.json()["code"] == "authentification_requise", name
        assert resp.headers["www-authenticate"].startswith("Bearer"), name


def test_key_rotation_fetches_the_jwks_again(oidc_http, jwks):
    published, _url = jwks
    assert _me(oidc_http, _jwt(published.keys["k1"])).status_code == 200
    before = published.fetches
    new_key = published.add("k2")
    assert _me(oidc_http, _jwt(new_key, kid="k2")).json()["role"] == "professionnel"
    assert published.fetches > before


def test_api_tokens_still_work_beside_oidc(oidc_http, access_tokens):
    me = _me(oidc_http, access_tokens["referent"][1])
    assert me.status_code == 200 and me.json()["source"] == "jeton"


def test_modes():
    assert not Settings(auth_mode="oidc", oidc_jwks_url="http://x/").api_tokens_enabled()
    assert Settings(auth_mode="oidc", oidc_jwks_url="http://x/").oidc_enabled()
    assert not Settings(auth_mode="oidc").oidc_enabled()  # no JWKS: no JWT accepted
    assert not Settings().oidc_enabled()
