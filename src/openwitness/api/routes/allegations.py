"""/api/v1/allegations: listing, the overdue dashboard, and recording outcomes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from openwitness.api.deps import Editor, IdPath, Reader, ServicesDep, viewer
from openwitness.api.routes.cases import FiltersDep, Limit, Offset
from openwitness.cases.forms import OutcomeForm

router = APIRouter(prefix="/api/v1/allegations", tags=["allegations"])


@router.get("")
def list_allegations(
    services: ServicesDep, reader: Reader, chosen: FiltersDep, limit: Limit = 50, offset: Offset = 0
) -> dict[str, Any]:
    """Allegations with their outcomes; ``overdue=true`` lists the longest overdue first."""
    return services.listings.allegations(chosen, viewer(reader), limit, offset).to_dict()


@router.get("/overdue")
def overdue(services: ServicesDep, reader: Reader) -> dict[str, Any]:
    """How many open allegations are past their due date, in all, per force and per officer."""
    return services.listings.overdue_counts(viewer(reader))


@router.patch("/{allegation_id}")
def record_outcome(
    allegation_id: IdPath, body: OutcomeForm, services: ServicesDep, editor: Editor
) -> dict[str, Any]:
    """Change status, handling route, findings (recommended and final), results, dates, the
    review, or the next action and due date. Fields left out are unchanged."""
    return services.cases.update_allegation(allegation_id, body.changes(), viewer(editor)).to_dict()
