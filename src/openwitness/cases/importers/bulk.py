"""Writing a whole imported data set in one transaction, idempotently.

Importers turn a source's files into plain records (officers, complaints, allegations) that
keep the source's own ids; this writer adds the ones not already there. A second run of the
same files adds nothing. Everything commits together or not at all, and a dry run does the
same work inside the transaction and rolls it back, so it reports exactly what a real run
would do, database constraints included.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import JSON, Connection, insert, select, text

from openwitness.cases.forces import ensure_department
from openwitness.cases.history import record_change
from openwitness.core.clock import now
from openwitness.core.errors import InvalidRequestError
from openwitness.storage.db import Database
from openwitness.storage.models import Allegation as AllegationRow
from openwitness.storage.models import Base, OfficerIdentifier
from openwitness.storage.models import Complaint as ComplaintRow
from openwitness.storage.models import Incident as IncidentRow
from openwitness.storage.models import Officer as OfficerRow
from openwitness.storage.search import SearchIndex

CHUNK = 5000
KINDS = ("officers", "identifiers", "complaints", "allegations")  # what an import adds
#: How imported records name their reporter: the sources do not say.
IMPORTED_REPORTER = "not-recorded"
Progress = Callable[[str, int, int], None]  # (stage, done, total)
T = TypeVar("T")


@dataclass(frozen=True)
class OfficerIn:
    source_id: str
    identifiers: tuple[tuple[str, str, date | None, date | None], ...]  # kind, value, from, to
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ComplaintIn:
    source_id: str
    occurred_at: datetime | None
    received_at: datetime | None
    place: str
    encounter_type: str = "other"


@dataclass(frozen=True)
class AllegationIn:
    source_id: str
    complaint_id: str  # the source's complaint id
    officer_id: str | None  # the source's officer id
    category: str | None
    status: str
    recommended_finding: str | None = None
    final_finding: str | None = None
    recommended_result: str | None = None
    final_result: str | None = None
    decided_on: date | None = None
    closed_on: date | None = None
    next_action: str | None = None
    due_on: date | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    search_words: str = ""  # the source's own wording, for full-text search


@dataclass
class ImportReport:
    source: str
    dry_run: bool = False
    rows_read: Counter[str] = field(default_factory=Counter)
    added: Counter[str] = field(default_factory=Counter)
    already_there: Counter[str] = field(default_factory=Counter)
    rejected: list[tuple[str, str, str]] = field(default_factory=list)  # file, row, reason
    seconds: float = 0.0

    def reject(self, file: str, row: object, reason: str) -> None:
        self.rejected.append((file, str(row), reason))

    def to_dict(self, max_rejected: int = 1000) -> dict[str, Any]:
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "rows_read": dict(self.rows_read),
            "added": {kind: self.added[kind] for kind in KINDS},
            "already_there": {kind: self.already_there[kind] for kind in KINDS},
            "rejected": len(self.rejected),
            "rejections": [
                {"file": f, "row": r, "reason": why} for f, r, why in self.rejected[:max_rejected]
            ],
            "seconds": round(self.seconds, 1),
        }


IMPORTED_TABLES = (
    "officer",
    "officer_identifier",
    "incident",
    "complaint",
    "allegation",
    "complaint_search",
)


def _analyse(conn: Connection, tables: Sequence[str]) -> None:
    for table in tables:  # fixed names, never input
        conn.exec_driver_sql(f"ANALYZE {table}")


def _reserve_ids(conn: Connection, table: str, count: int) -> list[int]:
    """Ids for ``count`` new rows, so a bulk insert needs no RETURNING (which SQLite can only
    do one row at a time): PostgreSQL hands out a block of its sequence; on SQLite the
    writer holds the database's write lock, so the ids after the largest are free."""
    if count == 0:
        return []
    if conn.dialect.name == "postgresql":
        rows = conn.execute(
            text(
                f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "  # noqa: S608
                "FROM generate_series(1, :n)"
            ),
            {"n": count},
        )
        return sorted(row[0] for row in rows)
    largest = conn.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar_one()  # noqa: S608
    return list(range(largest + 1, largest + 1 + count))


