"""Application factory. The lifespan owns the database pool, the gate in front of it and the data-version listener;
nothing is built at import time.

Middlewares, outermost first: security headers → CORS → response cache (answers from memory) → gzip (for answers
the cache does not keep) → FastAPI.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware

from api import dataversion, errors, openapi
from api.cache import ResponseCache, ResponseCacheMiddleware
from api.edge import BodyLimitMiddleware, CorsMiddleware, OptionsMiddleware, SecurityHeadersMiddleware
from api.gate import DbGate
from api.html import static_mounts
from api.replicas import ReplicaSet
from api.routers import (
    access,
    cartes,
    cartes_indicateurs,
    communes,
    csp,
    departements,
    disponibilites,
    docs,
    editing_pages,
    fhir,
    health,
    imports,
    indicateurs,
    ogc,
    pages,
    services,
    signalements,
    zones,
)
from gis import __version__
from gis.db import make_pool
from gis.settings import Settings, get_settings

MULTIPART_OVERHEAD = 64 * 1024  # form fields and boundaries around an uploaded file

DESCRIPTION = """
Service cartographique du **Répertoire Opérationnel des Ressources (ROR) d'Île-de-France** :
communes et territoires, établissements, offres et zones d'intervention.

Sources : INSEE COG 2026, IGN Admin Express 2018, Ville de Paris.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the FastAPI app for ``settings`` (default: from the environment)."""
    settings = settings or get_settings()
    state = dataversion.DataState()

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
        app.state.gate = DbGate(settings.pool_max_size, settings.queue_max)
        replicas = ReplicaSet(settings)
        replicas.open()
        app.state.replicas = replicas
        state.on_change(replicas.version_changed)
        listener = await dataversion.start(state, settings.database_url, settings.version_poll_s)
        try:
            yield
        finally:
            await dataversion.stop(listener)
            await replicas.close()
            pool.close()

    app = FastAPI(
        title="ror-gis",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # self-hosted /docs and /redoc (api.routers.docs), no CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.data = state
    errors.install(app)
    openapi.install(app, state)
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    if settings.cache_max_mb > 0:
        cache = ResponseCache(settings.cache_max_mb * 2**20, settings.cache_max_entry_mb * 2**20)
        app.state.cache = cache
        app.add_middleware(ResponseCacheMiddleware, cache=cache, state=state)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.upload_max_bytes + MULTIPART_OVERHEAD)
    app.add_middleware(OptionsMiddleware, routes=lambda: app.routes)
    if settings.cors_origin_list():
        app.add_middleware(CorsMiddleware, origins=settings.cors_origin_list())
    app.add_middleware(SecurityHeadersMiddleware)
    # first: the OGC tiles and features are the most requested routes, and a request walks the routes in order
    app.include_router(ogc.router)
    app.include_router(health.router)
    app.include_router(access.router)
    app.include_router(communes.router)
    app.include_router(departements.router)
    app.include_router(services.router)
    app.include_router(disponibilites.router)
    app.include_router(disponibilites.pages)
    app.include_router(imports.router)
    app.include_router(signalements.router)
    app.include_router(zones.router)
    app.include_router(pages.router)
    app.include_router(editing_pages.router)  # before cartes: /cartes/offre/{id}/zone
    app.include_router(cartes.router)
    app.include_router(indicateurs.router)
    app.include_router(cartes_indicateurs.router)
    app.include_router(docs.router)
    app.include_router(csp.router)
    app.include_router(fhir.router)
    for path, name, static_app in static_mounts():
        app.mount(path, static_app, name=name)
    return app
