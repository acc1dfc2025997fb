"""Public, cacheable statistics: stop and search and complaint outcomes (openwitness.stats)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/stats", tags=["statistics"])
