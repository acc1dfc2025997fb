"""/api/v1/imports: officer rosters and complaint histories as CSV (admins only)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool

from openwitness.api.deps import AdminDep, ServicesDep

router = APIRouter(prefix="/api/v1/imports", tags=["imports"])
MAX_CSV_BYTES = 200 * 1024**2
_CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The CSV file's bytes (UTF-8, header row); see docs/importing.md.",
        "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
    }
}
Force = Annotated[str, Query(max_length=64, description="Force id the records belong to")]
Source = Annotated[str, Query(max_length=32, description="Where the file came from")]
DryRun = Annotated[bool, Query(description="Check every row and report; write nothing")]


async def _spooled(request: Request, folder: Path) -> Path:
    """The body on disk (importers read files); refused beyond the size limit."""
    path = folder / "upload.csv"
    size = 0
    with path.open("wb") as handle:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_CSV_BYTES:
                raise HTTPException(413, f"CSV larger than {MAX_CSV_BYTES:,} bytes")
            await run_in_threadpool(handle.write, chunk)  # the disk, off the event loop
    if size == 0:
        raise HTTPException(400, "empty body: send the CSV file's bytes")
    return path


async def _import(
    kind: str,
    request: Request,
    services: ServicesDep,
    admin: AdminDep,
    force: str,
    source: str,
    dry_run: bool,
) -> dict[str, Any]:
    load = services.importers.roster if kind == "roster" else services.importers.complaints
    with tempfile.TemporaryDirectory() as folder:
        path = await _spooled(request, Path(folder))
        report = await run_in_threadpool(load, path, force, source, admin.username, dry_run)
    return report.to_dict()


@router.post("/roster", openapi_extra=_CSV_BODY)
async def import_roster(
    request: Request,
    services: ServicesDep,
    admin: AdminDep,
    force: Force,
    source: Source,
    dry_run: DryRun = False,
) -> dict[str, Any]:
    """Officers, one a row (OpenWitness's roster layout or OpenOversight's)."""
    return await _import("roster", request, services, admin, force, source, dry_run)


@router.post("/complaints", openapi_extra=_CSV_BODY)
async def import_complaints(
    request: Request,
    services: ServicesDep,
    admin: AdminDep,
    force: Force,
    source: Source,
    dry_run: DryRun = False,
) -> dict[str, Any]:
    """Complaints and their allegations, one allegation a row."""
    return await _import("complaints", request, services, admin, force, source, dry_run)
