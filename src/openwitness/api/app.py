"""The FastAPI application served by ``witness serve``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

import openwitness
from openwitness.api import errors
from openwitness.api.body_limit import DEFAULT_LIMIT, BodyLimit
from openwitness.api.deps import RateLimits
from openwitness.api.quota import UploadQuota
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
from openwitness.services import Services, open_services
from openwitness.web import errors as web_errors
from openwitness.web import security
from openwitness.web.routes import casework, guidance, public, uploads
from openwitness.web.routes.uploads import uploads_router
from openwitness.web.templating import STATIC

SWEEP_SECONDS = 3600


async def _sweep_uploads(services: Services) -> None:
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        await run_in_threadpool(services.uploads.sweep)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app over an initialised installation (raises NotInitialisedError if not)."""
    settings = settings or Settings.from_env()
    rate_limits = RateLimits(settings.rates)  # a mistyped rate is refused before anything opens
    services = open_services(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Uploads a crash cut short are repaired (and finished ones lodged) before serving;
        # abandoned ones are cleared while running, not only at the next start.
        await run_in_threadpool(services.uploads.recover)
        sweeper = asyncio.create_task(_sweep_uploads(services))
        try:
            yield
        finally:
            sweeper.cancel()
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
    app.state.upload_quota = UploadQuota(services.settings.upload_bytes_per_day)
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
    # Inside the security headers' middleware, so a 413 raised while a route reads its body
    # reaches the error handlers as itself.
    app.add_middleware(BodyLimit, limit_for=_body_limits(services.settings.max_upload_bytes))
    # The web app: pages, their assets and resumable uploads, over the same services.
    security.install(app)
    web_errors.install(app)
    casework.install(app)
    app.include_router(public.router)
    app.include_router(guidance.router)
    app.include_router(casework.router)
    app.include_router(uploads_router(services.uploads))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def _body_limits(max_upload: int) -> Callable[[str, str], int]:
    """Each route's body limit: files where files are taken, a small one everywhere else. File
    routes get a margin so that their own checks, with their own messages, refuse first."""

    def limit_for(method: str, path: str) -> int:
        if method == "POST" and path == "/api/v1/evidence":
            return max_upload + DEFAULT_LIMIT
        if method == "PATCH" and path.startswith(f"{uploads.PREFIX}/"):
            return max_upload + DEFAULT_LIMIT
        if method == "POST" and path == "/report":
            return max_upload * public.MAX_FILES + DEFAULT_LIMIT
        if method == "POST" and (path == "/import" or path.startswith("/api/v1/imports/")):
            return imports.MAX_CSV_BYTES + DEFAULT_LIMIT
        return DEFAULT_LIMIT

    return limit_for
