"""/api/v1/stats/complaints: the public complaint figures (openwitness.stats.complaints).

Public and cacheable: aggregate counts only, with small forces withheld and small cells
suppressed by the core, so the answer is the same for everyone and may be cached."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from openwitness.api.caching import PUBLIC_CACHE
from openwitness.api.deps import ServicesDep
from openwitness.stats.complaints import MAX_FORCE_ID, ComplaintStats

router = APIRouter(prefix="/api/v1/stats", tags=["statistics"])


@router.get("/complaints")
def complaint_stats(
    services: ServicesDep,
    response: Response,
    force: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MAX_FORCE_ID,
            pattern="^[a-z0-9]+(-[a-z0-9]+)*$",
            description="Only this force (its id, e.g. kent).",
        ),
    ] = None,
) -> dict[str, Any]:
    """Complaint outcomes per force and overall: allegations by category, final findings and
    results, sanctions after an adverse finding (how many a written warning or less), median
    days to close and overdue counts. Forces with fewer than ``min_complaints`` complaints
    are withheld; counts from 1 to 4 are ``{"count": null, "suppressed": true}``."""
    stats = ComplaintStats(services.db, services.settings.stats_min_cases)
    report = stats.report(force).to_dict()
    response.headers["Cache-Control"] = PUBLIC_CACHE
    return report
