"""/api/v1/evidence: streaming upload and lookup."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from openwitness.api.deps import OptionalAccount, ServicesDep, upload_rate_limit
from openwitness.api.quota import upload_quota
from openwitness.api.threads import entered_in_thread
from openwitness.evidence.service import FileTooLarge, IngestResult

router = APIRouter(prefix="/api/v1/evidence", tags=["evidence"])

TLOG_PROOF_TYPE = "text/plain; charset=utf-8"

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The file's bytes, as they are (not multipart). The type is sniffed "
        "from the bytes; names and Content-Type are ignored.",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    },
    "responses": {
        "200": {"description": "Already in the vault: its record and a fresh receipt."},
        "400": {"description": "Empty file."},
        "413": {"description": "Larger than the configured limit."},
        "415": {"description": "Not a video, image, audio recording or PDF."},
        "429": {"description": "Too many uploads from this address; see Retry-After."},
    },
}


def _body(result: IngestResult, claim: str) -> dict[str, Any]:
    return {
        "created": result.created,
        "evidence": result.record.to_dict(),
        "receipt": result.receipt.to_text(),
        "claim": claim,
    }


@router.post(
    "", status_code=201, openapi_extra=_UPLOAD_BODY, dependencies=[Depends(upload_rate_limit)]
)
async def upload_evidence(
    request: Request, services: ServicesDep, account: OptionalAccount
) -> JSONResponse:
    """Store a file, append it to the public log and return its tlog-proof receipt.

    The body is streamed to disk while it is hashed; it is never held whole in memory. The
    answer's ``claim`` (shown once) proves you uploaded the file: give it with the sha256 to
    link the file to a report, case or officer, since a hash alone is public. Uploaded with an
    account, the file is also held by the account's organisation.
    """
    vault = services.vault
    declared = request.headers.get("content-length", "")
    size = int(declared) if declared.isdigit() else 0  # 0: chunked, counted when done
    if size > vault.max_upload_bytes:
        raise FileTooLarge(f"file is larger than the limit of {vault.max_upload_bytes:,} bytes")
    if account is None:  # anonymous: a permanent log entry each, so under a budget
        upload_quota(request).charge(request, size)
    async with entered_in_thread(vault.upload()) as staged:
        async for chunk in request.stream():
            await run_in_threadpool(vault.write, staged, chunk)
        result = await run_in_threadpool(vault.complete, staged)
    if account is None and not size:
        upload_quota(request).add_bytes(request, result.record.size)
    sha256 = result.record.sha256
    if account is not None:
        await run_in_threadpool(vault.hold, sha256, account.organisation_id)
    claim = await run_in_threadpool(vault.claim, sha256)
    return JSONResponse(_body(result, claim), status_code=201 if result.created else 200)


@router.get("/{sha256}")
def get_evidence(sha256: str, services: ServicesDep) -> dict[str, Any]:
    """The public facts about a stored file: size, type, when received, log index.

    Extracted metadata (GPS position, device, capture time) can locate the person who filmed,
    and hashes are public in the log, so it is not served here: the uploader gets it in the
    upload response, and the operator sees it with `witness evidence show`.
    """
    return services.vault.get(sha256).public_dict()


@router.get("/{sha256}/receipt", response_class=PlainTextResponse)
def get_receipt(sha256: str, services: ServicesDep) -> PlainTextResponse:
    """A fresh tlog-proof receipt for a stored file, against the latest checkpoint."""
    record = services.vault.get(sha256)
    receipt = services.log.receipt(record.log_index)
    return PlainTextResponse(receipt.to_text(), media_type=TLOG_PROOF_TYPE)
