"""/api/v1/cases: reports with their people, allegations and outcomes (caseworkers, admins);
analysts see them de-identified."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from openwitness.accounts.service import Role
from openwitness.api.deps import AdminDep, Editor, IdPath, Reader, ServicesDep, viewer
from openwitness.cases.forms import (
    DAY_RANGE,
    MAX_ID,
    AllegationForm,
    CaseForm,
    Day,
    PersonForm,
)
from openwitness.cases.listing import MAX_OFFSET, MAX_PAGE, Filters

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])


def filters(
    reader: Reader,
    force: str | None = None,
    officer: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    category: Annotated[str | None, Query(description="Includes its subcategories")] = None,
    status: Annotated[str | None, Query(description="An allegation's status")] = None,
    received_from: Annotated[Day | None, Query(description=DAY_RANGE)] = None,
    received_to: Annotated[Day | None, Query(description=DAY_RANGE)] = None,
    overdue: Annotated[bool, Query(description="Only with an overdue allegation")] = False,
    q: Annotated[str | None, Query(description="Full-text search", max_length=200)] = None,
) -> Filters:
    """The filters the case and allegation listings share."""
    if q is not None and reader.role is Role.ANALYST:
        # Searching narratives would let a de-identified reader probe what they say.
        raise HTTPException(
            403, "full-text search reads narratives: it needs the role admin or caseworker"
        )
    return Filters(force, officer, category, status, received_from, received_to, overdue, q)


FiltersDep = Annotated[Filters, Depends(filters)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]


class Assignment(BaseModel):
    organisation: str | None = Field(description="Organisation id; null to return to triage")


@router.get("")
def list_cases(
    services: ServicesDep, reader: Reader, chosen: FiltersDep, limit: Limit = 50, offset: Offset = 0
) -> dict[str, Any]:
    """Cases, newest first, one page at a time (``next_offset`` for the next)."""
    return services.listings.cases(chosen, viewer(reader), limit, offset).to_dict()


@router.post("", status_code=201)
def add_case(body: CaseForm, services: ServicesDep, editor: Editor) -> dict[str, Any]:
    """Record a case; it belongs to the caseworker's organisation."""
    who = viewer(editor).entitlement(tuple(body.evidence_claims))
    case, _ = services.cases.add(body.to_new_case(), editor.username, editor.organisation_id, who)
    return services.cases.view(case.id, viewer(editor))


@router.get("/{case_id}")
def get_case(case_id: IdPath, services: ServicesDep, reader: Reader) -> dict[str, Any]:
    """In full to admins and the owning organisation's caseworkers (people's details only to
    the latter); de-identified to analysts; 404 to other organisations."""
    return services.cases.view(case_id, viewer(reader))


@router.get("/{case_id}/history")
def case_history(case_id: IdPath, services: ServicesDep, editor: Editor) -> list[dict[str, Any]]:
    """Every change to the case and its allegations: who, when, before and after."""
    services.cases.view(case_id, viewer(editor))  # 404 for another organisation's case
    return services.cases.history(case_id)


@router.post("/{case_id}/allegations", status_code=201)
def add_allegation(
    case_id: IdPath, body: AllegationForm, services: ServicesDep, editor: Editor
) -> dict[str, Any]:
    """Add an allegation; the answer lists the officer's earlier unresolved allegations."""
    allegation, earlier = services.cases.add_allegation(case_id, body.to_new(), viewer(editor))
    return {
        "allegation": allegation.to_dict(),
        "officer_earlier_unresolved": [a.to_dict(de_identified=True) for a in earlier],
    }


@router.post("/{case_id}/people", status_code=201)
def add_person(
    case_id: IdPath, body: PersonForm, services: ServicesDep, editor: Editor
) -> dict[str, Any]:
    """Add a complainant or witness; their details are sealed at rest."""
    person_id = services.cases.add_person(case_id, body.to_new(), viewer(editor))
    return {"id": person_id, "role": body.role}


@router.post("/{case_id}/assign")
def assign_case(
    case_id: IdPath, body: Assignment, services: ServicesDep, admin: AdminDep
) -> dict[str, Any]:
    """Hand a case (e.g. a report from the public) to an organisation."""
    services.cases.assign(case_id, body.organisation, admin.username)
    return services.cases.view(case_id, viewer(admin))
