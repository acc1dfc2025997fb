"""The FastAPI application served by ``witness serve``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

import openwitness
from openwitness.api import errors
from openwitness.api.deps import RateLimits
from openwitness.api.routes import (
    allegations,
    cases,
    evidence,
    exports,
    forces,
    imports,
    incidents,
    log,
    officers,
    people,
    reports,
    session,
    taxonomy,
    tiles,
)
from openwitness.core.config import Settings
from openwitness.services import open_services
from openwitness.web import errors as web_errors
from openwitness.web import security
from openwitness.web.routes import casework, public
from openwitness.web.routes.uploads import uploads_router
from openwitness.web.templating import STATIC


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app over an initialised installation (raises NotInitialisedError if not)."""
    settings = settings or Settings.from_env()
    rate_limits = RateLimits(settings.rates)  # a mistyped rate is refused before anything opens
    services = open_services(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        services.close()

    app = FastAPI(
        title="OpenWitness",
        version=openwitness.__version__,
        description="Evidence vault and public transparency log with offline-verifiable receipts.",
        lifespan=lifespan,
        docs_url=None,  # served by the web app from local assets: openwitness.web.routes.public
        redoc_url=None,
    )
    app.state.services = services
    app.state.rate_limits = rate_limits
    errors.install(app)
    app.include_router(evidence.router)
    app.include_router(log.router)
    app.include_router(forces.router)
    app.include_router(officers.router)
    app.include_router(incidents.router)
    app.include_router(cases.router)
    app.include_router(allegations.router)
    app.include_router(people.router)
    app.include_router(reports.router)
    app.include_router(exports.router)
    app.include_router(imports.router)
    app.include_router(session.router)
    app.include_router(taxonomy.router)
    app.include_router(tiles.router)
    # The web app: pages, their assets and resumable uploads, over the same services.
    security.install(app)
    web_errors.install(app)
    casework.install(app)
    app.include_router(public.router)
    app.include_router(casework.router)
    app.include_router(uploads_router(services))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
