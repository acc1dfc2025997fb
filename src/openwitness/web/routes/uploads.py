"""Resumable uploads over the tus 1.0.0 protocol (core, creation, expiration, termination),
for large videos on poor connections: a dropped upload resumes from the last byte the server
has durably written. The state lives in :mod:`openwitness.evidence.resumable`; this layer only
translates headers.

Every upload must declare the SHA-256 its sender computed (``Upload-Metadata: sha256 …``): a
finished upload whose bytes hash otherwise is refused before anything is logged. Nothing else
of the metadata is kept or logged (a file name can say "home address"). Concatenation,
deferred lengths and ``X-HTTP-Method-Override`` are not offered.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from openwitness.api.deps import upload_rate_limit
from openwitness.api.quota import QuotaExceeded, upload_quota
from openwitness.api.threads import entered_in_thread
from openwitness.core.errors import InvalidRequestError, NotFoundError, OpenWitnessError
from openwitness.evidence.resumable import (
    DAYS_TO_KEEP,
    PartialStorageFull,
    ResumableUploads,
    UploadBusy,
    UploadConflict,
    UploadRefused,
)
from openwitness.evidence.service import FileTooLarge

PREFIX = "/uploads"
TUS_VERSION = "1.0.0"
_TUS = {"Tus-Resumable": TUS_VERSION}
_STATUS = [
    (NotFoundError, 404),
    (UploadConflict, 409),
    (UploadBusy, 423),
    (FileTooLarge, 413),
    (PartialStorageFull, 507),
    (QuotaExceeded, 429),
    (UploadRefused, 422),
]


def _error(error: OpenWitnessError) -> PlainTextResponse:
    status = next((code for kind, code in _STATUS if isinstance(error, kind)), 400)
    if isinstance(error, UploadRefused) and error.hash_mismatch:
        status = 460  # the tus checksum extension's "Checksum Mismatch"
    headers = dict(_TUS)
    if status in (423, 507):
        headers["Retry-After"] = "60"
    if isinstance(error, QuotaExceeded):
        headers["Retry-After"] = str(error.retry_after)
    return PlainTextResponse(str(error), status_code=status, headers=headers)


def _declared_sha256(metadata: str | None) -> str:
    """The ``sha256`` pair of Upload-Metadata (comma-separated ``key base64value``)."""
    for pair in (metadata or "").split(","):
        key, _, value = pair.strip().partition(" ")
        if key == "sha256":
            try:
                return base64.b64decode(value.strip(), validate=True).decode("ascii")
            except (binascii.Error, UnicodeDecodeError):
                break
    raise InvalidRequestError(
        "Upload-Metadata must give the file's sha256 (computed before sending)"
    )


def _refuse_overrides(request: Request) -> None:
    """A dependency: a method override would let a POST act as a PATCH past every check."""
    if "x-http-method-override" in request.headers:
        raise InvalidRequestError("X-HTTP-Method-Override is not accepted")


def _check_version(tus_resumable: str | None) -> None:
    if tus_resumable != TUS_VERSION:
        raise InvalidRequestError(f"Tus-Resumable must be {TUS_VERSION}")


def uploads_router(store: ResumableUploads) -> APIRouter:
    router = APIRouter(prefix=PREFIX, dependencies=[Depends(_refuse_overrides)])

    @router.options("/")
    @router.options("")
    def options() -> Response:
        return Response(
            status_code=204,
            headers={
                **_TUS,
                "Tus-Version": TUS_VERSION,
                "Tus-Extension": "creation,expiration,termination",
                "Tus-Max-Size": str(store.max_bytes),
            },
        )

    @router.post("/")
    @router.post("")
    async def create(
        request: Request,
        upload_length: Annotated[str | None, Header()] = None,
        upload_metadata: Annotated[str | None, Header(max_length=2000)] = None,
        upload_concat: Annotated[str | None, Header()] = None,
        upload_defer_length: Annotated[str | None, Header()] = None,
        tus_resumable: Annotated[str | None, Header()] = None,
    ) -> Response:
        try:
            _check_version(tus_resumable)
            if upload_concat is not None:
                raise InvalidRequestError("concatenation (Upload-Concat) is not supported")
            if upload_defer_length is not None or not (upload_length or "").isdigit():
                raise InvalidRequestError("Upload-Length must be given: a whole number of bytes")
            length = int(upload_length or 0)
            sha256 = _declared_sha256(upload_metadata)
            if length > store.max_bytes:
                raise FileTooLarge(f"file is larger than the limit of {store.max_bytes:,} bytes")
            upload_rate_limit(request)  # a file started (HTTPException 429 beyond the budget)
            upload_quota(request).charge(request, length)
            upload_id = await run_in_threadpool(store.create, length, sha256)
        except OpenWitnessError as error:
            return _error(error)
        return Response(
            status_code=201,
            headers={**_TUS, "Location": f"{PREFIX}/{upload_id}", "Content-Length": "0"},
        )

    @router.head("/{upload_id}")
    async def offset(
        upload_id: str, tus_resumable: Annotated[str | None, Header()] = None
    ) -> Response:
        try:
            _check_version(tus_resumable)
            state = await run_in_threadpool(store.status, upload_id)
        except OpenWitnessError as error:
            return Response(status_code=_error(error).status_code, headers=_TUS)
        if state.refused:
            return Response(status_code=410, headers=_TUS)  # start again: a new upload
        return Response(
            status_code=200,
            headers={
                **_TUS,
                "Upload-Offset": str(state.offset),
                "Upload-Length": str(state.length),
                "Cache-Control": "no-store",
            },
        )

    @router.patch("/{upload_id}")
    async def append(
        request: Request,
        upload_id: str,
        upload_offset: Annotated[str | None, Header()] = None,
        content_type: Annotated[str | None, Header()] = None,
        tus_resumable: Annotated[str | None, Header()] = None,
    ) -> Response:
        try:
            _check_version(tus_resumable)
            if content_type != "application/offset+octet-stream":
                return PlainTextResponse(
                    "Content-Type must be application/offset+octet-stream",
                    status_code=415,
                    headers=_TUS,
                )
            if not (upload_offset or "").isdigit():
                raise InvalidRequestError("Upload-Offset must be a whole number of bytes")
            at = int(upload_offset or 0)
            async with entered_in_thread(store.appending(upload_id, at)) as writer:
                async for chunk in request.stream():
                    if chunk:  # bounded by the declared length, written at the offset
                        await run_in_threadpool(writer.write, chunk)
            state = await run_in_threadpool(store.result, upload_id)
        except OpenWitnessError as error:
            return _error(error)
        return Response(status_code=204, headers={**_TUS, "Upload-Offset": str(state.offset)})

    @router.delete("/{upload_id}")
    async def terminate(
        upload_id: str, tus_resumable: Annotated[str | None, Header()] = None
    ) -> Response:
        try:
            _check_version(tus_resumable)
            await run_in_threadpool(store.terminate, upload_id)
        except OpenWitnessError as error:
            return _error(error)
        return Response(status_code=204, headers=_TUS)

    for route in router.routes:  # a protocol, documented in docs/web.md, not a REST resource
        route.include_in_schema = False  # type: ignore[attr-defined]
    return router


__all__ = ["DAYS_TO_KEEP", "PREFIX", "uploads_router"]
