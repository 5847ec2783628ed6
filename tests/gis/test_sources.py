"""Source fetching: the download path, tested against a local HTTP server serving the shared files."""

from __future__ import annotations

import functools
import http.server
import io
import tarfile
import threading
from pathlib import Path

import pytest

from gis.db import connect
from gis.errors import SourceUnavailable
from gis.importers.geography import load_geography
from gis.sources import Download, Fetcher, Source, load_manifest, sha256_of


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    requested: list[str] = []

    def log_message(self, *_args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        _QuietHandler.requested.append(self.path)
        super().do_GET()


@pytest.fixture
def served(tmp_path):
    """Serve a folder over HTTP on a free local port; yields (base_url, folder)."""

    def start(folder: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    servers: list[http.server.ThreadingHTTPServer] = []
    _QuietHandler.requested = []
    yield start
    for s in servers:
        s.shutdown()


def test_geography_loads_from_a_mirror_when_the_data_dir_is_empty(served, data_dir, tmp_path, empty_db_factory):
    base = served(data_dir)
    empty = tmp_path / "empty"
    empty.mkdir()
    fetcher = Fetcher(empty, tmp_path / "cache", mirror_url=base, log=lambda _m: None)
    url = empty_db_factory()
    with connect(url) as conn:
        summary = load_geography(conn, fetcher, region="11")
    assert summary.communes == 1266 and summary.arrondissements == 20
    assert summary.without_geometry == []
    # Every IDF source was downloaded once, into the cache, with the published checksum.
    manifest = load_manifest()
    for name in ("cog_communes", "communes_idf_2018", "paris_arrondissements"):
        cached = tmp_path / "cache" / "data" / manifest[name].path
        assert cached.is_file()
        assert sha256_of(cached) == manifest[name].sha256
    assert "/communes/communes-france-2018-fusion-departements.geojson" not in _QuietHandler.requested
    # A second fetch reads the cache: no new request.
    before = len(_QuietHandler.requested)
    fetcher.path(manifest["cog_communes"])
    assert len(_QuietHandler.requested) == before


def test_npm_tarball_member_is_extracted(served, tmp_path):
    payload = b'[{"code": "75056"}]'
    folder = tmp_path / "www"
    folder.mkdir()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("package/data/communes.json")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    (folder / "pkg.tgz").write_bytes(buf.getvalue())
    base = served(folder)
    import hashlib

    src = Source(
        name="t", path="cog/communes.json", title="COG", producer="test", licence="LO", date="2026",
        sha256=hashlib.sha256(payload).hexdigest(),
        urls=(Download(url=f"{base}/missing.tgz", member="x", pinned=True),
              Download(url=f"{base}/pkg.tgz", member="package/data/communes.json", pinned=True)),
    )
    fetcher = Fetcher(tmp_path / "nodata", tmp_path / "cache", log=lambda _m: None)
    path = fetcher.path(src)
    assert path.read_bytes() == payload


def test_wrong_checksum_is_refused_and_nothing_is_cached(served, tmp_path):
    folder = tmp_path / "www"
    (folder / "cog").mkdir(parents=True)
    (folder / "cog" / "communes.json").write_text("[]")
    base = served(folder)
    src = Source(name="t", path="cog/communes.json", title="COG 2026", producer="p", licence="l", date="d",
                 sha256="0" * 64, urls=())
    fetcher = Fetcher(tmp_path / "nodata", tmp_path / "cache", mirror_url=base, log=lambda _m: None)
    with pytest.raises(SourceUnavailable) as err:
        fetcher.path(src)
    assert "Impossible d'obtenir COG 2026" in err.value.message
    assert any("SHA-256" in d for d in err.value.details)
    assert not (tmp_path / "cache" / "data" / "cog" / "communes.json").exists()


def test_download_disabled_gives_a_clear_message(tmp_path):
    src = load_manifest()["cog_communes"]
    fetcher = Fetcher(tmp_path / "nodata", tmp_path / "cache", allow_download=False, log=lambda _m: None)
    with pytest.raises(SourceUnavailable, match="téléchargement désactivé"):
        fetcher.path(src)


def test_manifest_names_official_publishers():
    manifest = load_manifest()
    assert set(manifest) >= {"cog_communes", "communes_idf_2018", "communes_france_2018", "paris_arrondissements"}
    for src in manifest.values():
        assert src.urls, src.name
        assert src.licence and src.producer and src.date
    assert any("registry.npmjs.org/@etalab/decoupage-administratif" in u.url for u in manifest["cog_communes"].urls)
    assert any("opendata.paris.fr" in u.url for u in manifest["paris_arrondissements"].urls)
