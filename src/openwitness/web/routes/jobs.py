"""A background job's page: what it is doing, for the person who started it. It refreshes
itself every few seconds while the job runs (a plain meta refresh, so it works without
JavaScript and survives a dropped connection or a reload), and once the job is done it leads
to what the job made."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from openwitness.api.deps import ServicesDep
from openwitness.api.routes.jobs import JobIdPath
from openwitness.jobs.service import JobStatus
from openwitness.web.routes.casework import SignedIn, render

router = APIRouter(include_in_schema=False)
REFRESH_SECONDS = 3
#: what each kind of job is called on its page
TITLES = {"screening.lodge": "Screening a chat export", "stats.import": "Importing statistics"}


def result_link(job: JobStatus) -> str | None:
    """Where a finished job's result is seen."""
    result: dict[str, Any] = job.result or {}
    if job.kind == "screening.lodge" and isinstance(result.get("export_id"), int):
        return f"/screening/{result['export_id']}"
    if job.kind == "stats.import":
        return "/stats"
    return None


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(
    request: Request, job_id: JobIdPath, services: ServicesDep, account: SignedIn
) -> Response:
    job = services.jobs.get_for(job_id, account.username)
    link = result_link(job)
    if job.state == "done" and link is not None:
        return RedirectResponse(link, status_code=303)
    running = job.state in ("queued", "running")
    return render(
        request, account, "job.html", job=job, link=link, running=running,
        refresh=REFRESH_SECONDS if running else None, title=TITLES.get(job.kind, job.kind),
    )  # fmt: skip
