"""What each kind of job does. A handler gets the services, the job's arguments and a way to
report progress, returns a small result, and raises OpenWitnessError for a refusal that
running it again would not change."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openwitness.core.errors import OpenWitnessError
from openwitness.services import Services

Report = Callable[[int, int | None, str], None]
Handler = Callable[[Services, dict[str, Any], Report], tuple[dict[str, Any], str]]


def stats_import(
    services: Services, args: dict[str, Any], report: Report
) -> tuple[dict[str, Any], str]:
    """`witness stats import` as a job: data.police.uk files or folders on this server."""
    paths = [Path(p) for p in args["paths"]]
    seen: list[str] = []

    def each(file_report: Any) -> None:
        seen.append(file_report.status)
        report(len(seen), None, f"{file_report.status}: {Path(file_report.file).name}")

    reports = services.police_stats.import_paths(paths, progress=each)
    imported = [r for r in reports if r.status == "imported"]
    refused = [r for r in reports if r.status == "refused"]
    result = {
        "imported": len(imported),
        "refused": len(refused),
        "skipped": sum(r.status == "skipped" for r in reports),
        "rows": sum(r.rows_imported for r in imported),
    }
    return result, (
        f"{len(imported)} files imported ({result['rows']:,} rows), {len(refused)} refused"
    )


def screening_lodge(
    services: Services, args: dict[str, Any], report: Report
) -> tuple[dict[str, Any], str]:
    """Screening a chat export that is already logged: its attachments lodged, its messages
    scored (minutes for a big export, so not in the request that sent it)."""
    steps: list[str] = []

    def each(text: str) -> None:
        steps.append(text)
        report(len(steps), None, text)

    lodged = services.screening.screen(
        args["sha256"], args["file_name"], args["lodged_by"], args.get("organisation_id"),
        args.get("complaint_id"), progress=each,
    )  # fmt: skip
    result = {"export_id": lodged.export_id, "messages": lodged.messages,
              "flagged": lodged.flagged}  # fmt: skip
    return result, f"{lodged.messages:,} messages screened, {lodged.flagged:,} flagged"


def evidence_preview(
    services: Services, args: dict[str, Any], report: Report
) -> tuple[dict[str, Any], str]:
    """A vault item's thumbnail and perceptual hash (decoding a photo or a video frame)."""
    preview = services.previews.make(args["sha256"])
    result = {"state": preview.state, "phash": preview.phash}
    return result, {"made": "preview made", "none": "no picture in this kind of file"}.get(
        preview.state, f"no preview: {preview.note}"
    )


LOGGER = logging.getLogger("openwitness.jobs")
HANDLERS: dict[str, Handler] = {
    "stats.import": stats_import,
    "screening.lodge": screening_lodge,
    "evidence.preview": evidence_preview,
}


def run(services: Services, job_id: str) -> None:
    """Run one attempt of a job (on whichever worker got it), recording how it went."""
    jobs = services.jobs
    if not jobs.start(job_id):
        return  # ended already: a message delivered again after its worker finished it
    kind, args = jobs.args(job_id)
    handler = HANDLERS.get(kind)
    if handler is None:
        jobs.fail(job_id, f"no such kind of job: {kind}")
        return
    try:
        result, message = handler(
            services, args, lambda done, total, text: jobs.progress(job_id, done, total, text)
        )
    except OpenWitnessError as error:
        jobs.fail(job_id, str(error))
        return
    except Exception as error:  # a bug: running it again would fail again
        LOGGER.exception("job %s (%s) failed", job_id, kind)
        jobs.fail(job_id, f"failed unexpectedly ({type(error).__name__}); see the worker's log")
        return
    jobs.finish(job_id, result, message)
