"""Caseworkers' pages (signed in): case list, case page with outcomes, officer profile, overdue
dashboard and the import page with its dry-run report.

Sign-in sets the same session cookie as ``POST /api/v1/session``; every form that changes
something carries the session's CSRF token in a hidden field. What each account sees is decided
by the same ``Viewer`` as the API, so a page can never show more than the API would.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from openwitness.accounts.service import Account, AuthenticationFailed, Role
from openwitness.accounts.sessions import csrf_matches, csrf_token
from openwitness.api.deps import (
    SESSION_COOKIE,
    IdPath,
    ServicesDep,
    sign_in_refused,
    sign_in_result,
    viewer,
)
from openwitness.cases.forms import AllegationForm, OutcomeForm
from openwitness.cases.listing import Filters
from openwitness.cases.outcomes import FINDINGS, HANDLING_ROUTES, RESULTS, STATUSES
from openwitness.cases.taxonomy import taxonomy
from openwitness.core.errors import ForbiddenError, NotFoundError, OpenWitnessError
from openwitness.patterns.service import ModelUnusableError, Standing
from openwitness.services import Services
from openwitness.web.blob_response import blob_response
from openwitness.web.casework_view import evidence_facts, history_entries, officers_in, size_text
from openwitness.web.fields import field_errors
from openwitness.web.officer_fields import allegation_force, known_force, resolve_officer
from openwitness.web.ratelimit import limited, try_again_in
from openwitness.web.templating import templates

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
MAX_QUERY = 200  # as the API's ``q``


# The case page's outcome form: (field of OutcomeForm, label, input type, choices).
OUTCOME_FIELDS = [
    ("officer", "Officer: collar number (e.g. PC 1234) or name", "officer", ()),
    ("status", "Status", "select", STATUSES),
    ("handling", "Handling", "select", HANDLING_ROUTES),
    ("recommended_finding", "Recommended finding", "select", FINDINGS),
    ("recommended_result", "Recommended result", "select", RESULTS),
    ("recommended_on", "Recommended on", "date", ()),
    ("final_finding", "Final finding", "select", FINDINGS),
    ("final_result", "Final result", "select", RESULTS),
    ("decided_on", "Decided on", "date", ()),
    ("closed_on", "Closed on", "date", ()),
    ("outcome_notified_on", "Complainant told of the outcome on", "date", ()),
    ("review_requested_on", "Review asked for on", "date", ()),
    ("next_action", "Next action", "text", ()),
    ("due_on", "Next action due on", "date", ()),
]


class SignInRequired(Exception):
    """Raised by a page that needs an account; answered with a redirect to the sign-in page."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def install(app: FastAPI) -> None:
    async def to_sign_in(_request: Request, exc: Exception) -> Response:
        target = exc.path if isinstance(exc, SignInRequired) else "/cases"
        return RedirectResponse(f"/sign-in?next={quote(target)}", status_code=303)

    app.add_exception_handler(SignInRequired, to_sign_in)


def signed_in(request: Request, services: ServicesDep) -> Account:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise SignInRequired(request.url.path)
    try:
        return services.sessions.account(cookie)
    except AuthenticationFailed:
        raise SignInRequired(request.url.path) from None


SignedIn = Annotated[Account, Depends(signed_in)]


def render(
    request: Request, account: Account | None, name: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    cookie = request.cookies.get(SESSION_COOKIE)
    context["account"] = account
    context["csrf_token"] = csrf_token(cookie) if cookie and account else ""
    return templates.TemplateResponse(request, name, context, status_code=status_code)


async def _checked_form(request: Request) -> FormData:
    """A dependency: the posted form, refused unless it carries this session's CSRF token.

    Reading the body is the only part of a form post done on the event loop: the handlers
    that take the form are plain functions, which FastAPI runs in its thread pool, so one
    waiting on the database's write lock holds up no other request."""
    form = await request.form(max_files=1, max_fields=60)
    token = form.get("csrf_token")
    if not csrf_matches(
        request.cookies.get(SESSION_COOKIE, ""), token if isinstance(token, str) else None
    ):
        raise ForbiddenError("the form has expired or did not come from this site: reload it")
    return form


CheckedForm = Annotated[FormData, Depends(_checked_form)]


async def _sign_in_form(request: Request) -> FormData:
    return await request.form(max_files=0, max_fields=5)


def _editor(account: Account) -> None:
    if account.role not in (Role.ADMIN, Role.CASEWORKER):
        raise ForbiddenError("this needs the role admin or caseworker")


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, next: str = "/cases") -> HTMLResponse:
    return render(request, None, "sign_in.html", next=_local(next), error=None, username="")


