"""The public pages: home, report an encounter, its receipt, verify a receipt, the log, rights.

No account is needed for any of them. Reports, follow-up look-ups and attached files are
rate-limited per client address with the API's budgets, and go through the same services:
evidence into the vault and log, the report into cases. A refused form comes back as typed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from openwitness.api.deps import ServicesDep, client_address, rate_limits, uploads_refused
from openwitness.api.routes.log import get_checkpoint
from openwitness.cases.forms import PersonForm, ReportForm
from openwitness.cases.incidents import ENCOUNTER_TYPES
from openwitness.core.errors import OpenWitnessError
from openwitness.services import Services
from openwitness.web.fields import field_errors
from openwitness.web.ratelimit import limited, try_again_in
from openwitness.web.submissions import PENDING, OneTimeKeys, new_key
from openwitness.web.templating import templates

router = APIRouter(include_in_schema=False)

# A form's "when" has no time zone; reports are about UK encounters, so UK time is assumed.
UK_TIME = ZoneInfo("Europe/London")
MAX_FILES = 20
RIGHTS_WRITTEN = "2026-12-01"


def _log_facts(services: Services) -> dict[str, Any]:
    """The latest checkpoint as the API gives it, and the key that signs it."""
    return {**get_checkpoint(services), "key": services.log.signer.verifier.vkey}


def _page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status_code)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return _page(request, "home.html")


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI from this site's own copy (FastAPI's page loads it from a CDN)."""
    return _page(request, "api_docs.html")


@router.get("/rights", response_class=HTMLResponse)
def rights(request: Request) -> HTMLResponse:
    return _page(request, "rights.html", written=RIGHTS_WRITTEN)


@router.get("/log", response_class=HTMLResponse)
def log_page(request: Request, services: ServicesDep) -> HTMLResponse:
    return _page(request, "log.html", log=_log_facts(services))


@router.get("/verify", response_class=HTMLResponse)
def verify_page(request: Request, services: ServicesDep) -> HTMLResponse:
    return _page(request, "verify.html", log=_log_facts(services))


@router.get("/follow-up", response_class=HTMLResponse)
def follow_up_page(request: Request) -> HTMLResponse:
    return _page(request, "follow_up.html", report=None, error=None, token="")


async def _follow_up_form(request: Request) -> FormData:
    return await request.form(max_files=0, max_fields=3)


@router.post("/follow-up", response_class=HTMLResponse)
def follow_up(
    request: Request,
    services: ServicesDep,
    form: Annotated[FormData, Depends(_follow_up_form)],
) -> HTMLResponse:
    """The token comes in the form body, so it stays out of URLs, history and access logs.
    Only reading the form runs on the event loop; this runs in the thread pool."""
    token = str(form.get("token", "")).strip()[:100]
    if (wait := rate_limits(request).follow_up.hit(client_address(request))) is not None:
        return limited(_page(
            request, "follow_up.html", status_code=429, report=None, token=token,
            error=try_again_in(wait, "look-ups"),
        ), wait)  # fmt: skip
    try:
        report = services.reports.follow_up(token) if token else None
    except OpenWitnessError:
        report = None
    if report is None:
        return _page(
            request, "follow_up.html", status_code=404, report=None, token=token,
            error="No report has this token. Check it and try again.",
        )  # fmt: skip
    return _page(request, "follow_up.html", report=report, error=None, token="")


