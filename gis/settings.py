"""The one settings object of ror-gis (environment variables prefixed ``ROR_GIS_``).

Nothing is read at import time: call :func:`get_settings` where settings are needed.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

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
    pool_min_size: int = 1
    pool_max_size: int = 10
    statement_timeout_ms: int = 15000
    pool_wait_s: float = Field(default=10.0, description="How long a request waits for a database connection.")
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

    def resolved_data_dir(self) -> Path:
        """The folder the loaders read first."""
        if self.data_dir is not None:
            return self.data_dir
        if _SIBLING_DATA.is_dir():
            return _SIBLING_DATA
        return self.cache_dir / "data"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings()
