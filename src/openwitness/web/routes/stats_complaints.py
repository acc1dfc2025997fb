"""The public complaint-outcomes page, /stats/complaints: the same figures as
``GET /api/v1/stats/complaints`` (openwitness.stats.complaints), set out for people to read.

Only forces with enough complaints are shown and small counts are suppressed by the core; this
page only translates its answer into rows.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from openwitness.api.caching import PUBLIC_CACHE
from openwitness.api.deps import ServicesDep
from openwitness.stats.complaints import ComplaintStats
from openwitness.web.templating import templates

router = APIRouter(include_in_schema=False)


def _cell(cell: dict[str, Any] | None) -> str:
    if cell is None:
        return "—"
    if cell.get("suppressed"):
        return "fewer than 5"
    return "—" if cell.get("count") is None else f"{cell['count']:,}"


def _value(cells: list[dict[str, Any]], value: str) -> dict[str, Any] | None:
    return next((c for c in cells if c["value"] == value), None)


def _row(name: str, figures: dict[str, Any]) -> dict[str, str]:
    sanctions = figures["sanctions_after_adverse"]
    lenient = _value(sanctions, "written-warning-or-less")
    adverse = figures["adverse"]
    share = "—"
    if lenient and adverse["count"] and lenient.get("count") is not None:
        share = f"{lenient['count'] / adverse['count']:.0%}"
    median = figures["days_to_close"]["median"]
    return {
        "force": name,
        "complaints": _cell(figures["complaints"]),
        "allegations": _cell(figures["allegations"]),
        "adverse": _cell(adverse),
        "lenient": _cell(lenient) if lenient else "0",
        "lenient_share": share,
        "median_days": "—" if median is None else f"{median:,.0f}",
        "overdue": _cell(figures["overdue"]),
    }


@router.get("/stats/complaints", response_class=HTMLResponse)
def complaints_page(request: Request, services: ServicesDep) -> HTMLResponse:
    report = ComplaintStats(services.db, services.settings.stats_min_cases).report().to_dict()
    names = {force.id: force.name for force in services.forces.list("GB")}
    rows = [_row(names.get(f["force"], f["name"]), f) for f in report["forces"]]
    if report["overall"] and len(rows) > 1:
        rows.append(_row("All forces shown", report["overall"]))
    response = templates.TemplateResponse(
        request, "stats_complaints.html",
        {"wide": True, "rows": rows, "report": report, "withheld": report["withheld"]},
    )  # fmt: skip
    response.headers["Cache-Control"] = PUBLIC_CACHE
    return response
