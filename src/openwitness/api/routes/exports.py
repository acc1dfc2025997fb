"""/api/v1/export: de-identified allegations for research and oversight, streamed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from openwitness.api.deps import Reader, ServicesDep, viewer
from openwitness.api.routes.cases import FiltersDep
from openwitness.cases import exports

router = APIRouter(prefix="/api/v1/export", tags=["export"])
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/x-ndjson"}


@router.get("/allegations", response_class=StreamingResponse)
def export_allegations(
    services: ServicesDep,
    reader: Reader,
    chosen: FiltersDep,
    format: Annotated[
        str, Query(pattern="^(csv|json)$", description="csv or json (JSON Lines)")
    ] = "csv",
) -> StreamingResponse:
    """Every matching allegation with its outcome, one a row; never a narrative, place or
    anything about the people involved, whoever asks."""
    records = exports.rows(services.db, chosen, viewer(reader))
    body = exports.as_csv(records) if format == "csv" else exports.as_json_lines(records)
    name = f"openwitness-allegations.{'csv' if format == 'csv' else 'jsonl'}"
    return StreamingResponse(
        body,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
