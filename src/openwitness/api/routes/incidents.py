"""/api/v1/incidents: caseworkers record encounters; analysts see them de-identified."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from openwitness.accounts.service import Role
from openwitness.api.deps import Editor, Reader, ServicesDep
from openwitness.cases.incidents import NewIncident
from openwitness.core.errors import NotFoundError

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])


class OfficerRole(BaseModel):
    officer: int
    role: str = Field(default="involved", max_length=100)


class IncidentIn(BaseModel):
    force: str
    occurred_at: datetime = Field(description="With a time zone, e.g. 2025-06-01T14:30:00+01:00")
    place: str
    encounter_type: str
    narrative: str
    latitude: float | None = None
    longitude: float | None = None
    evidence: list[str] = Field(default_factory=list, description="sha256 of vault items")
    officers: list[OfficerRole] = Field(default_factory=list)


@router.post("", status_code=201)
def add_incident(body: IncidentIn, services: ServicesDep, editor: Editor) -> dict[str, Any]:
    new = NewIncident(
        body.force, body.occurred_at, body.place, body.encounter_type, body.narrative,
        body.latitude, body.longitude, tuple(body.evidence),
        tuple((o.officer, o.role) for o in body.officers),
    )  # fmt: skip
    return services.incidents.add(new, editor.username, editor.organisation_id).to_dict()


@router.get("/{incident_id}")
def get_incident(incident_id: int, services: ServicesDep, reader: Reader) -> dict[str, Any]:
    """Full record for admins and the owning organisation's caseworkers; de-identified for
    analysts; other organisations' caseworkers get 404 (they may not learn it exists)."""
    incident = services.incidents.get(incident_id)
    if reader.role is Role.ANALYST:
        return incident.de_identified()
    if reader.role is Role.CASEWORKER and incident.organisation_id != reader.organisation_id:
        raise NotFoundError(f"no incident {incident_id}")
    return incident.to_dict()
