"""/api/v1/taxonomy: the allegation categories records use (public reference data)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from openwitness.cases.taxonomy import taxonomy

router = APIRouter(prefix="/api/v1/taxonomy", tags=["taxonomy"])


@router.get("")
def get_taxonomy() -> dict[str, Any]:
    """IOPC categories with subcategories, and legacy IPCC codes A to Y with their mapping."""
    return taxonomy()
