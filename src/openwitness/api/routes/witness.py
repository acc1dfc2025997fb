"""C2SP tlog-witness: this server as a witness of other logs (``witness serve`` with
OPENWITNESS_WITNESS_LOGS set). The submission prefix is ``/witness``; the protocol's bodies and
status codes are plain text as the spec gives them, not this API's JSON."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from openwitness.api.deps import ServicesDep
from openwitness.core.errors import NotFoundError
from openwitness.witnessing.service import Witness, WitnessRefusal

router = APIRouter(prefix="/witness", tags=["witness"])
#: an old size line, 63 proof lines and a checkpoint with its signatures fit many times
MAX_BODY = 64 * 1024


def _witness(services: ServicesDep) -> Witness:
    if services.witness is None:
        raise NotFoundError("this server is not configured as a witness")
    return services.witness


_BODY = {
    "requestBody": {
        "required": True,
        "content": {"text/plain": {"schema": {"type": "string", "maxLength": MAX_BODY}}},
    }
}


@router.post("/add-checkpoint", response_class=PlainTextResponse, openapi_extra=_BODY)
async def add_checkpoint(request: Request, services: ServicesDep) -> PlainTextResponse:
    """Cosign a checkpoint consistent with the last one this witness cosigned for its log:
    ``old <size>``, the consistency proof, a blank line, the signed checkpoint."""
    witness = _witness(services)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return PlainTextResponse("the request is too large\n", status_code=413)
    try:
        lines = await run_in_threadpool(witness.add_checkpoint, bytes(body))
    except WitnessRefusal as refusal:
        return PlainTextResponse(
            refusal.body, status_code=refusal.status, media_type=refusal.content_type
        )
    return PlainTextResponse(lines)


@router.get("")
def about(services: ServicesDep) -> dict[str, object]:
    """The witness's key (for policies) and the latest checkpoint it cosigned for each log."""
    witness = _witness(services)
    return {"key": witness.cosigner.vkey, "logs": witness.state()}
