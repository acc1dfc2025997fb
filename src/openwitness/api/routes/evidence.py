"""/api/v1/evidence: streaming upload and lookup."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from openwitness.api.deps import ServicesDep, upload_rate_limit
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


def _body(result: IngestResult) -> dict[str, Any]:
    return {
        "created": result.created,
        "evidence": result.record.to_dict(),
        "receipt": result.receipt.to_text(),
    }


@router.post(
    "", status_code=201, openapi_extra=_UPLOAD_BODY, dependencies=[Depends(upload_rate_limit)]
)
async def upload_evidence(request: Request, services: ServicesDep) -> JSONResponse:
    """Store a file, append it to the public log and return its tlog-proof receipt.

    The body is streamed to disk while it is hashed; it is never held whole in memory.
    """
    vault = services.vault
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > vault.max_upload_bytes:
        raise FileTooLarge(f"file is larger than the limit of {vault.max_upload_bytes:,} bytes")
    with vault.upload() as staged:
        async for chunk in request.stream():
            vault.write(staged, chunk)
        result = await run_in_threadpool(vault.complete, staged)
    return JSONResponse(_body(result), status_code=201 if result.created else 200)


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
