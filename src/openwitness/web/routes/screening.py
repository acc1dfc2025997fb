"""The screening pages (signed in): lodge a chat export, see each export's summary (who sent
the flagged messages, flags by month), read its messages highest score first with the ones
around them, confirm or dismiss each with a note, and download the screening report.

What each account sees is decided by ``openwitness.screening.access`` through the same
``Review`` as the API: names and numbers only for the owning organisation's screeners,
"Participant N" for its caseworkers and admins, counts only for analysts, nothing at all (404)
for another organisation.
"""

from __future__ import annotations

import io
from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from openwitness.accounts.service import Account
from openwitness.accounts.sessions import csrf_matches
from openwitness.api.deps import (
    SESSION_COOKIE,
    IdPath,
    JobQueueDep,
    ServicesDep,
    upload_rate_limit,
    viewer,
)
from openwitness.api.routes.screening import PositionPath, check_case
from openwitness.cases.forms import MAX_ID
from openwitness.core.errors import ForbiddenError, OpenWitnessError
from openwitness.jobs.queue import JobQueue
from openwitness.screening import access
from openwitness.screening.report import build_content, months_chart, render_html, write_pdf
from openwitness.services import Services
from openwitness.web.routes.casework import CheckedForm, SignedIn, render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25


def _list_context(services: Services, account: Account) -> dict[str, Any]:
    who = viewer(account)
    return {
        "exports": services.screening_review.exports(who),
        "may_lodge": access.may_lodge(who),
        "limit": services.vault.max_upload_bytes,
        "title": "Screening",
    }


@router.get("/screening", response_class=HTMLResponse)
def exports_page(request: Request, services: ServicesDep, account: SignedIn) -> HTMLResponse:
    return render(request, account, "screening.html", errors={}, **_list_context(services, account))


@router.post("/screening", response_class=HTMLResponse)
async def lodge(
    request: Request, services: ServicesDep, queue: JobQueueDep, account: SignedIn
) -> Response:
    """The lodging form, posted: the export file and, optionally, the case it belongs to.
    Only reading the body is done here; lodging (the vault, the classifier) runs off the
    event loop."""
    who = viewer(account)
    if not access.may_lodge(who):
        raise ForbiddenError("lodging a chat export needs the role screener or admin")
    try:  # bounded as it streams (api.body_limit): 413 past the upload limit
        form = await request.form(max_files=1, max_fields=3)
    except HTTPException as error:
        status = 413 if error.status_code == 413 else 422
        limit = services.vault.max_upload_bytes
        message = f"the file is larger than the limit of {limit:,} bytes"
        if status == 422:
            message = "send one export file at a time"
        context = await run_in_threadpool(_list_context, services, account)
        return render(request, account, "screening.html", status, errors={"file": message},
                      **context)  # fmt: skip
    try:
        token = form.get("csrf_token")
        if not csrf_matches(
            request.cookies.get(SESSION_COOKIE, ""), token if isinstance(token, str) else None
        ):
            raise ForbiddenError("the form has expired or did not come from this site: reload it")
        return await run_in_threadpool(_lodge, request, services, queue, account, form)
    finally:
        await form.close()


def _lodge(
    request: Request, services: Services, queue: JobQueue, account: Account, form: FormData
) -> Response:
    errors: dict[str, str] = {}
    upload = form.get("file")
    case_text = str(form.get("case") or "").strip()
    case: int | None = None
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors["file"] = "choose the export: a WhatsApp .txt or .zip, or Telegram's result.json"
    if case_text and not (case_text.isdigit() and 1 <= int(case_text) <= MAX_ID):
        errors["case"] = "a case number, such as 12, or nothing"
    elif case_text:
        case = int(case_text)
        try:
            check_case(services, viewer(account), case)
        except OpenWitnessError as error:
            errors["case"] = str(error)
    if not errors and isinstance(upload, UploadFile):
        upload_rate_limit(request)  # a file sent (HTTPException 429 beyond the budget)
        name = PurePath((upload.filename or "").replace("\\", "/")).name or "export"
        try:
            sha256, _ = services.screening.log_stream(upload.file, name, account.organisation_id)
        except OpenWitnessError as error:
            errors["file"] = f"{name}: {error}"
        else:  # logged: screening it (minutes for a big chat) is a job, whose page shows it
            job_id = queue.submit("screening.lodge", {
                "sha256": sha256, "file_name": name, "lodged_by": account.username,
                "organisation_id": account.organisation_id, "complaint_id": case,
            }, account.username)  # fmt: skip
            return RedirectResponse(f"/jobs/{job_id}", status_code=303)
    context = _list_context(services, account)
    return render(request, account, "screening.html", 422, errors=errors,
                  values={"case": case_text}, **context)  # fmt: skip


@router.get("/screening/{export_id}", response_class=HTMLResponse)
def export_page(
    request: Request,
    export_id: IdPath,
    services: ServicesDep,
    account: SignedIn,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> HTMLResponse:
    who = viewer(account)
    review = services.screening_review
    export = review.export(export_id, who)
    readable = access.may_read_messages(who, export["organisation"])
    messages = review.ranked(export_id, who, PAGE_SIZE, offset) if readable else []
    people = sorted(export["participants"], key=lambda p: (-p["flagged"], p["participant"]))
    months = export["flagged_by_month"]
    return render(
        request, account, "screening_export.html", title=_title(export), export=export,
        people=people, messages=messages, readable=readable, offset=offset,
        page_size=PAGE_SIZE, may_decide=access.may_decide(who, export["organisation"]),
        chart_alt=months_chart(months).alt_text if months else None,
    )  # fmt: skip


def _title(export: dict[str, Any]) -> str:
    return str(export.get("file_name") or f"Export {export['id']}")


@router.get("/screening/{export_id}/months.svg")
def months_svg(export_id: IdPath, services: ServicesDep, account: SignedIn) -> Response:
    """The flagged messages by month, as the export page's chart (counts only)."""
    months = services.screening_review.export(export_id, viewer(account))["flagged_by_month"]
    if not months:
        return Response(status_code=404)
    return Response(
        months_chart(months).render("svg"),
        media_type="image/svg+xml",
        headers={"Cache-Control": "private, no-store"},
    )


@router.post("/screening/{export_id}/messages/{position}/decision")
def decide(
    export_id: IdPath,
    position: PositionPath,
    form: CheckedForm,
    services: ServicesDep,
    account: SignedIn,
) -> Response:
    """A screener's decision, then back to the same message on the same page."""
    offset = str(form.get("offset") or "0")
    services.screening_review.decide(
        export_id,
        position,
        str(form.get("decision") or ""),
        str(form.get("note") or ""),
        viewer(account),
    )
    page = f"?offset={int(offset)}" if offset.isdigit() and int(offset) <= MAX_ID else ""
    return RedirectResponse(f"/screening/{export_id}{page}#message-{position}", status_code=303)


@router.get("/screening/{export_id}/report.{kind}")
def report(export_id: IdPath, kind: str, services: ServicesDep, account: SignedIn) -> Response:
    """The screening report, HTML or PDF, as a download: what this account may see of it."""
    if kind not in ("html", "pdf"):
        return Response(status_code=404)
    content = build_content(services.screening_review, services.log, export_id, viewer(account))
    name = f"openwitness-screening-{export_id}.{kind}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"',
               "Cache-Control": "private, no-store"}  # fmt: skip
    if kind == "html":
        return Response(render_html(content), media_type="text/html", headers=headers)
    pdf = io.BytesIO()
    write_pdf(content, pdf)
    return Response(pdf.getvalue(), media_type="application/pdf", headers=headers)
