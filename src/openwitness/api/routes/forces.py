"""/api/v1/forces: the public registry of police forces."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from openwitness.api.deps import AdminDep, ServicesDep

router = APIRouter(prefix="/api/v1/forces", tags=["forces"])


@router.get("")
def list_forces(
    services: ServicesDep,
    country: Annotated[str | None, Query(pattern="^[A-Za-z]{2}$")] = None,
) -> list[dict[str, Any]]:
    """Every force and department, with its stable id and who takes complaints about it."""
    return [force.to_dict() for force in services.forces.list(country)]


@router.get("/{force_id}")
def get_force(force_id: str, services: ServicesDep) -> dict[str, Any]:
    return services.forces.get(force_id).to_dict()


class NewForce(BaseModel):
    id: str = Field(description="Stable id, e.g. us-chicago-pd")
    name: str
    country: str = Field(description="ISO 3166 two-letter code")


@router.post("", status_code=201)
def add_force(body: NewForce, services: ServicesDep, _admin: AdminDep) -> dict[str, Any]:
    """Add another country's department (admin only)."""
    return services.forces.add(body.id, body.name, body.country).to_dict()
