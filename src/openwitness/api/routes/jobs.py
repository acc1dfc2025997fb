"""/api/v1/jobs: a background job's state and progress, for the account that started it (a
chat export lodged through the web pages is screened by one)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam

from openwitness.api.deps import AnyAccount, ServicesDep
from openwitness.jobs.service import JOB_ID

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])
JobIdPath = Annotated[str, PathParam(pattern=f"^{JOB_ID.pattern}$")]


@router.get("/{job_id}")
def get_job(job_id: JobIdPath, services: ServicesDep, account: AnyAccount) -> dict[str, Any]:
    """State (queued, running, done, failed), attempts, progress and, once done, the result."""
    return services.jobs.get_for(job_id, account.username).to_dict()
