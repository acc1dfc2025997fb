"""The composition root: the one FastAPI app that ``witness serve`` runs, built from the API,
the web pages and the resumable uploads over the same services.

It sits above both interfaces, so the web layer may use the API's dependencies while the API
never imports the web layer; a capability that comes next (statistics, live recording,
patterns, screening) adds its routers here the same way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

import openwitness
from openwitness.api import app as api_app
from openwitness.api.body_limit import DEFAULT_LIMIT, BodyLimit
from openwitness.api.deps import RateLimits, limits_storage
from openwitness.api.routes import imports
from openwitness.core.config import Settings
from openwitness.evidence.previews import has_picture
from openwitness.jobs.queue import JobQueue
from openwitness.jobs.service import SYSTEM
from openwitness.services import Services, open_services
from openwitness.web import app as web_app
from openwitness.web.routes import public, uploads

SWEEP_SECONDS = 3600
LOGGER = logging.getLogger("openwitness")


async def _sweep_uploads(services: Services) -> None:
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        await run_in_threadpool(services.uploads.sweep)


async def _collect_cosignatures(services: Services) -> None:
    """Ask this log's witnesses to cosign its latest checkpoint, every few seconds (a round
    that fails is logged and tried again next time)."""
    cosigning = services.cosigning
    assert cosigning is not None
    while True:
        try:
            for outcome in await run_in_threadpool(cosigning.collect):
                if outcome.status != 200:
                    LOGGER.warning("witness %s: %s %s", outcome.witness, outcome.status,
                                   outcome.message)  # fmt: skip
        except Exception:  # a bad round must not stop the next
            LOGGER.exception("collecting cosignatures failed")
        await asyncio.sleep(services.settings.cosign_every_seconds)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app over an initialised installation (raises NotInitialisedError if not)."""
    settings = settings or Settings.from_env()
    RateLimits(settings.rates)  # a mistyped rate is refused before anything opens
    services = open_services(settings)
    try:  # the budgets are shared through Redis by every process of this log, if configured
        storage = limits_storage(settings.redis_url, services.log.origin)
    except Exception:
        services.close()
        raise
    rate_limits = RateLimits(settings.rates, storage)
    try:  # jobs go to workers on Redis (OPENWITNESS_JOBS=redis), else to a thread here
        job_queue = JobQueue(services)
    except Exception:
        services.close()
        raise

    def queue_preview(sha256: str, media_type: str) -> None:
        if has_picture(media_type):  # nobody's job: no account may follow it (SYSTEM)
            job_queue.submit("evidence.preview", {"sha256": sha256}, SYSTEM)

    services.vault.on_stored = queue_preview

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Uploads a crash cut short are repaired (and finished ones lodged) before serving;
        # abandoned ones are cleared while running, not only at the next start.
        await run_in_threadpool(services.uploads.recover)
        tasks = [asyncio.create_task(_sweep_uploads(services))]
        if services.cosigning is not None:
            tasks.append(asyncio.create_task(_collect_cosignatures(services)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await run_in_threadpool(job_queue.close)
            services.close()

    app = FastAPI(
        title="OpenWitness",
        version=openwitness.__version__,
        description="Evidence vault and public transparency log with offline-verifiable receipts.",
        lifespan=lifespan,
        docs_url=None,  # served by the web app from local assets: openwitness.web.routes.public
        redoc_url=None,
    )
    app.state.job_queue = job_queue
    api_app.install(app, services, rate_limits)
    # Inside the security headers' middleware (which web installs next), so a 413 raised
    # while a route reads its body reaches the error handlers as itself.
    app.add_middleware(
        BodyLimit,
        limit_for=_body_limits(
            services.settings.max_upload_bytes, services.settings.live_chunk_max_bytes
        ),
    )
    web_app.install(app, services)
    return app


def _body_limits(max_upload: int, max_chunk: int) -> Callable[[str, str], int]:
    """Each route's body limit: files where files are taken, a small one everywhere else. File
    routes get a margin so that their own checks, with their own messages, refuse first."""

    def limit_for(method: str, path: str) -> int:
        if method == "POST" and path == "/api/v1/evidence":
            return max_upload + DEFAULT_LIMIT
        if method == "PATCH" and path.startswith(f"{uploads.PREFIX}/"):
            return max_upload + DEFAULT_LIMIT
        if method == "PUT" and path.startswith("/api/v1/live/"):
            return max_chunk + DEFAULT_LIMIT
        if method == "POST" and path in ("/api/v1/screening/exports", "/screening"):
            return max_upload + DEFAULT_LIMIT
        if method == "POST" and path == "/report":
            return max_upload * public.MAX_FILES + DEFAULT_LIMIT
        if method == "POST" and (path == "/import" or path.startswith("/api/v1/imports/")):
            return imports.MAX_CSV_BYTES + DEFAULT_LIMIT
        return DEFAULT_LIMIT

    return limit_for
