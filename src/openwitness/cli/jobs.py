"""``witness jobs``: background jobs, and the worker that runs them from the Redis queue."""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated

import typer

from openwitness.cli.common import console, fail, services
from openwitness.core.config import Settings

app = typer.Typer(help="Background jobs: list them, see one, run a worker.", no_args_is_help=True)


@app.command("list")
def list_jobs(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The latest jobs, newest first: kind, state, attempts and progress."""
    with services() as svc:
        jobs = svc.jobs.recent()
    if as_json:
        print(json.dumps([job.to_dict() for job in jobs], indent=1))
        return
    for job in jobs:
        total = f"/{job.total}" if job.total else ""
        console.print(
            f"{job.id} {job.kind} {job.state} (attempt {job.attempts}) {job.done}{total}: "
            f"{job.message or ''}",
            highlight=False,
        )


@app.command("show")
def show(
    job_id: Annotated[str, typer.Argument(help="The job's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One job: its state, attempts, progress and result. Exits 1 if it failed."""
    with services() as svc:
        job = svc.jobs.get(job_id)
    if as_json:
        print(json.dumps(job.to_dict(), indent=1))
    else:
        console.print(
            f"{job.kind} {job.state}, attempt {job.attempts}, {job.done} done: {job.message}",
            highlight=False,
        )
    if job.state == "failed":
        raise typer.Exit(1)


@app.command("worker")
def worker(
    processes: Annotated[int, typer.Option(help="Worker processes.", min=1, max=64)] = 1,
    threads: Annotated[int, typer.Option(help="Threads in each process.", min=1, max=64)] = 2,
) -> None:
    """Run jobs from the Redis queue (OPENWITNESS_JOBS=redis and OPENWITNESS_REDIS_URL) until
    stopped; start as many as the work needs, on any machine sharing the database. A job whose
    worker dies is run again by another."""
    settings = Settings.from_env()
    if not settings.redis_url:
        fail("a worker takes jobs from Redis: set OPENWITNESS_REDIS_URL")
    args = [sys.executable, "-m", "dramatiq", "openwitness.jobs.worker"]
    args += ["--processes", str(processes), "--threads", str(threads), "--queues", "openwitness"]
    os.execv(sys.executable, args)  # noqa: S606 (dramatiq's own command, in this interpreter)
