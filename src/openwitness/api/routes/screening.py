"""/api/v1/screening: conduct screening (openwitness.screening). A screener lodges a chat
export, reads its messages highest score first and decides on them; who sees what (names,
text, counts) is decided in ``openwitness.screening.access``."""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from openwitness.api.deps import AnyAccount, IdPath, ServicesDep, upload_rate_limit, viewer
from openwitness.api.threads import entered_in_thread
from openwitness.cases.access import Viewer
from openwitness.cases.forms import MAX_ID
from openwitness.core.errors import ForbiddenError, NotFoundError
from openwitness.evidence.service import FileTooLarge
from openwitness.screening import access
from openwitness.services import Services

router = APIRouter(prefix="/api/v1/screening", tags=["screening"])
#: a message's place in its chat, from 0
PositionPath = Annotated[int, PathParam(ge=0, le=MAX_ID)]

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


def check_case(services: Services, who: Viewer, case: int) -> None:
    """An export is linked only to a case of the lodger's own organisation (any, for an
    admin); another organisation's case is answered as not found."""
    linked = services.cases.get(case)
    if who.role != "admin" and linked.organisation_id != who.organisation_id:
        raise NotFoundError(f"no case {case}")


@router.post(
    "/exports",
    status_code=201,
    openapi_extra=_UPLOAD_BODY,
    dependencies=[Depends(upload_rate_limit)],
)
async def lodge(
    request: Request,
    services: ServicesDep,
    account: AnyAccount,
    name: Annotated[str, Query(min_length=1, max_length=300, description="The file's name")],
    case: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="The case it belongs to")
    ] = None,
) -> JSONResponse:
    """Lodge a WhatsApp (.txt, .zip) or Telegram (result.json) export, sent as the request
    body: it is logged only once read as an export; its media are lodged and linked; every
    message is scored. The same file again answers 200 with the same export."""
    who = viewer(account)
    if not access.may_lodge(who):
        raise ForbiddenError("lodging a chat export needs the role screener or admin")
    limit = services.vault.max_upload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise FileTooLarge(f"file is larger than the limit of {limit:,} bytes")
    if case is not None:
        await run_in_threadpool(check_case, services, who, case)
    file_name = PurePath(name.replace("\\", "/")).name or "export"
    # streamed into the vault's staging, bounded as it comes, and lodged from there
    async with entered_in_thread(services.vault.upload()) as staged:
        async for chunk in request.stream():
            await run_in_threadpool(services.vault.write, staged, chunk)
        lodged = await run_in_threadpool(
            services.screening.lodge_staged,
            staged,
            file_name,
            account.username,
            account.organisation_id,
            case,
        )
    return JSONResponse(lodged.to_dict(), status_code=201 if lodged.created else 200)


@router.get("/exports")
def exports(services: ServicesDep, account: AnyAccount) -> list[dict[str, Any]]:
    """The exports this account may know of (its organisation's; all for admins and, as
    counts, analysts), newest first."""
    return services.screening_review.exports(viewer(account))


@router.get("/exports/{export_id}")
def export(export_id: IdPath, services: ServicesDep, account: AnyAccount) -> dict[str, Any]:
    """An export's facts and summary: each participant's share of the flagged messages (named
    only for its organisation's screeners, "Participant N" for others) and flags by month."""
    return services.screening_review.export(export_id, viewer(account))


@router.get("/exports/{export_id}/messages")
def messages(
    export_id: IdPath,
    services: ServicesDep,
    account: AnyAccount,
    top: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> list[dict[str, Any]]:
    """The messages people wrote, highest score first, each with the two before and after
    it and its latest decision. Not for analysts."""
    return services.screening_review.ranked(export_id, viewer(account), top, offset)


@router.get("/exports/{export_id}/decisions")
def decisions(
    export_id: IdPath, services: ServicesDep, account: AnyAccount
) -> list[dict[str, Any]]:
    """Every decision made on the export's messages, oldest first (the history)."""
    return services.screening_review.history(export_id, viewer(account))


class DecisionForm(BaseModel):
    decision: str = Field(pattern="^(confirmed|dismissed)$")
    note: str | None = Field(default=None, max_length=2000)


@router.post("/exports/{export_id}/messages/{position}/decision", status_code=201)
def decide(
    export_id: IdPath, position: int, form: DecisionForm, services: ServicesDep, account: AnyAccount
) -> dict[str, Any]:
    """A screener's decision on a message: confirmed or dismissed, with an optional note.
    Kept with every earlier one."""
    return services.screening_review.decide(
        export_id, position, form.decision, form.note, viewer(account)
    )