def _insert_rows(conn: Connection, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows in the caller's transaction: PostgreSQL's COPY (about three times
    faster than batched INSERTs for these sizes), SQLite's executemany."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(insert(model), list(rows))
        return
    table = model.__table__
    columns = list(rows[0])
    as_json = {name for name in columns if isinstance(table.c[name].type, JSON)}
    names = ", ".join(f'"{name}"' for name in columns)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {model.__tablename__} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(
                [
                    json.dumps(row[c]) if c in as_json and row[c] is not None else row[c]
                    for c in columns
                ]
            )


def refusal(report: ImportReport) -> str:
    first = "; ".join(f"row {row}: {why}" for _, row, why in report.rejected[:3])
    return (
        f"{len(report.rejected)} row(s) cannot be imported, so nothing was: {first}"
        " (run with --dry-run to list them all)"
    )


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk


class BulkWriter:
    def __init__(
        self, db: Database, source: str, force: tuple[str, str, str] | str, actor: str
    ) -> None:
        self.db = db
        self.source = source
        # (id, name, country): a department added with the records if it is missing; or the
        # id of a force that must exist already
        self.force = force if isinstance(force, tuple) else None
        self.force_id = force[0] if isinstance(force, tuple) else force
        self.actor = actor
        self.strict = False  # True: any rejected row refuses the whole import
        self.search = SearchIndex(db.is_sqlite)

    def write(
        self,
        officers: Iterable[OfficerIn],
        complaints: Iterable[ComplaintIn],
        allegations: Iterable[AllegationIn],
        report: ImportReport,
        progress: Progress | None = None,
    ) -> ImportReport:
        started = time.monotonic()
        tick = progress or (lambda _stage, _done, _total: None)
        try:
            with self.db.write() as conn:
                if self.force is not None:
                    ensure_department(conn, *self.force)
                officer_ids = self._officers(conn, list(officers), report, tick)
                complaint_ids, places = self._complaints(conn, list(complaints), report, tick)
                # Before the allegations: PostgreSQL checks each one's foreign keys with plans
                # made from these tables' statistics, which still say they are empty.
                if conn.dialect.name == "postgresql":
                    _analyse(conn, ("officer", "incident", "complaint"))
                self._allegations(
                    conn, list(allegations), officer_ids, complaint_ids, places, report, tick
                )
                record_change(
                    conn,
                    "import",
                    self.source,
                    "import",
                    self.actor,
                    None,
                    {"added": dict(report.added), "rejected": len(report.rejected)},
                )
                if report.dry_run:
                    raise _DryRun
                if self.strict and report.rejected:
                    raise InvalidRequestError(refusal(report))  # rolls the transaction back
            # Fresh statistics for the tables this wrote (only those: a bare ANALYZE would
            # walk every table of every schema), so the planner knows their new shape.
            with self.db.write() as conn:
                _analyse(conn, IMPORTED_TABLES)
        except _DryRun:
            pass
        report.seconds = time.monotonic() - started
        return report

    def _existing(self, conn: Connection, column: Any, id_column: Any) -> dict[str, int]:
        rows = conn.execute(select(column, id_column).where(column.table.c.source == self.source))
        return {source_id: row_id for source_id, row_id in rows}

    def _officers(
        self, conn: Connection, officers: list[OfficerIn], report: ImportReport, tick: Progress
    ) -> dict[str, int]:
        known = self._existing(conn, OfficerRow.source_id, OfficerRow.id)
        new = [
            o for o in dict((o.source_id, o) for o in officers).values() if o.source_id not in known
        ]
        report.already_there["officers"] += len(officers) - len(new)
        stamp = now()
        done = 0
        for chunk in _chunks(new):
            ids = _reserve_ids(conn, "officer", len(chunk))
            _insert_rows(
                conn,
                OfficerRow,
                [
                    {
                        "id": officer_id,
                        "force_id": self.force_id,
                        "created_at": stamp,
                        "source": self.source,
                        "source_id": o.source_id,
                        "attributes": o.attributes or None,
                    }
                    for officer_id, o in zip(ids, chunk, strict=True)
                ],
            )
            identifiers = [
                {
                    "officer_id": officer_id,
                    "kind": kind,
                    "value": value,
                    "valid_from": start,
                    "valid_to": end,
                    "recorded_at": stamp,
                    "recorded_by": self.actor,
                }
                for officer_id, o in zip(ids, chunk, strict=True)
                for kind, value, start, end in o.identifiers
            ]
            if identifiers:
                _insert_rows(conn, OfficerIdentifier, identifiers)
            report.added["identifiers"] += len(identifiers)
            known.update(zip((o.source_id for o in chunk), ids, strict=True))
            done += len(chunk)
            tick("officers", done, len(new))
        report.added["officers"] += len(new)
        return known

    def _complaints(
        self, conn: Connection, complaints: list[ComplaintIn], report: ImportReport, tick: Progress
    ) -> tuple[dict[str, int], dict[str, str]]:
        """Ids by source id, and the places of the complaints this run added."""
        known = self._existing(conn, ComplaintRow.source_id, ComplaintRow.id)
        new = [
            c
            for c in dict((c.source_id, c) for c in complaints).values()
            if c.source_id not in known
        ]
        report.already_there["complaints"] += len(complaints) - len(new)
        stamp = now()
        done = 0
        for chunk in _chunks(new):
            incident_ids = _reserve_ids(conn, "incident", len(chunk))
            _insert_rows(
                conn,
                IncidentRow,
                [
                    {
                        "id": incident_id,
                        "force_id": self.force_id,
                        "occurred_at": c.occurred_at,
                        "place": c.place[:300],
                        "encounter_type": c.encounter_type,
                        "narrative": "",
                        "created_at": stamp,
                    }
                    for incident_id, c in zip(incident_ids, chunk, strict=True)
                ],
            )
            ids = _reserve_ids(conn, "complaint", len(chunk))
            _insert_rows(
                conn,
                ComplaintRow,
                [
                    {
                        "id": complaint_id,
                        "incident_id": incident_id,
                        "force_id": self.force_id,
                        "reporter_kind": IMPORTED_REPORTER,
                        "received_at": c.received_at,
                        "dated_at": c.received_at or c.occurred_at,
                        "reported_to": [],
                        "source": self.source,
                        "source_id": c.source_id,
                        "created_at": stamp,
                    }
                    for complaint_id, incident_id, c in zip(ids, incident_ids, chunk, strict=True)
                ],
            )
            known.update(zip((c.source_id for c in chunk), ids, strict=True))
            done += len(chunk)
            tick("complaints", done, len(new))
        report.added["complaints"] += len(new)
        return known, {c.source_id: c.place for c in new}

    def _allegations(
        self,
        conn: Connection,
        allegations: list[AllegationIn],
        officer_ids: dict[str, int],
        complaint_ids: dict[str, int],
        places: dict[str, str],
        report: ImportReport,
        tick: Progress,
    ) -> None:
        known = set(self._existing(conn, AllegationRow.source_id, AllegationRow.id))
        rows: list[dict[str, Any]] = []
        words: dict[int, set[str]] = {}
        for a in allegations:
            if a.source_id in known:
                report.already_there["allegations"] += 1
                continue
            complaint = complaint_ids.get(a.complaint_id)
            if complaint is None:
                report.reject("allegations", a.source_id, f"no complaint {a.complaint_id!r}")
                continue
            officer = officer_ids.get(a.officer_id) if a.officer_id else None
            if a.officer_id and officer is None:
                report.reject("allegations", a.source_id, f"no officer {a.officer_id!r}")
                continue
            known.add(a.source_id)
            rows.append(
                {
                    "complaint_id": complaint,
                    "officer_id": officer,
                    "category": a.category,
                    "status": a.status,
                    "recommended_finding": a.recommended_finding,
                    "final_finding": a.final_finding,
                    "recommended_result": a.recommended_result,
                    "final_result": a.final_result,
                    "decided_on": a.decided_on,
                    "closed_on": a.closed_on,
                    "next_action": a.next_action,
                    "due_on": a.due_on,
                    "source": self.source,
                    "source_id": a.source_id,
                    "source_detail": a.detail,
                    "created_at": now(),
                }
            )
            if a.complaint_id in places:  # a complaint added by this run
                words.setdefault(complaint, set()).add(a.search_words)
        for done, batch in enumerate(_chunks(rows), start=1):
            _insert_rows(conn, AllegationRow, batch)
            tick("allegations", min(done * CHUNK, len(rows)), len(rows))
        report.added["allegations"] += len(rows)
        by_id = {complaint_ids[s]: place for s, place in places.items()}
        documents = [(cid, "\n".join([by_id[cid], *sorted(words.get(cid, ()))])) for cid in by_id]
        for documents_batch in _chunks(documents):
            self.search.put(conn, documents_batch, new=True)
        tick("search index", len(documents), len(documents))
