"""/api/v1/officers: officer records (reading needs an account; writing a caseworker/admin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from openwitness.api.deps import Editor, IdPath, Reader, ServicesDep, viewer
from openwitness.api.routes.patterns import LabelQuery
from openwitness.cases.forms import MAX_ID, Day
from openwitness.cases.history import history

router = APIRouter(prefix="/api/v1/officers", tags=["officers"])


class NewOfficer(BaseModel):
    force: str
    collar: str | None = None
    name: str | None = None
    warrant: str | None = None
    rank: str | None = None
    unit: str | None = None
    since: Day | None = Field(default=None, description="When these identifiers were seen")


class NewIdentifier(BaseModel):
    kind: str = Field(description="name, collar, warrant, rank, unit or alias")
    value: str
    since: Day | None = None


class Photo(BaseModel):
    sha256: str = Field(pattern="^[0-9a-f]{64}$", description="An image lodged in the vault")
    claim: str | None = Field(
        default=None,
        max_length=100,
        description="The claim its upload answered with, unless your organisation holds it",
    )


class Merge(BaseModel):
    other: int = Field(ge=1, le=MAX_ID, description="The record of the same officer to fold in")


@router.get("")
def list_officers(
    services: ServicesDep,
    _reader: Reader,
    force: str | None = None,
    collar: Annotated[str | None, Query(description="Any collar number ever held")] = None,
) -> list[dict[str, Any]]:
    return [o.to_dict() for o in services.officers.find(force, collar)]


@router.post("", status_code=201)
def add_officer(body: NewOfficer, services: ServicesDep, editor: Editor) -> dict[str, Any]:
    identifiers = body.model_dump(exclude={"force", "since"}, exclude_none=True)
    return services.officers.add(body.force, identifiers, editor.username, body.since).to_dict()


@router.get("/{officer_id}")
def get_officer(officer_id: IdPath, services: ServicesDep, _reader: Reader) -> dict[str, Any]:
    officer = services.officers.get(officer_id)
    return {**officer.to_dict(), "changes": history(services.db, "officer", officer_id)}


@router.get("/{officer_id}/record")
def officer_record(officer_id: IdPath, services: ServicesDep, _reader: Reader) -> dict[str, Any]:
    """All the officer's allegations with outcomes, co-accused officers, unresolved and
    overdue counts; de-identified, so every account sees an officer's whole history."""
    return services.listings.officer_record(officer_id)


@router.get("/{officer_id}/standing")
def officer_standing(
    officer_id: IdPath,
    services: ServicesDep,
    reader: Reader,
    label: LabelQuery = "sustained",
) -> dict[str, Any]:
    """The officer among their peers (``percentiles``) and, except for analysts, their
    early-warning flag (null when not flagged); both null until a model is trained."""
    services.officers.get(officer_id)  # 404 for no such officer
    standing = services.early_warning.standing(officer_id, label)
    if standing is None:
        return {"officer": officer_id, "label": label, "as_of": None, "percentiles": None,
                "flag": None}  # fmt: skip
    show_flag = standing.flag is not None and not viewer(reader).de_identified
    return {
        "officer": officer_id, "label": label, "as_of": standing.as_of.isoformat(),
        "percentiles": standing.percentiles,
        "flag": standing.flag.to_dict() if show_flag and standing.flag else None,
    }  # fmt: skip


@router.post("/{officer_id}/identifiers")
def add_identifier(
    officer_id: IdPath, body: NewIdentifier, services: ServicesDep, editor: Editor
) -> dict[str, Any]:
    officer = services.officers.update(
        officer_id, body.kind, body.value, editor.username, body.since
    )
    return officer.to_dict()


@router.post("/{officer_id}/photos")
def add_photo(
    officer_id: IdPath, body: Photo, services: ServicesDep, editor: Editor
) -> dict[str, Any]:
    """Link a photo of the officer (lodge it first with POST /api/v1/evidence)."""
    who = viewer(editor).entitlement((body.claim,) if body.claim else ())
    return services.officers.add_photo(officer_id, body.sha256, editor.username, who).to_dict()


@router.post("/{officer_id}/merge")
def merge_officer(
    officer_id: IdPath, body: Merge, services: ServicesDep, editor: Editor
) -> dict[str, Any]:
    return services.officers.merge(officer_id, body.other, editor.username).to_dict()
