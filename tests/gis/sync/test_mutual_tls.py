"""The harvester over mutual TLS (as the national API requires): a uvicorn server that demands a client
certificate from a test CA; without the certificate the sync fails with a French message, with it it succeeds."""

from __future__ import annotations

import ssl
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn

from api.app import create_app
from gis.db import connect
from gis.errors import SourceUnavailable
from gis.settings import Settings
from gis.sync import sync_fhir
from gis.sync.client import ClientOptions
from tests.conftest import _free_port


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _pki(d: Path) -> None:
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=AC de test ror-gis", cwd=d)
    for name, cn in (("server", "127.0.0.1"), ("client", "client de test")):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-subj", f"/CN={cn}", "-addext", "subjectAltName=IP:127.0.0.1", cwd=d)
        (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", f"{name}.pem", "-days", "2", "-extfile", "ext.cnf", cwd=d)


@pytest.fixture(scope="module")
def tls_server(fhir_source_url, data_dir, tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    _pki(d)
    port = _free_port()
    settings = Settings(database_url=fhir_source_url, data_dir=data_dir, download=False, cache_max_mb=0)
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning",
                            ssl_keyfile=str(d / "server.key"), ssl_certfile=str(d / "server.pem"),
                            ssl_ca_certs=str(d / "ca.pem"), ssl_cert_reqs=ssl.CERT_REQUIRED)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    context = ssl.create_default_context(cafile=str(d / "ca.pem"))
    context.load_cert_chain(str(d / "client.pem"), str(d / "client.key"))
    for _ in range(200):
        try:
            httpx.get(f"https://127.0.0.1:{port}/fhir/metadata", verify=context, timeout=2)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield f"https://127.0.0.1:{port}/fhir", d
    server.should_exit = True
    thread.join(timeout=10)


def test_sync_needs_the_client_certificate(tls_server, target_factory):
    base, d = tls_server
    target = target_factory()
    with connect(target) as conn:
        with pytest.raises(SourceUnavailable, match="injoignable"):
            sync_fhir(conn, base, options=ClientOptions(ca=str(d / "ca.pem"), retries=0), page_size=100)
        options = ClientOptions(ca=str(d / "ca.pem"), cert=str(d / "client.pem"), key=str(d / "client.key"))
        result = sync_fhir(conn, base, options=options, page_size=100)
    assert result.counts["offres_creees"] > 30 and result.pages >= 1
