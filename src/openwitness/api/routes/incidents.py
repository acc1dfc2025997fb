"""/api/v1/incidents: caseworkers record encounters; analysts see them de-identified."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from openwitness.accounts.service import Role
from openwitness.api.deps import Editor, IdPath, Reader, ServicesDep, viewer
from openwitness.cases.forms import IncidentWithOfficersForm
from openwitness.core.errors import NotFoundError

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])


@router.post("", status_code=201)
def add_incident(
    body: IncidentWithOfficersForm, services: ServicesDep, editor: Editor
) -> dict[str, Any]:
    who = viewer(editor).entitlement(tuple(body.evidence_claims))
    return services.incidents.add(
        body.to_new_incident(), editor.username, editor.organisation_id, who
    ).to_dict()


@router.get("/{incident_id}")
def get_incident(incident_id: IdPath, services: ServicesDep, reader: Reader) -> dict[str, Any]:
    """Full record for admins and the owning organisation's caseworkers; de-identified for
    analysts; other organisations' caseworkers get 404 (they may not learn it exists)."""
    incident = services.incidents.get(incident_id)
    if reader.role is Role.ANALYST:
        return incident.de_identified()
    if reader.role is Role.CASEWORKER and incident.organisation_id != reader.organisation_id:
        raise NotFoundError(f"no incident {incident_id}")
    return incident.to_dict()
