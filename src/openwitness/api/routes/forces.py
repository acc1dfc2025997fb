"""/api/v1/forces: the public registry of police forces."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from openwitness.api.deps import ServicesDep

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