def _local(target: str) -> str:
    """Only a path on this site (no //host, /\\host or scheme): no open redirect after sign-in."""
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/cases"


@router.post("/sign-in")
def sign_in(
    request: Request,
    services: ServicesDep,
    form: Annotated[FormData, Depends(_sign_in_form)],
) -> Response:
    """Attempts are limited per address, and failures per username: beyond either, the page
    comes back with the username kept and says when to try again (429, Retry-After)."""
    username, password = str(form.get("username", ""))[:64], str(form.get("password", ""))
    target = _local(str(form.get("next", "/cases")))
    if (wait := sign_in_refused(request, username)) is not None:
        page = render(
            request, None, "sign_in.html", status_code=429, next=target, username=username,
            error=try_again_in(wait, "attempts to sign in"),
        )  # fmt: skip
        return limited(page, wait)
    try:
        token, _account = services.sessions.sign_in(username, password[:1024])
    except AuthenticationFailed:
        sign_in_result(request, username, succeeded=False)
        return render(
            request, None, "sign_in.html", status_code=401, next=target, username=username,
            error="That username and password do not match an account.",
        )  # fmt: skip
    sign_in_result(request, username, succeeded=True)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE, token, max_age=services.sessions.max_age,
        httponly=True, secure=True, samesite="strict", path="/",
    )  # fmt: skip
    return response


