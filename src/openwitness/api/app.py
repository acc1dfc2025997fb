"""The REST API's part of the app: its state, its JSON errors and its routers (the app itself
is built by :mod:`openwitness.app`, above the API and the web pages)."""

from __future__ import annotations

from fastapi import FastAPI

from openwitness.api import errors
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
    jobs,
    live,
    log,
    officers,
    patterns,
    people,
    reports,
    screening,
    session,
    stats,
    stats_complaints,
    taxonomy,
    tiles,
    witness,
)
from openwitness.services import Services

ROUTERS = (
    evidence, log, forces, officers, incidents, cases, allegations, people, reports, exports,
    imports, session, taxonomy, tiles, stats, stats_complaints, live,
    patterns, screening, witness, jobs,
)  # fmt: skip


def install(app: FastAPI, services: Services, rate_limits: RateLimits) -> None:
    app.state.services = services
    app.state.rate_limits = rate_limits
    app.state.upload_quota = UploadQuota(
        services.settings.upload_bytes_per_day, rate_limits.storage
    )
    errors.install(app)
    for module in ROUTERS:
        app.include_router(module.router)
