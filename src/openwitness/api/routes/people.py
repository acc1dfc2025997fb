"""/api/v1/people: the audited erasure of a complainant's or witness's personal details."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from openwitness.api.deps import AdminDep, IdPath, ServicesDep

router = APIRouter(prefix="/api/v1/people", tags=["people"])


class Erasure(BaseModel):
    reason: str = Field(max_length=500, description="Why, e.g. the legal basis of the request")


@router.post("/{person_id}/erase")
def erase_person(
    person_id: IdPath, body: Erasure, services: ServicesDep, admin: AdminDep
) -> dict[str, Any]:
    """Drop a person's sealed details for good; the case keeps that someone was involved.

    Their name and contacts are also replaced by ``[erased]`` in the case's free text and
    history, and its search document is rebuilt; ``redacted`` lists each field changed and
    how many replacements were made there."""
    return services.cases.erase_person(person_id, admin.username, body.reason)
