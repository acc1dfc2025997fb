"""/api/v1/reports: anyone may report an encounter and follow it up with a secret token.

Both routes are public and rate-limited per client address, each with its own budget;
evidence is lodged first with ``POST /api/v1/evidence`` and named here by its sha256, with the
claim that upload answered with (a hash is public: the claim proves the file is the reporter's
own).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from openwitness.api.deps import ServicesDep, follow_up_rate_limit, report_rate_limit
from openwitness.cases.forms import ReportForm

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


class FollowUp(BaseModel):
    token: Annotated[str, Field(max_length=100, description="The token given with the report")]


@router.post("", status_code=201, dependencies=[Depends(report_rate_limit)])
def submit_report(body: ReportForm, services: ServicesDep) -> dict[str, Any]:
    """Report an encounter. The answer holds the follow-up token, shown only this once, and
    the report's receipt: every evidence item's own tlog-proof receipt."""
    case, token, receipt = services.reports.submit(body.to_new_case(), tuple(body.evidence_claims))
    return {"case": case.id, "follow_up_token": token, "receipt": receipt}


@router.post("/follow-up", dependencies=[Depends(follow_up_rate_limit)])
def follow_up(body: FollowUp, services: ServicesDep) -> dict[str, Any]:
    """Progress and outcomes of the report this token belongs to (sent in the body, so it
    stays out of URLs and access logs)."""
    return services.reports.follow_up(body.token)
