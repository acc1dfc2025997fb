"""The web app's part of the app: pages, their assets and resumable uploads, over the same
services as the API (the app itself is built by :mod:`openwitness.app`)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from openwitness.services import Services
from openwitness.web import errors, security
from openwitness.web.routes import (
    casework,
    guidance,
    jobs,
    live,
    live_follow,
    patterns,
    public,
    screening,
    stats,
    stats_complaints,
)
from openwitness.web.routes.uploads import uploads_router
from openwitness.web.templating import STATIC


def install(app: FastAPI, services: Services) -> None:
    security.install(app)
    errors.install(app)
    casework.install(app)
    app.include_router(public.router)
    app.include_router(guidance.router)
    app.include_router(stats.router)
    app.include_router(stats_complaints.router)
    app.include_router(casework.router)
    app.include_router(patterns.router)
    app.include_router(screening.router)
    app.include_router(jobs.router)
    app.include_router(live.router)
    app.include_router(live_follow.router)
    app.include_router(uploads_router(services.uploads))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
