"""Find a reference source file: data directory, download cache, then mirror or official publisher.

The manifest (``data/communes/sources.toml``) is package data of ``data.communes``; it is read as a
resource, and nothing under ``data/`` imports ``gis`` (dependencies go one way).

Downloads are written atomically into the cache and checked against the manifest's SHA-256 when the
URL is pinned; a source that cannot be found raises :class:`gis.errors.SourceUnavailable`.
"""

from __future__ import annotations

import hashlib
import io
import logging
import tarfile
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import httpx

from gis.errors import SourceUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Download:
    """One download location of a source (``member`` of a .tgz, ``pinned`` = checksum checked)."""

    url: str
    member: str | None = None
    pinned: bool = False


@dataclass(frozen=True)
class Source:
    """One entry of ``sources.toml``."""

    name: str
    path: str
    title: str
    producer: str
    licence: str
    date: str
    sha256: str | None = None
    urls: tuple[Download, ...] = field(default_factory=tuple)
    optional: bool = False  # the load goes on without it (and says what is missing)


def load_manifest(text: str | None = None) -> dict[str, Source]:
    """Parse ``sources.toml`` (or the given TOML text)."""
    if text is None:
        text = resources.files("data.communes").joinpath("sources.toml").read_text(encoding="utf-8")
    out = {}
    for name, entry in tomllib.loads(text).items():
        urls = tuple(Download(**u) for u in entry.pop("urls", []))
        out[name] = Source(name=name, urls=urls, **entry)
    return out


def log_info(message: str) -> None:
    """Default progress sink of :class:`Fetcher`: the ``gis.sources`` logger."""
    log.info(message.strip())


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, hex."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Fetcher:
    """Resolves source files to local paths, downloading what is missing."""

    def __init__(
        self,
        data_dir: Path,
        cache_dir: Path,
        *,
        mirror_url: str | None = None,
        allow_download: bool = True,
        timeout: float = 60.0,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.cache_dir = Path(cache_dir) / "data"
        self.mirror_url = mirror_url.rstrip("/") if mirror_url else None
        self.allow_download = allow_download
        self.timeout = timeout
        self.log = log or log_info

    def path(self, source: Source) -> Path:
        """Local path of the source, downloading it into the cache if needed."""
        for base in (self.data_dir, self.cache_dir):
            candidate = base / source.path
            if candidate.is_file():
                return candidate
        if not self.allow_download:
            raise SourceUnavailable(
                f"Fichier source absent : {source.path} (dossier de données {self.data_dir}) "
                "et téléchargement désactivé."
            )
        attempts: list[str] = []
        candidates: list[Download] = []
        if self.mirror_url:
            candidates.append(Download(url=f"{self.mirror_url}/{source.path}", pinned=True))
        candidates.extend(source.urls)
        target = self.cache_dir / source.path
        for dl in candidates:
            try:
                payload = self._download(dl)
            except (httpx.HTTPError, OSError, tarfile.TarError, KeyError) as exc:
                attempts.append(f"{dl.url} : {exc.__class__.__name__} {exc}")
                continue
            digest = hashlib.sha256(payload).hexdigest()
            if dl.pinned and source.sha256 and digest != source.sha256:
                attempts.append(f"{dl.url} : empreinte SHA-256 inattendue ({digest[:12]}…)")
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
                tmp.write(payload)
            Path(tmp.name).replace(target)
            self.log(f"  téléchargé : {source.path} ({len(payload) / 1e6:.1f} Mo) depuis {dl.url}")
            return target
        raise SourceUnavailable(
            f"Impossible d'obtenir {source.title} ({source.path}).",
            details=attempts,
        )

    def _download(self, dl: Download) -> bytes:
        self.log(f"  téléchargement de {dl.url} …")
        with httpx.Client(timeout=self.timeout, follow_redirects=True) as client:
            resp = client.get(dl.url)
            resp.raise_for_status()
            body = resp.content
        if dl.member:
            with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as tar:
                member = tar.extractfile(dl.member)
                if member is None:
                    raise KeyError(dl.member)
                return member.read()
        return body
