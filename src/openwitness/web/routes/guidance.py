"""What to do next: how to make an official complaint, and a complaint letter to send.

A report here is not a complaint to the police, so the person is told where and how to make
one. The letter is pre-filled only from the report this browser has just sent: the one the
receipt's one-time cookie points to, never a report named in the address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from openwitness.api.deps import ServicesDep
from openwitness.api.routes.log import get_checkpoint
from openwitness.core.errors import OpenWitnessError
from openwitness.services import Services
from openwitness.web.routes.public import RECEIPT_COOKIE, SUBMITTED, UK_TIME
from openwitness.web.submissions import PENDING
from openwitness.web.templating import templates

router = APIRouter(include_in_schema=False)

GUIDANCE_WRITTEN = "2026-12-02"
#: how the report form adds the officers' description to the narrative (cases/forms.py)
OFFICERS_MARK = "\n\nOfficers: "
#: who receives a complaint about each jurisdiction's police, as the letter is addressed
ADDRESSEE = {
    "scotland": "Police Scotland, Professional Standards Department",
    "northern-ireland": "The Police Ombudsman for Northern Ireland",
}


@dataclass(frozen=True)
class Letter:
    """What the letter says about the encounter; empty strings are left as lines to fill."""

    force: str = ""
    jurisdiction: str = ""
    addressee: str = ""
    when: str = ""
    place: str = ""
    encounter: str = ""
    officers: str = ""
    narrative: str = ""
    case: int | None = None
    received: str = ""
    items: tuple[dict[str, Any], ...] = ()
    origin: str = ""
    key: str = ""


def _page(request: Request, name: str, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context)


@router.get("/complain", response_class=HTMLResponse)
def complain(request: Request) -> HTMLResponse:
    return _page(request, "complain.html", written=GUIDANCE_WRITTEN)


@router.get("/complain/letter", response_class=HTMLResponse)
def blank_letter(request: Request) -> HTMLResponse:
    """A letter to fill in by hand: it never shows anyone's report."""
    return _page(request, "letter.html", letter=Letter(), from_report=False, missing=False)


@router.get("/report/letter", response_class=HTMLResponse)
async def report_letter(request: Request, services: ServicesDep) -> HTMLResponse:
    """The letter pre-filled from the report this browser just sent. Under ``/report`` because
    the receipt's cookie is sent only there (and the access log keeps no address for it)."""
    done = SUBMITTED.get(request.cookies.get(RECEIPT_COOKIE, ""))
    letter = None
    if done is not None and done is not PENDING:
        letter = await run_in_threadpool(_from_report, services, done)
    if letter is None:
        return _page(request, "letter.html", letter=Letter(), from_report=False, missing=True)
    page = _page(request, "letter.html", letter=letter, from_report=True, missing=False)
    page.headers["Cache-Control"] = "no-store"  # it holds what the person wrote
    return page


def _from_report(services: Services, done: dict[str, Any]) -> Letter | None:
    """The letter for the stored report, found by its own follow-up token (the capability the
    person was given), or None if it is gone."""
    try:
        case = services.cases.by_follow_up(str(done["token"]))
        force = services.forces.get(case.incident.force_id)
    except (KeyError, OpenWitnessError):
        return None
    if case.id != done.get("case"):
        return None
    incident = case.incident
    narrative, officers = incident.narrative, ""
    if OFFICERS_MARK in narrative:
        narrative, _, officers = narrative.rpartition(OFFICERS_MARK)
    place = incident.place
    if incident.latitude is not None and incident.longitude is not None:
        place += f" (map position {incident.latitude:.6f}, {incident.longitude:.6f})"
    receipt = done.get("receipt") or {}
    return Letter(
        force=force.name,
        jurisdiction=force.jurisdiction,
        addressee=ADDRESSEE.get(force.jurisdiction, force.name),
        when=_uk_time(incident.occurred_at),
        place=place,
        encounter=incident.encounter_type.replace("-", " "),
        officers=officers.strip(),
        narrative=narrative.strip(),
        case=case.id,
        received=str(receipt.get("received_at") or ""),
        items=tuple(receipt.get("items") or ()),
        origin=str(get_checkpoint(services)["origin"]),
        key=services.log.signer.verifier.vkey,
    )


def _uk_time(moment: Any) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(UK_TIME)
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M} (UK time)"
