"""Expected errors become JSON with the right status; anything else a bare 500, no trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect

from openwitness.accounts.service import AuthenticationFailed
from openwitness.api.quota import QuotaExceeded
from openwitness.core.errors import (
    ConflictError,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
    NotInitialisedError,
    OpenWitnessError,
)
from openwitness.evidence.service import (
    EmptyFile,
    FileTooLarge,
    HashMismatch,
    UnsupportedMediaType,
)
from openwitness.patterns.service import ModelUnusableError

logger = logging.getLogger("openwitness.api")

STATUS_BY_ERROR: list[tuple[type[OpenWitnessError], int]] = [
    (AuthenticationFailed, 401),
    (NotFoundError, 404),
    (ForbiddenError, 403),
    (ConflictError, 409),
    (FileTooLarge, 413),
    (UnsupportedMediaType, 415),
    (EmptyFile, 400),
    (InvalidRequestError, 400),
    (NotInitialisedError, 503),
    (ModelUnusableError, 503),
    (QuotaExceeded, 429),
    (HashMismatch, 422),
]


def status_for(error: OpenWitnessError) -> int:
    for kind, status in STATUS_BY_ERROR:
        if isinstance(error, kind):
            return status
    return 400


def json_error(error: OpenWitnessError) -> JSONResponse:
    retry_after = getattr(error, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return JSONResponse({"detail": str(error)}, status_code=status_for(error), headers=headers)


async def _expected(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OpenWitnessError)
    return json_error(exc)


async def _disconnected(request: Request, _exc: Exception) -> JSONResponse:
    # A phone that lost its connection mid-upload: nothing was kept, nobody to answer.
    logger.info("client disconnected during %s %s", request.method, request.url.path)
    return JSONResponse({"detail": "upload interrupted"}, status_code=400)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"detail": "internal server error"}, status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(OpenWitnessError, _expected)
    app.add_exception_handler(ClientDisconnect, _disconnected)
    app.add_exception_handler(Exception, _unexpected)
