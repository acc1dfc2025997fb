"""Exports for journalists, researchers and oversight bodies: de-identified, always.

One row per allegation with its case's force, month and encounter type, the officer's id,
the category, and the whole outcome; never a narrative, place, exact date of the encounter,
free text a caseworker wrote (the next action, the review outcome), or anything about the
people involved, whoever asks for the export.

A CSV cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written
with a leading ``'`` (OWASP's rule against CSV injection), so a spreadsheet shows it as text
instead of running it as a formula: imported source ids are whatever the source file held.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from openwitness.cases.access import Viewer
from openwitness.cases.allegations import Allegation
from openwitness.cases.listing import Filters, allegation_conditions, case_conditions
from openwitness.core.clock import as_utc
from openwitness.storage.db import Database
from openwitness.storage.models import Allegation as AllegationRow
from openwitness.storage.models import Complaint as ComplaintRow
from openwitness.storage.models import Incident as IncidentRow
from openwitness.storage.search import SearchIndex

COLUMNS = (
    "allegation",
    "case",
    "force",
    "month",
    "encounter_type",
    "officer",
    "category",
    "status",
    "handling",
    "recommended_finding",
    "recommended_result",
    "recommended_on",
    "final_finding",
    "final_result",
    "decided_on",
    "closed_on",
    "review_deadline",
    "review_requested_on",
    "due_on",
    "overdue",
    "source",
    "source_id",
)
FORMATS = ("csv", "json")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_BATCH = 5000


def rows(db: Database, filters: Filters, viewer: Viewer) -> Iterator[dict[str, Any]]:
    """Every matching allegation, de-identified, in id order (read in batches by id).

    The filters are checked now, before the first row: a streamed response cannot turn into
    an error once it has started."""
    filters.check()
    return _rows(db, filters, viewer)


def _rows(db: Database, filters: Filters, viewer: Viewer) -> Iterator[dict[str, Any]]:
    search = SearchIndex(db.is_sqlite)
    after = 0
    while True:
        with db.read() as conn:
            batch = list(
                conn.execute(
                    select(
                        AllegationRow,
                        ComplaintRow.force_id,
                        ComplaintRow.dated_at,
                        IncidentRow.encounter_type,
                    )
                    .join(ComplaintRow, ComplaintRow.id == AllegationRow.complaint_id)
                    .join(IncidentRow, IncidentRow.id == ComplaintRow.incident_id)
                    .where(AllegationRow.id > after)
                    .where(*case_conditions(filters, viewer, search))
                    .where(*allegation_conditions(filters))
                    .order_by(AllegationRow.id)
                    .limit(_BATCH)
                )
            )
        for row in batch:
            yield _row(row)
        if len(batch) < _BATCH:
            return
        after = batch[-1].id


def _row(row: Any) -> dict[str, Any]:
    a = Allegation.from_row(row)
    shown = a.to_dict(de_identified=True)
    dated = as_utc(row.dated_at)
    return {
        "allegation": a.id,
        "case": a.complaint_id,
        "force": row.force_id,
        "month": dated.strftime("%Y-%m") if dated else None,
        "encounter_type": row.encounter_type,
        "officer": a.officer_id,
        "category": a.category,
        "status": a.status,
        "handling": a.handling,
        "recommended_finding": a.recommended_finding,
        "recommended_result": a.recommended_result,
        "recommended_on": shown["recommended"]["on"],
        "final_finding": a.final_finding,
        "final_result": a.final_result,
        "decided_on": shown["final"]["on"],
        "closed_on": shown["closed_on"],
        "review_deadline": shown["review"]["deadline"],
        "review_requested_on": shown["review"]["requested_on"],
        "due_on": shown["due_on"],
        "overdue": a.is_overdue,
        "source": a.source,
        "source_id": a.source_id,
    }


def inert(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula (OWASP: prefix a single quote)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def as_csv(records: Iterator[dict[str, Any]]) -> Iterator[str]:
    """CSV text, a chunk at a time (a header row first). Lines end CRLF (RFC 4180): the csv
    module quotes a cell holding a character of the line terminator, and only then a CR."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for n, record in enumerate(records, start=1):
        writer.writerow({key: inert(value) for key, value in record.items()})
        if n % 1000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def as_json_lines(records: Iterator[dict[str, Any]]) -> Iterator[str]:
    """One JSON object a line (JSON Lines), so an export of any size streams."""
    for record in records:
        yield json.dumps(record, ensure_ascii=False) + "\n"