@router.post("/sign-out")
def sign_out(
    request: Request, services: ServicesDep, _account: SignedIn, _form: CheckedForm
) -> Response:
    services.sessions.sign_out(request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return response


def _filters(request: Request, account: Account, services: Any) -> tuple[Filters, dict[str, str]]:
    given = {k: v.strip() for k, v in request.query_params.items() if v.strip()}
    errors: dict[str, str] = {}

    def day(name: str) -> date | None:
        try:
            return date.fromisoformat(given[name]) if name in given else None
        except ValueError:
            errors[name] = "a date, as YYYY-MM-DD"
            return None

    officer = None
    try:  # within the chosen force, or any force when only one force's officer matches
        officer = resolve_officer(services, known_force(services, given.get("force")),
                              given.get("officer"))  # fmt: skip
    except OpenWitnessError as error:
        errors.update(field_errors(error, fallback="officer"))
    query = given.get("q")
    if query and viewer(account).de_identified:
        errors["q"] = "searching narratives needs the role admin or caseworker"
        query = None
    if query and len(query) > MAX_QUERY:
        errors["q"] = f"at most {MAX_QUERY} characters"
        query = None
    chosen = Filters(
        force=given.get("force"),
        officer=officer,
        category=given.get("category"),
        status=given.get("status"),
        received_from=day("received_from"),
        received_to=day("received_to"),
        overdue=given.get("overdue") == "true",
        query=query,
    )
    return chosen, errors


@router.get("/cases", response_class=HTMLResponse)
def case_list(request: Request, services: ServicesDep, account: SignedIn) -> HTMLResponse:
    chosen, errors = _filters(request, account, services)
    offset = request.query_params.get("offset", "0")
    start = int(offset) if offset.isdigit() and int(offset) < 2**31 else 0
    page = None
    if not errors:
        try:
            page = services.listings.cases(chosen, viewer(account), PAGE_SIZE, start)
        except OpenWitnessError as error:
            errors.update(field_errors(error))
    params = {k: v for k, v in request.query_params.items() if k != "offset" and v}
    listed = {o for c in (page.items if page else []) for o in c["officers"]}
    labels = services.officers.labels(listed | ({chosen.officer} if chosen.officer else set()))
    forces = services.forces.list()
    return render(
        request, account, "cases.html", status_code=422 if errors else 200,
        page=page, errors=errors, values=params, statuses=STATUSES, labels=labels,
        chosen_officer=labels.get(chosen.officer) if chosen.officer else None,
        forces=forces, force_names={f.id: f.name for f in forces},
        link=lambda at: "/cases?" + urlencode({**params, "offset": at}),
    )  # fmt: skip


def _unresolved_elsewhere(services: Any, case: dict[str, Any]) -> dict[int, int]:
    """For each officer in the case: their unresolved allegations in other cases, so an
    earlier allegation is in view whenever a new one is looked at."""
    officers = {a["officer"] for a in case["allegations"] if a["officer"] is not None}
    counts = {}
    for officer in officers:
        record = services.listings.officer_record(officer)["allegations"]
        counts[officer] = sum(a["case"] != case["id"] and a["status"] != "closed" for a in record)
    return counts


def _case_context(services: Any, account: Account, case_id: int) -> dict[str, Any]:
    case = services.cases.view(case_id, viewer(account))
    editable = account.role in (Role.ADMIN, Role.CASEWORKER)
    # Footage and its metadata (GPS, device) can identify people: not for de-identified
    # readers, and only for items the reader's organisation holds (a hash is public).
    who = viewer(account).entitlement()
    records = [services.vault.get(sha) for sha in case["incident"].get("evidence", [])]
    evidence = [
        r.to_dict() if editable and services.vault.may_see(r.sha256, who) else r.public_dict()
        for r in records
    ]
    previews = services.previews.states([i["sha256"] for i in evidence if "metadata" in i])
    for item in evidence:
        item["facts"] = evidence_facts(item.get("metadata"))
        item["size_text"] = size_text(item["size"])
        preview = previews.get(item["sha256"])
        item["thumbnail"] = preview if preview is not None and preview.state == "made" else None
        if item["thumbnail"] is not None:
            item["facts"].append(("Perceptual hash", item["thumbnail"].phash))
    changes = services.cases.history(case_id) if editable else []
    mentioned = {a["officer"] for a in case["allegations"] if a["officer"] is not None}
    mentioned |= {o["officer"] for o in case["incident"].get("officers", [])}
    labels = services.officers.labels(mentioned | officers_in(changes))
    return {
        "case": case,
        "evidence": evidence,
        "history": history_entries(changes, labels),
        "labels": labels,
        "force_name": services.officers.force_names([case["incident"]["force"]])[
            case["incident"]["force"]
        ],
        "editable": editable,
        "outcome_fields": OUTCOME_FIELDS,
        "unresolved_elsewhere": _unresolved_elsewhere(services, case),
        "categories": taxonomy()["categories"],
    }


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    request: Request, case_id: IdPath, services: ServicesDep, account: SignedIn
) -> HTMLResponse:
    context = _case_context(services, account, case_id)
    return render(request, account, "case.html", errors={}, values={}, **context)


@router.get("/cases/{case_id}/evidence/{sha256}")
def case_evidence(
    request: Request, case_id: IdPath, sha256: str, services: ServicesDep, account: SignedIn
) -> Response:
    """The stored file, for playback on the case page: only to those who may see the case."""
    _linked_to_case(services, account, case_id, sha256)
    return _stored_file(request, services, sha256, account)


@router.get("/cases/{case_id}/evidence/{sha256}/thumbnail")
def case_evidence_thumbnail(
    case_id: IdPath, sha256: str, services: ServicesDep, account: SignedIn
) -> Response:
    """The item's thumbnail (a few KB instead of the whole file, for the case page on a
    phone): the same checks as the item itself."""
    _linked_to_case(services, account, case_id, sha256)
    _require_entitled(services, sha256, account)
    preview = services.previews.get(sha256)
    if preview is None or preview.thumbnail is None:
        raise NotFoundError(f"no thumbnail of {sha256} yet")
    return Response(
        preview.thumbnail,
        media_type="image/jpeg",
        headers={"Cache-Control": "private, max-age=86400"},  # the same bytes for ever
    )