def _report_context(
    services: Services, values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    forces = [f for f in services.forces.list() if f.country == "GB"]
    return {
        "forces": forces,
        "encounter_types": ENCOUNTER_TYPES,
        "values": values,
        "errors": errors,
        "max_bytes": services.vault.max_upload_bytes,
        "submission": values.get("submission") or new_key(),
        "max_files": MAX_FILES,
    }


@router.get("/report", response_class=HTMLResponse)
def report_page(request: Request, services: ServicesDep) -> HTMLResponse:
    return _page(request, "report.html", **_report_context(services, {}, {}))


RECEIPT_COOKIE = "ow_receipt"
#: reports sent in the last hour by their form's one-time key: a form sent twice (a retry on a
#: bad connection, a double tap) gives the first report's receipt instead of a second report
SUBMITTED = OneTimeKeys(ttl_seconds=3600)


def _when(value: str) -> datetime | str:
    """``datetime-local`` text as an aware time (UK time unless it carries an offset)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value  # left for the form's own validation to name
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UK_TIME)


REQUIRED = {
    "occurred_at": "Enter when it happened",
    "place": "Enter where it happened",
    "force": "Choose the police force",
    "encounter_type": "Choose the kind of encounter",
    "narrative": "Say what happened",
}


def _report_form(form: FormData, evidence: list[str]) -> ReportForm:
    """The page's fields as the API's ReportForm, so both accept exactly the same reports.

    Empty required fields are all named at once; the rest is checked by the same code as the
    API's, which stops at the first problem."""
    text = {k: str(v).strip() for k, v in form.multi_items() if isinstance(v, str)}
    missing = {field: message for field, message in REQUIRED.items() if not text.get(field)}
    if missing:
        raise ReportFormError(missing)
    kind = text.get("reporter_kind") or "anonymous"
    contact = {k: text[k] for k in ("name", "email", "phone") if text.get(k)}
    people = [PersonForm(role="complainant", **contact)] if contact and kind == "named" else []
    return ReportForm.model_validate(
        {
            "force": text.get("force", ""),
            "occurred_at": _when(text.get("occurred_at", "")),
            "place": text.get("place", ""),
            "encounter_type": text.get("encounter_type", ""),
            "narrative": text.get("narrative", ""),
            "latitude": text.get("latitude") or None,
            "longitude": text.get("longitude") or None,
            "evidence": evidence,
            "reporter_kind": kind,
            "pseudonym": text.get("pseudonym") or None,
            "officer_description": text.get("officer_description") or None,
            "people": people,
        }
    )


class ReportFormError(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def _attached(form: FormData) -> list[UploadFile]:
    return [v for v in form.getlist("files") if isinstance(v, UploadFile) and v.filename]


def _rate_limited(request: Request, form: FormData) -> tuple[int, str] | None:
    """Count the report, and each file attached to it, against the address's budgets; if one is
    spent, the seconds to wait and what to tell the person (what they wrote is kept)."""
    attached = len(_attached(form))
    again = " You will need to choose your files again." if attached else ""
    if (wait := rate_limits(request).reports.hit(client_address(request))) is not None:
        return wait, try_again_in(wait, "reports") + " What you wrote is kept below." + again
    if (wait := uploads_refused(request, attached)) is not None:
        return wait, try_again_in(wait, "files sent") + " What you wrote is kept below." + again
    return None


def _lodge_files(services: Services, form: FormData) -> list[tuple[str, str]]:
    """Store each attached file through the vault and log; returns their sha256 and claim."""
    files = _attached(form)
    if len(files) > MAX_FILES:
        raise ReportFormError({"files": f"at most {MAX_FILES} files in one report"})
    lodged = []
    for upload in files:
        try:
            result = services.vault.ingest_stream(upload.file)
        except OpenWitnessError as error:
            raise ReportFormError({"files": f"{upload.filename}: {error}"}) from error
        sha256 = result.record.sha256
        lodged.append((sha256, services.vault.claim(sha256)))
    return lodged


@router.post("/report", response_class=HTMLResponse)
async def submit_report(request: Request, services: ServicesDep) -> Response:
    """The form, posted: files attached (no JavaScript) or already lodged by the page's own
    resumable upload and named by sha256 in ``evidence`` fields. Only reading the body is
    done here; the rest (the vault, the database) runs off the event loop."""
    limit = services.vault.max_upload_bytes * MAX_FILES
    try:  # the body is bounded as it streams (api.body_limit): 413 past the limit
        form = await request.form(max_files=MAX_FILES, max_fields=150)
    except HTTPException as error:  # too large, or more files or fields than any report has
        status = 413 if error.status_code == 413 else 422
        errors = {"files": f"at most {MAX_FILES} files in one report"}
        if status == 413:
            errors = {"files": f"the files add up to more than {limit:,} bytes"}
        context = await run_in_threadpool(_report_context, services, {}, errors)
        return _page(request, "report.html", status_code=status, **context)
    try:
        return await run_in_threadpool(_submit_report, request, services, form)
    finally:
        await form.close()


def _submit_report(request: Request, services: Services, form: FormData) -> Response:
    values: dict[str, Any] = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    evidence = [v for v in form.getlist("evidence") if isinstance(v, str) and v]
    claims = [v for v in form.getlist("evidence_claim") if isinstance(v, str) and v]
    values["evidence_list"] = evidence  # files lodged by the page's own upload stay attached
    values["claim_list"] = claims
    sent = str(form.get("submission", ""))
    submission = SUBMITTED.begin(sent)
    if submission is None:  # sent twice: the first one's receipt, not a second report
        return _to_receipt(request, sent)
    values["submission"] = submission
    try:
        return _submit_once(request, services, form, submission, values)
    finally:
        if SUBMITTED.get(submission) is PENDING:
            SUBMITTED.abandon(submission)


def _submit_once(
    request: Request,
    services: Services,
    form: FormData,
    submission: str,
    values: dict[str, Any],
) -> Response:
    evidence, claims = list(values["evidence_list"]), list(values["claim_list"])
    if (refused := _rate_limited(request, form)) is not None:
        wait, message = refused
        page = _page(
            request, "report.html", status_code=429,
            **_report_context(services, values, {"form": message}),
        )  # fmt: skip
        return limited(page, wait)
    try:
        _report_form(form, evidence)  # refuse a bad form before its files enter the log
        attached = _lodge_files(services, form)
        evidence += [sha for sha, _ in attached]  # lodged now: kept if the report is refused
        claims += [claim for _, claim in attached]
        report = _report_form(form, evidence)
        case, token, receipt = services.reports.submit(report.to_new_case(), tuple(claims))
    except ReportFormError as error:
        errors = error.errors
    except (ValidationError, OpenWitnessError) as error:
        errors = field_errors(error)
    else:
        SUBMITTED.finish(submission, {"case": case.id, "token": token, "receipt": receipt})
        return _to_receipt(request, submission)
    return _page(
        request, "report.html", status_code=422, **_report_context(services, values, errors)
    )


def _to_receipt(request: Request, submission: str) -> Response:
    """Post/redirect/get: the receipt is its own page, so reloading it sends nothing again.
    Its key travels in a cookie, not the address, which a shared phone's history keeps; Secure
    whenever the site is served over HTTPS (a plain-HTTP site must still show the receipt)."""
    response = RedirectResponse("/report/receipt", status_code=303)
    response.set_cookie(
        RECEIPT_COOKIE, submission, max_age=int(SUBMITTED.ttl_seconds), path="/report",
        secure=request.url.scheme == "https", httponly=True, samesite="strict",
    )  # fmt: skip
    return response


@router.get("/report/receipt", response_class=HTMLResponse)
def report_receipt(request: Request, services: ServicesDep) -> Response:
    done = SUBMITTED.get(request.cookies.get(RECEIPT_COOKIE, ""))
    if done is PENDING:
        return _page(
            request, "error.html", status_code=202, status=202,
            message="your report is still being saved: reload this page in a moment",
        )  # fmt: skip
    if done is None:
        return _page(
            request, "error.html", status_code=404,
            status=404, message="this receipt is no longer here: your report was kept, and the "
            "follow-up page answers with your token",
        )  # fmt: skip
    page = _page(request, "receipt.html", log=_log_facts(services), **done)
    page.headers["Cache-Control"] = "no-store"  # it holds the follow-up token
    return page
