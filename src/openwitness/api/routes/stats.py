"""Public, cacheable statistics: stop and search and complaint outcomes (openwitness.stats).

Each route translates its query to one :class:`~openwitness.stats.service.PoliceStats` call and
returns that answer unchanged (the keys are the public contract, docs/statistics.md). Answers
change only when data is imported, so every one carries ``Cache-Control: public`` and an ETag
derived from the store's generation; a request with a current ``If-None-Match`` gets a 304.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from openwitness.api.caching import cached
from openwitness.api.deps import ServicesDep

router = APIRouter(prefix="/api/v1/stats", tags=["statistics"])

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
FORCE_PATTERN = r"^[a-z0-9-]{1,60}$"

Force = Annotated[
    str,
    Query(
        pattern=FORCE_PATTERN, max_length=60,
        description="data.police.uk force slug, e.g. `metropolitan` (GET /api/v1/stats/forces)",
    ),
]  # fmt: skip
Start = Annotated[
    str,
    Query(alias="from", pattern=MONTH_PATTERN, max_length=7, description="first month, YYYY-MM"),
]
End = Annotated[
    str, Query(alias="to", pattern=MONTH_PATTERN, max_length=7, description="last month, YYYY-MM")
]
Month = Annotated[str, Query(pattern=MONTH_PATTERN, max_length=7, description="month, YYYY-MM")]
Ethnicity = Annotated[
    Literal["officer", "self"],
    Query(description="officer-defined (as recorded by the officer) or self-defined ethnicity"),
]

#: Documented answers besides 200: what a client can act on.
ERRORS: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the copy named by If-None-Match is current"},
    400: {"description": "A period that cannot be answered (unknown force, no data, to < from)"},
}


def _json(request: Request, services: ServicesDep, compute: Any) -> Response:
    stats = services.police_stats
    return cached(request, stats.store.generation(), lambda: JSONResponse(compute(stats)))


@router.get("/disproportionality", response_model=None, responses=ERRORS)
def disproportionality(
    request: Request,
    services: ServicesDep,
    force: Force,
    start: Start,
    end: End,
    ethnicity: Ethnicity = "officer",
) -> Response:
    """Searches, rates per 1,000 residents and rate ratios against White (95% interval by the
    log method, and bounds if every search with no ethnicity were of either group) for one
    force and period: the same object as `witness stats disproportionality --json`."""
    return _json(request, services, lambda s: s.disproportionality(force, start, end, ethnicity))


@router.get("/disproportionality/by-force", response_model=None, responses=ERRORS)
def disproportionality_by_force(
    request: Request, services: ServicesDep, month: Month, ethnicity: Ethnicity = "officer"
) -> Response:
    """One disproportionality object per force with a file for the month (a league table)."""
    return _json(request, services, lambda s: s.by_force(month, ethnicity))


@router.get("/monthly", response_model=None, responses=ERRORS)
def monthly(
    request: Request,
    services: ServicesDep,
    force: Force,
    start: Start,
    end: End,
    ethnicity: Ethnicity = "officer",
) -> Response:
    """One disproportionality object per month of the period; a month with no file says so
    (``searches`` null, the month in ``missing_months``): missing is not zero."""
    return _json(request, services, lambda s: s.monthly(force, start, end, ethnicity))


@router.get("/breakdowns", response_model=None, responses=ERRORS)
def breakdowns(
    request: Request, services: ServicesDep, force: Force, start: Start, end: End
) -> Response:
    """Outcomes, no-further-action share, find rate, legislation and section 60 by month,
    clothing, age and gender, each with its denominator."""
    return _json(request, services, lambda s: s.breakdowns(force, start, end))


@router.get("/coverage", response_model=None, responses=ERRORS)
def coverage(request: Request, services: ServicesDep) -> Response:
    """The force-by-month grid of imported stop-and-search files (a month with no file is
    missing, never zero), with rows refused and columns blank at source."""
    return _json(request, services, lambda s: s.coverage())


@router.get("/forces", response_model=None, responses=ERRORS)
def forces(request: Request, services: ServicesDep) -> Response:
    """The forces with imported stop-and-search data (their slugs)."""
    return _json(request, services, lambda s: s.forces())