def _linked_to_case(services: Any, account: Account, case_id: int, sha256: str) -> None:
    """Raise unless ``account`` edits case ``case_id`` and ``sha256`` is linked to it."""
    _editor(account)  # footage identifies people: not for de-identified readers
    case = services.cases.view(case_id, viewer(account))  # 404 for someone else's case
    if sha256 not in case["incident"].get("evidence", []):
        raise NotFoundError(f"case {case_id} has no evidence {sha256}")


def _require_entitled(services: Any, sha256: str, account: Account) -> None:
    """Being linked somewhere is not enough: the account must be entitled to the item."""
    if not services.vault.may_see(sha256, viewer(account).entitlement()):
        raise NotFoundError(f"no evidence {sha256} that you may see")


def _stored_file(request: Request, services: Any, sha256: str, account: Account) -> Response:
    """A vault item's bytes with its sniffed media type, to those entitled to the item itself
    (callers check the case or officer first)."""
    _require_entitled(services, sha256, account)
    record = services.vault.get(sha256)
    return blob_response(request, services.vault, sha256, record.media_type)


@router.post("/cases/{case_id}/allegations")
def add_allegation(
    request: Request, case_id: IdPath, services: ServicesDep, account: SignedIn, form: CheckedForm
) -> Response:
    _editor(account)
    given = {k: str(v).strip() for k, v in form.items() if isinstance(v, str) and str(v).strip()}
    fields: dict[str, Any] = {
        k: given[k] for k in ("category", "next_action", "due_on") if k in given
    }
    try:
        if "officer" in given:  # a collar number within the case's force, or a name
            force = services.cases.view(case_id, viewer(account))["incident"]["force"]
            fields["officer"] = resolve_officer(services, force, given["officer"])
        new = AllegationForm.model_validate(fields).to_new()
        added, _earlier = services.cases.add_allegation(case_id, new, viewer(account))
    except (ValidationError, OpenWitnessError) as error:
        context = _case_context(services, account, case_id)
        return render(
            request, account, "case.html", status_code=422,
            errors={"new": field_errors(error)}, values=given, **context,
        )  # fmt: skip
    # The case page shows the officer's unresolved allegations elsewhere beside the new one.
    return RedirectResponse(f"/cases/{case_id}#allegation-{added.id}", status_code=303)


@router.post("/allegations/{allegation_id}/outcome")
def record_outcome(
    request: Request,
    allegation_id: IdPath,
    services: ServicesDep,
    account: SignedIn,
    form: CheckedForm,
) -> Response:
    _editor(account)
    given = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
    changes: dict[str, Any] = {
        k: v for k, v in given.items() if k in OutcomeForm.model_fields and v
    }
    try:
        if "officer" in changes:
            changes["officer"] = resolve_officer(
                services, allegation_force(services, account, allegation_id, given),
                changes["officer"],
            )  # fmt: skip
        outcome = OutcomeForm.model_validate(changes)
        saved = services.cases.update_allegation(allegation_id, outcome.changes(), viewer(account))
    except (ValidationError, OpenWitnessError) as error:
        errors = field_errors(error)
        case = given.get("case", "")  # the page the form was on, to show it again
        case_id = int(case) if case.isdigit() and int(case) < 2**31 else 0
        context = _case_context(services, account, case_id)
        return render(
            request, account, "case.html", status_code=422,
            errors={allegation_id: errors}, values={}, **context,
        )  # fmt: skip
    return RedirectResponse(
        f"/cases/{saved.complaint_id}#allegation-{allegation_id}", status_code=303
    )


