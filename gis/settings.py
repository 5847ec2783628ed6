"""The one settings object of ror-gis (environment variables prefixed ``ROR_GIS_``).

Nothing is read at import time: call :func:`get_settings` where settings are needed.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# The checkout's sibling folder ../shared/data (read-only reference data beside the repository).
_REPO_ROOT = Path(__file__).resolve().parent.parent
_SIBLING_DATA = _REPO_ROOT.parent / "shared" / "data"


class Settings(BaseSettings):
    """Runtime configuration; every field can be set as ``ROR_GIS_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="ROR_GIS_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="postgresql:///ror_gis",
        description="PostgreSQL URL (libpq form). Default: local socket, current user, database ror_gis.",
    )
    data_dir: Path | None = Field(
        default=None,
        description="Folder with the source files. Unset: ../shared/data beside the checkout if it "
        "exists, else the download cache.",
    )
    cache_dir: Path = Field(
        default=Path.home() / ".cache" / "ror-gis",
        description="Where downloaded sources are kept.",
    )
    mirror_url: str | None = Field(
        default=None,
        description="Base URL of a mirror laid out like the data directory; tried before the official "
        "publishers when a source file is missing.",
    )
    download: bool = Field(default=True, description="Allow downloading missing sources.")
    database_replica_urls: str = Field(
        default="",
        description="Streaming replicas of the primary (comma-separated libpq URLs) for the read-only answers; "
        "writes, loads and probes use database_url. Empty: the primary answers everything.",
    )
    replica_poll_s: float = Field(default=0.5, gt=0, description="How often each replica's data version is read (s).")
    replica_wait_s: float = Field(
        default=1.0, gt=0, description="How long a request waits for a replica connection before the primary answers."
    )
    pool_min_size: int = 2
    pool_max_size: int = Field(default=10, ge=1, le=200, description="Database connections per API process.")
    statement_timeout_ms: int = 15000
    pool_wait_s: float = Field(default=10.0, description="How long a request waits for a database connection.")
    queue_max: int = Field(
        default=2000, ge=0,
        description="Requests allowed to wait for a database connection per process; beyond, 503 + Retry-After.",
    )
    cache_max_mb: int = Field(
        default=256, ge=0, description="Memory of the in-process response cache (MB); 0 disables the cache."
    )
    cache_max_entry_mb: int = Field(default=16, ge=1, description="Largest answer kept in the response cache (MB).")
    version_poll_s: float = Field(
        default=2.0, gt=0, description="Safety re-read of the data version when no notification arrived (s)."
    )
    cors_origins: str = Field(
        default="*",
        description="Origins allowed to call the data API from a browser (comma-separated, or * for any); "
        "credentials are never allowed. Empty: no CORS.",
    )
    workers: int | None = Field(default=None, ge=1, description="`ror-gis serve` processes; default one per core.")
    access_log: bool = Field(default=False, description="Log every request (uvicorn access log).")
    frame_ancestors: str = Field(
        default="'self'",
        description="Space-separated CSP frame-ancestors allow-list for the embeddable maps "
        "(e.g. \"'self' https://*.dac-idf.fr\").",
    )
    basemap: str = Field(default="plan-ign", description="Default basemap: plan-ign, osm or none.")
    public_url: str | None = Field(default=None, description="Public base URL, for embed codes.")
    tile_hosts: str = Field(
        default="https://data.geopf.fr https://tile.openstreetmap.org",
        description="Space-separated origins the map pages may load basemap tiles from (CSP img-src).",
    )
    upload_max_bytes: int = Field(default=5 * 1024 * 1024, description="Uploaded spreadsheet: size of the file.")
    upload_max_unpacked_bytes: int = Field(
        default=20 * 1024 * 1024,
        description="Uploaded XLSX: total uncompressed size of the parts read (declared and actual).",
    )
    upload_max_sheets: int = Field(default=50, description="Uploaded XLSX: number of sheets.")
    upload_max_rows: int = Field(default=50_000, description="Uploaded spreadsheet: rows read.")
    upload_max_columns: int = Field(default=200, description="Uploaded spreadsheet: columns.")
    upload_max_cells: int = Field(default=100_000, description="Uploaded XLSX: cells read (XML parsed in Python).")
    upload_max_csv_cells: int = Field(default=500_000, description="Uploaded CSV: cells read (C parser).")
    disponibilite_perimee_h: int = Field(
        default=72, ge=1, le=24 * 365,
        description="An availability figure (places disponibles) older than this many hours is shown as stale.",
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="Log lines as plain text, or one JSON object per line (servers)."
    )
    signalement_max: int = Field(
        default=5, ge=1, description="Anomaly reports a client may send per window (then 429 + Retry-After)."
    )
    signalement_window_s: int = Field(default=900, ge=1, description="Window of the anomaly-report rate limit (s).")

    auth_mode: Literal["jetons", "oidc", "jetons+oidc"] = Field(
        default="jetons",
        description="How API clients authenticate: ror-gis API tokens, OpenID Connect JWTs, or both.",
    )
    oidc_jwks_url: str | None = Field(default=None, description="OIDC: URL of the provider's JWKS (signing keys).")
    oidc_issuer: str | None = Field(default=None, description="OIDC: expected `iss` of the JWTs.")
    oidc_audience: str | None = Field(default=None, description="OIDC: expected `aud` of the JWTs (client id).")
    oidc_algorithms: str = Field(default="RS256 ES256 PS256", description="OIDC: accepted signature algorithms.")
    oidc_role_claim: str = Field(default="ror_gis_role", description="OIDC: claim holding the role (or roles).")
    oidc_role_map: str = Field(
        default="",
        description="OIDC: claim value → role, comma-separated `value=role` pairs (e.g. "
        "\"medecin=professionnel,dac-admin=administrateur\"); roles named as such map to themselves; "
        "any other value is the public.",
    )
    oidc_scope_claim: str = Field(default="finess", description="OIDC: claim listing a référent's FINESS ET numbers.")
    oidc_sensible_claim: str = Field(
        default="habilite_sensible", description="OIDC: claim granting sensitive units (only a clear true grants)."
    )
    oidc_jwks_cache_s: float = Field(default=300, ge=0, description="OIDC: how long the fetched keys are reused (s).")
    oidc_jwks_cooldown_s: float = Field(
        default=30, ge=0, description="OIDC: least delay between two JWKS fetches caused by an unknown key id (s).")
    session_hours: float = Field(default=8, gt=0, le=720, description="Lifetime of a page session (/connexion).")
    cookie_secure: Literal["auto", "oui", "non"] = Field(
        default="auto",
        description="`Secure` flag of the session cookie: auto = always except on plain http://localhost.",
    )

    def api_tokens_enabled(self) -> bool:
        """Return True when ror-gis API tokens are accepted."""
        return self.auth_mode in ("jetons", "jetons+oidc")

    def oidc_enabled(self) -> bool:
        """Return True when OIDC JWTs are accepted (and a JWKS URL is configured)."""
        return self.auth_mode in ("oidc", "jetons+oidc") and bool(self.oidc_jwks_url)

    login_max_echecs: int = Field(
        default=10, ge=1, description="Failed logins allowed per client address and window on /connexion (per process)."
    )
    login_fenetre_s: int = Field(default=300, ge=1, description="Window of the failed-login limit (s).")

    def replica_url_list(self) -> list[str]:
        """``database_replica_urls`` as a list."""
        return [u for u in self.database_replica_urls.replace(",", " ").split() if u]

    def cors_origin_list(self) -> list[str]:
        """``cors_origins`` as a list."""
        return [o for o in self.cors_origins.replace(",", " ").split() if o]

    def resolved_data_dir(self) -> Path:
        """Return the folder the loaders read first."""
        if self.data_dir is not None:
            return self.data_dir
        if _SIBLING_DATA.is_dir():
            return _SIBLING_DATA
        return self.cache_dir / "data"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read from the environment on first use."""
    return Settings()
