"""/api/v1/live: a recording streamed in chunks while it is made (``openwitness.live``).

Anyone may start one (no account: the person filming may have none); the answer's ``token``
is the only key to it, sent as ``X-Recording-Token``. A chunk's bytes are the body of a PUT,
numbered from 0, with the SHA-256 the recorder computed (``X-Content-SHA256``) and the previous
chunk's (``X-Prev-SHA256``); the answer carries the chunk's tlog-proof receipt.
"""

from __future__ import annotations

import io
import logging
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Header, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from openwitness.api.deps import (
    OptionalAccount,
    ServicesDep,
    client_address,
    rate_limits,
    too_many,
)
from openwitness.api.quota import upload_quota
from openwitness.core.errors import InvalidRequestError
from openwitness.core.mail import MailNotConfigured, check_address
from openwitness.evidence.service import FileTooLarge
from openwitness.ledger.entry import MAX_SEQ
from openwitness.live.records import RecordingStatus
from openwitness.live.service import LiveRecordings
from openwitness.services import Services

router = APIRouter(prefix="/api/v1/live", tags=["live"])
logger = logging.getLogger("openwitness.live")

TokenHeader = Annotated[
    str | None,
    Header(
        alias="X-Recording-Token",
        max_length=100,
        description="The recording's token, from the answer that started it.",
    ),
]
RecordingPath = Annotated[str, PathParam(max_length=32, description="The recording's id.")]
SeqPath = Annotated[int, PathParam(ge=0, le=MAX_SEQ, description="The chunk's number, from 0.")]
_CHUNK_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The chunk's bytes as MediaRecorder produced them (not multipart).",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    },
    "responses": {
        "200": {"description": "The same chunk again (a retry): its first receipt."},
        "409": {"description": "Out of order, another previous chunk, or the recording ended."},
        "413": {"description": "Larger than a chunk may be."},
        "415": {"description": "Not the recording's media."},
        "422": {"description": "The bytes are not the ones the recorder hashed."},
    },
}


class LiveStart(BaseModel):
    audio_only: bool = Field(False, description="Sound only: the camera is never turned on.")
    contact: str | None = Field(
        None,
        max_length=254,
        description="A trusted contact's e-mail address: they are sent a link to follow the "
        "recording. Used once to send it, never kept, never in the log.",
    )


class LiveFinish(BaseModel):
    recorded_chunks: int | None = Field(
        None, ge=1, le=MAX_SEQ + 1, description="How many chunks the recorder made."
    )


def follow_link(request: Request, services: Services, follow_token: str) -> str:
    base = services.settings.public_url or str(request.base_url).rstrip("/")
    return f"{base}/live/follow/{follow_token}"


def _tell_contact(
    services: Services, recording_id: str, address: str, link: str
) -> None:  # runs after the answer is sent
    mailer = services.mailer
    assert mailer is not None
    try:
        mailer.send(
            address,
            "A live recording you can follow",
            "Someone who named you as their trusted contact has started a live recording on "
            f"{services.settings.site_operator}'s OpenWitness site.\n\n"
            f"Follow it here, as it arrives:\n{link}\n\n"
            "The link is the only key to the recording: do not share it. Every few seconds of "
            "the recording is stored and logged as it arrives, so what has arrived is safe "
            "even if the recording is cut short.\n\n"
            "If you were not expecting this, you can ignore this message.\n",
        )
    except Exception as exc:  # any failure to send is shown as "failed", not raised
        # the operator learns why (the kind of failure), never to whom
        logger.warning("a trusted contact's mail could not be sent: %s", type(exc).__name__)
        services.live.contact_result(recording_id, sent=False)
    else:
        services.live.contact_result(recording_id, sent=True)


@router.post("", status_code=201)
def start_recording(
    body: LiveStart, request: Request, services: ServicesDep, background: BackgroundTasks
) -> dict[str, Any]:
    """Start a live recording; the answer's ``token`` (shown once) is the key to it."""
    limits = rate_limits(request)
    if (wait := limits.live.hit(client_address(request))) is not None:
        raise too_many(wait, "live recordings")
    contact = None
    if body.contact:
        if services.mailer is None:
            raise MailNotConfigured(
                "this site cannot send e-mail, so no contact can be told: record without one"
            )
        contact = check_address(body.contact)
        if (wait := limits.contacts.hit(client_address(request))) is not None:
            raise too_many(wait, "contacts told of recordings")
    started = services.live.start(body.audio_only, follow=contact is not None)
    if contact is not None and started.follow_token is not None:
        link = follow_link(request, services, started.follow_token)
        background.add_task(_tell_contact, services, started.id, contact, link)
    return {
        "recording": started.id,
        "token": started.token,
        "chunk_max_bytes": services.live.chunk_max_bytes,
        "status": services.live.status_of(started.id).to_dict(),
    }


