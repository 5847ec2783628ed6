"""Application factory. The lifespan owns the database pool; nothing is built at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware

from api import errors
from api.routers import cartes, communes, departements, health, imports, ogc, pages, services
from gis import __version__
from gis.db import make_pool
from gis.settings import Settings, get_settings
from web_map.assets import static_mounts
from web_map.security import SecurityHeadersMiddleware

DESCRIPTION = """
Service cartographique du **Répertoire Opérationnel des Ressources (ROR) d'Île-de-France** :
communes et territoires, établissements, offres et zones d'intervention.

Sources : INSEE COG 2026, IGN Admin Express 2018, Ville de Paris.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the FastAPI app for ``settings`` (default: from the environment)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = make_pool(
            settings.database_url,
            min_size=settings.pool_min_size,
            max_size=settings.pool_max_size,
            timeout_ms=settings.statement_timeout_ms,
            wait_s=settings.pool_wait_s,
        )
        pool.open(wait=False)
        app.state.pool = pool
        try:
            yield
        finally:
            pool.close()

    app = FastAPI(
        title="ror-gis",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    errors.install(app)
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    app.add_middleware(SecurityHeadersMiddleware, settings=settings)
    app.include_router(health.router)
    app.include_router(communes.router)
    app.include_router(departements.router)
    app.include_router(services.router)
    app.include_router(imports.router)
    app.include_router(pages.router)
    app.include_router(cartes.router)
    app.include_router(ogc.router)
    for path, name, static_app in static_mounts():
        app.mount(path, static_app, name=name)
    return app