@router.get("/officers/{officer_id}", response_class=HTMLResponse)
def officer_page(
    request: Request, officer_id: IdPath, services: ServicesDep, account: SignedIn
) -> HTMLResponse:
    officer = services.officers.get(officer_id)
    record = services.listings.officer_record(officer_id)
    who = viewer(account).entitlement()
    photos = [sha for sha in officer.photos if services.vault.may_see(sha, who)]
    labels = services.officers.labels(
        {officer_id, *(c["officer"] for c in record["co_accused"])}
        | ({officer.merged_into} if officer.merged_into else set())
    )
    standing = _standing(services, officer_id)
    if standing and standing.flag and viewer(account).de_identified:
        standing = replace(standing, flag=None)  # analysts never learn who is flagged
    return render(
        request, account, "officer.html", officer=officer.to_dict(), photos=photos, record=record,
        labels=labels, title=labels[officer_id], standing=standing,
        editable=account.role in (Role.ADMIN, Role.CASEWORKER),
    )  # fmt: skip


def _standing(services: Services, officer_id: int) -> Standing | None:
    """The officer among their peers by the sustained model, else the any-allegation one;
    None before any is trained, or when it cannot be used (the profile still shows)."""
    try:
        return services.early_warning.standing(officer_id) or services.early_warning.standing(
            officer_id, "any"
        )
    except ModelUnusableError:
        return None


@router.get("/officers/{officer_id}/photos/{sha256}")
def officer_photo(
    request: Request, officer_id: IdPath, sha256: str, services: ServicesDep, account: SignedIn
) -> Response:
    """A photo linked to the officer's record (an image in the vault), for editors: a photo
    taken at an encounter may show others than the officer."""
    _editor(account)
    if sha256 not in services.officers.get(officer_id).photos:
        raise NotFoundError(f"officer {officer_id} has no photo {sha256}")
    return _stored_file(request, services, sha256, account)


@router.get("/overdue", response_class=HTMLResponse)
def overdue_page(request: Request, services: ServicesDep, account: SignedIn) -> HTMLResponse:
    shown = viewer(account)
    counts = services.listings.overdue_counts(shown)
    allegations = services.listings.allegations(Filters(overdue=True), shown, limit=200)
    labels = services.officers.labels(
        {o["officer"] for o in counts["by_officer"]}
        | {a["officer"] for a in allegations.items if a["officer"] is not None}
    )
    return render(
        request, account, "overdue.html", counts=counts, allegations=allegations, labels=labels,
        force_names=services.officers.force_names(
            {f["force"] for f in counts["by_force"]} | {a["force"] for a in allegations.items}
        ),
    )  # fmt: skip


@router.get("/import", response_class=HTMLResponse)
def import_page(request: Request, services: ServicesDep, account: SignedIn) -> HTMLResponse:
    _admin(account)
    return render(
        request, account, "import.html", report=None, errors={}, values={"dry_run": "on"},
        forces=services.forces.list(),
    )  # fmt: skip


def _admin(account: Account) -> None:
    if account.role is not Role.ADMIN:
        raise ForbiddenError("imports need the role admin")


@router.post("/import", response_class=HTMLResponse)
def run_import(
    request: Request, services: ServicesDep, account: SignedIn, form: CheckedForm
) -> Response:
    _admin(account)  # the body is bounded by the CSV limit as it streams (api.body_limit)
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    upload = form.get("file")
    kind = values.get("kind", "roster")
    errors: dict[str, str] = {}
    report = None
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors["file"] = "choose the CSV file to import"
    elif kind not in ("roster", "complaints"):
        errors["kind"] = "roster or complaints"
    else:
        load = services.importers.roster if kind == "roster" else services.importers.complaints
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "upload.csv"
            with path.open("wb") as handle:  # spooled by the form parser; copied, not read whole
                shutil.copyfileobj(upload.file, handle)
            try:
                report = load(
                    path, values.get("force", ""), values.get("source", "web") or "web",
                    account.username, "dry_run" in values,
                )  # fmt: skip
            except OpenWitnessError as error:
                errors.update(field_errors(error, fallback="file"))
    return render(
        request, account, "import.html", status_code=422 if errors else 200,
        report=report.to_dict() if report else None, errors=errors, values=values,
        forces=services.forces.list(),
    )  # fmt: skip