@router.put("/{recording}/chunks/{seq}", openapi_extra=_CHUNK_BODY)
async def put_chunk(
    recording: RecordingPath,
    seq: SeqPath,
    request: Request,
    services: ServicesDep,
    account: OptionalAccount,
    token: TokenHeader = None,
    content_sha256: Annotated[
        str, Header(alias="X-Content-SHA256", max_length=64, description="The chunk's SHA-256.")
    ] = "",
    prev_sha256: Annotated[
        str | None,
        Header(alias="X-Prev-SHA256", max_length=64, description="The previous chunk's."),
    ] = None,
    end_ms: Annotated[
        int,
        Header(alias="X-Chunk-End-Ms", ge=0, description="Where the chunk ends in the recording."),
    ] = 0,
) -> JSONResponse:
    """Store and log one chunk; sending the same chunk again answers with its first receipt."""
    live = services.live
    if not content_sha256:
        raise InvalidRequestError("X-Content-SHA256 must give the chunk's SHA-256")
    declared = request.headers.get("content-length", "")
    size = int(declared) if declared.isdigit() else 0
    if size > live.chunk_max_bytes:
        raise FileTooLarge(f"a chunk may have at most {live.chunk_max_bytes:,} bytes")
    body = bytearray()
    async for data in request.stream():  # bounded as it arrives, not after
        body += data
        if len(body) > live.chunk_max_bytes:
            raise FileTooLarge(f"a chunk may have at most {live.chunk_max_bytes:,} bytes")
    if account is None:
        upload_quota(request).charge(request, len(body))
    result = await run_in_threadpool(
        live.add_chunk,
        recording, token, seq, prev_sha256, content_sha256, end_ms, io.BytesIO(bytes(body)),
    )  # fmt: skip
    return JSONResponse(
        {
            "seq": result.seq,
            "sha256": result.sha256,
            "size": result.size,
            "log_index": result.log_index,
            "created": result.created,
            "receipt": result.receipt.to_text(),
            "status": result.status.to_dict(),
        },
        status_code=201 if result.created else 200,
    )


@router.post("/{recording}/finish")
def finish_recording(
    recording: RecordingPath,
    services: ServicesDep,
    account: OptionalAccount,
    body: LiveFinish | None = None,
    token: TokenHeader = None,
) -> dict[str, Any]:
    """End the recording: its chunks end to end are lodged as one file, with one bundle of
    receipts. ``claim`` (shown once) attaches the file to a report."""
    status, whole = services.live.finish(recording, token, body.recorded_chunks if body else None)
    sha256 = whole.record.sha256
    if account is not None:
        services.vault.hold(sha256, account.organisation_id)
    return {
        "status": status.to_dict(),
        "whole": whole.record.public_dict(),
        "receipt": whole.receipt.to_text(),
        "claim": services.vault.claim(sha256),
        "bundle": services.live.bundle(recording),
    }


@router.get("/{recording}")
def recording_status(
    recording: RecordingPath, services: ServicesDep, token: TokenHeader = None
) -> dict[str, Any]:
    """How far the server has the recording: chunks logged, seconds, and its state
    (``recording``, ``cut_short`` when chunks stopped arriving, or ``finished``)."""
    return services.live.status(recording, token).to_dict()


@router.get("/{recording}/bundle")
def recording_bundle(
    recording: RecordingPath, services: ServicesDep, token: TokenHeader = None
) -> JSONResponse:
    """Every chunk's receipt and, once ended, the whole file's: check it with
    ``witness verify --bundle`` or on the /verify page."""
    services.live.status(recording, token)
    return bundle_response(services.live, recording)


@router.get("/{recording}/media")
def recording_media(
    recording: RecordingPath,
    services: ServicesDep,
    token: TokenHeader = None,
    upto: Annotated[int | None, Query(ge=1, le=MAX_SEQ + 1)] = None,
) -> StreamingResponse:
    """The chunks logged so far end to end (the first ``upto`` of them): a playable file."""
    status = services.live.status(recording, token)
    return media_response(services.live, status, upto)


def bundle_response(live: LiveRecordings, recording: str) -> JSONResponse:
    return JSONResponse(
        live.bundle(recording),
        headers={
            "Content-Disposition": f'attachment; filename="recording-{recording}.bundle.json"'
        },
    )


def media_response(
    live: LiveRecordings, status: RecordingStatus, upto: int | None
) -> StreamingResponse:
    count = min(upto or status.chunks, status.chunks)
    if count == 0:
        raise InvalidRequestError("no chunk of this recording has arrived yet")
    length = sum(chunk.size for chunk in live.chunks(status.id)[:count])
    extension = "webm" if "webm" in (status.media_type or "") else "mp4"
    return StreamingResponse(
        live.media(status.id, count),
        media_type=status.media_type or "application/octet-stream",
        headers={
            "Content-Disposition": f'inline; filename="recording-{status.id}.{extension}"',
            "Cache-Control": "no-store",
            "Content-Length": str(length),
        },
    )
