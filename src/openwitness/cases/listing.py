"""Finding cases and allegations: filters, pagination, full-text search, overdue counts.

Listings return summaries (no narrative, no people), so one page is two queries whatever its
size; the full case is ``Cases.view``. Every query is limited to what the viewer may see.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, exists, func, or_, select

from openwitness.cases.access import Viewer
from openwitness.cases.allegations import Allegation, overdue_condition
from openwitness.cases.forms import MAX_ID, check_day
from openwitness.cases.outcomes import STATUSES, check
from openwitness.cases.taxonomy import check_category
from openwitness.core.clock import as_utc, iso, today
from openwitness.core.errors import InvalidRequestError
from openwitness.storage.db import Database
from openwitness.storage.models import Allegation as AllegationRow
from openwitness.storage.models import Complaint as ComplaintRow
from openwitness.storage.models import Incident as IncidentRow
from openwitness.storage.models import Officer as OfficerRow
from openwitness.storage.search import SearchIndex, words

MAX_PAGE = 200
MAX_OFFSET = 2**31 - 1
MAX_FILTER_TEXT = 200
DENSE_FROM = 2000  # matching allegations from which a filter counts as dense


@dataclass(frozen=True)
class Filters:
    force: str | None = None
    officer: int | None = None
    category: str | None = None  # a category includes its subcategories
    status: str | None = None
    received_from: date | None = None
    received_to: date | None = None
    overdue: bool = False
    query: str | None = None  # full-text search

    def check(self) -> None:
        for name, text in (
            ("force", self.force),
            ("category", self.category),
            ("status", self.status),
            ("q", self.query),
        ):
            if text is not None and ("\x00" in text or len(text) > MAX_FILTER_TEXT):
                raise InvalidRequestError(
                    f"{name}: at most {MAX_FILTER_TEXT} characters, without NUL characters"
                )
        check_day("received_from", self.received_from)
        check_day("received_to", self.received_to)
        if self.officer is not None and not 1 <= self.officer <= MAX_ID:
            raise InvalidRequestError(f"officer: an officer's number, 1 to {MAX_ID}")
        if self.category is not None:
            check_category(self.category)
        check("status", self.status, STATUSES)
        if self.received_from and self.received_to and self.received_from > self.received_to:
            raise InvalidRequestError("received_from: after received_to")
        if self.query is not None and not words(self.query):
            raise InvalidRequestError("q: give at least one word to search for")


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    offset: int
    limit: int
    has_more: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "offset": self.offset,
            "limit": self.limit,
            "has_more": self.has_more,
            "next_offset": self.offset + self.limit if self.has_more else None,
        }


def _category_condition(category: str) -> ColumnElement[bool]:
    """The category and its subcategories, as an index range ('/' sorts just before '0')."""
    column = AllegationRow.category
    return or_(column == category, and_(column > f"{category}/", column < f"{category}0"))


def allegation_conditions(filters: Filters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.officer is not None:
        conditions.append(AllegationRow.officer_id == filters.officer)
    if filters.category is not None:
        conditions.append(_category_condition(filters.category))
    if filters.status is not None:
        conditions.append(AllegationRow.status == filters.status)
    if filters.overdue:
        conditions.append(overdue_condition())
    return conditions


def case_conditions(filters: Filters, viewer: Viewer, search: SearchIndex) -> list[Any]:
    conditions: list[Any] = [viewer.scope()]
    if filters.force is not None:
        conditions.append(ComplaintRow.force_id == filters.force)
    if filters.received_from is not None:
        conditions.append(ComplaintRow.dated_at >= _midnight(filters.received_from))
    if filters.received_to is not None:  # inclusive: before the next day's midnight
        conditions.append(
            ComplaintRow.dated_at < _midnight(filters.received_to + timedelta(days=1))
        )
    if filters.query is not None:
        conditions.append(ComplaintRow.id.in_(search.matching(filters.query)))
    return conditions


def _having_allegations(
    conn: Connection, conditions: list[ColumnElement[bool]]
) -> ColumnElement[bool]:
    """Cases with an allegation matching ``conditions``, phrased for the matches' density.

    Few matches (an officer's cases, the overdue ones): fetch their case ids by index, and
    the page is those cases sorted. Many (a common category or status): walk the cases
    newest first and stop at a page, checking each one's allegations by index. Fetching up to
    the threshold costs at most that many index entries; left to themselves, both planners
    sometimes pick the phrasing that takes seconds on 400,000 allegations.
    """
    matching = select(AllegationRow.complaint_id).where(*conditions)
    few = conn.execute(matching.limit(DENSE_FROM)).scalars().all()
    if len(few) < DENSE_FROM:
        return ComplaintRow.id.in_(sorted(set(few)))
    return exists(matching.where(AllegationRow.complaint_id == ComplaintRow.id))


def _ranked(counts: Counter[Any]) -> list[tuple[Any, int]]:
    """Largest count first, ties by key, so the order is the same on every run."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _page(limit: int, offset: int) -> tuple[int, int]:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidRequestError(f"limit: 1 to {MAX_PAGE}")
    if not 0 <= offset <= MAX_OFFSET:
        raise InvalidRequestError(f"offset: 0 to {MAX_OFFSET}")
    return limit, offset


class Listings:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.search = SearchIndex(db.is_sqlite)

    def cases(self, filters: Filters, viewer: Viewer, limit: int = 50, offset: int = 0) -> Page:
        """Cases, newest report first, with a summary of their allegations."""
        filters.check()
        limit, offset = _page(limit, offset)
        unsearched = replace(filters, query=None)  # the search is phrased below, by density
        query = select(
            ComplaintRow.id,
            ComplaintRow.received_at,
            ComplaintRow.dated_at,
            ComplaintRow.reporter_kind,
            ComplaintRow.organisation_id,
            ComplaintRow.source,
            ComplaintRow.source_id,
            ComplaintRow.force_id,
            ComplaintRow.incident_id,
        ).where(*case_conditions(unsearched, viewer, self.search))
        query = query.order_by(ComplaintRow.dated_at.desc().nulls_last(), ComplaintRow.id.desc())
        with self.db.read() as conn:
            if filters.query is not None:
                query = query.where(self.search.condition(conn, filters.query, ComplaintRow.id))
            conditions = allegation_conditions(filters)
            if conditions:
                query = query.where(_having_allegations(conn, conditions))
            rows = list(conn.execute(query.limit(limit + 1).offset(offset)))
            ids = [row.id for row in rows[:limit]]
            # The page's incidents afterwards, by key: joining them into the filtered query
            # lets PostgreSQL hash-join every incident for a page of fifty.
            incidents = {
                row.id: row
                for row in conn.execute(
                    select(IncidentRow.id, IncidentRow.encounter_type, IncidentRow.place).where(
                        IncidentRow.id.in_([row.incident_id for row in rows[:limit]])
                    )
                )
            }
            by_case: dict[int, list[Allegation]] = {case_id: [] for case_id in ids}
            for row in conn.execute(
                select(AllegationRow)
                .where(AllegationRow.complaint_id.in_(ids))
                .order_by(AllegationRow.id)
            ):
                by_case[row.complaint_id].append(Allegation.from_row(row))
        items = [
            _case_summary(row, incidents[row.incident_id], by_case[row.id], viewer)
            for row in rows[:limit]
        ]
        return Page(items, offset, limit, len(rows) > limit)

    def allegations(
        self, filters: Filters, viewer: Viewer, limit: int = 50, offset: int = 0
    ) -> Page:
        """Allegations; the overdue ones (``overdue=True``) longest overdue first."""
        filters.check()
        limit, offset = _page(limit, offset)
        query = (
            select(AllegationRow, ComplaintRow.force_id)
            .join(ComplaintRow, ComplaintRow.id == AllegationRow.complaint_id)
            .where(*case_conditions(filters, viewer, self.search))
            .where(*allegation_conditions(filters))
        )
        if filters.overdue:
            query = query.order_by(AllegationRow.due_on, AllegationRow.id)
        else:
            query = query.order_by(AllegationRow.id.desc())
        with self.db.read() as conn:
            rows = list(conn.execute(query.limit(limit + 1).offset(offset)))
        items = [
            {
                **Allegation.from_row(row).to_dict(viewer.de_identified),
                "force": row.force_id,
            }
            for row in rows[:limit]
        ]
        return Page(items, offset, limit, len(rows) > limit)

    def overdue_counts(self, viewer: Viewer, top: int = 20) -> dict[str, Any]:
        """How many open allegations are past their due date: in all, per force, per officer.

        Overdue allegations are found by the due-date index and counted here: grouping in
        SQL lets the planner walk a grouping index over every allegation instead."""
        with self.db.read() as conn:
            rows = conn.execute(
                select(ComplaintRow.force_id, AllegationRow.officer_id)
                .join(ComplaintRow, ComplaintRow.id == AllegationRow.complaint_id)
                .where(overdue_condition(), viewer.scope())
            ).all()
        forces = Counter(row.force_id for row in rows)
        overdue = Counter(row.officer_id for row in rows if row.officer_id is not None)
        return {
            "as_of": today().isoformat(),
            "overdue": len(rows),
            "by_force": [{"force": f, "overdue": n} for f, n in _ranked(forces)],
            "by_officer": [{"officer": o, "overdue": n} for o, n in _ranked(overdue)[:top]],
        }

    def officer_record(self, officer_id: int) -> dict[str, Any]:
        """An officer's allegations with outcomes, co-accused officers, unresolved and overdue
        counts. De-identified (no narrative or people), so every account may see it: an
        officer's history must always be in view, whoever's case it came from."""
        with self.db.read() as conn:
            if (
                conn.execute(select(OfficerRow.id).where(OfficerRow.id == officer_id)).first()
                is None
            ):
                raise InvalidRequestError(f"officer: no officer {officer_id}")
            rows = list(
                conn.execute(
                    select(AllegationRow, ComplaintRow.dated_at)
                    .join(ComplaintRow, ComplaintRow.id == AllegationRow.complaint_id)
                    .where(AllegationRow.officer_id == officer_id)
                    .order_by(ComplaintRow.dated_at, AllegationRow.id)
                )
            )
            cases = select(AllegationRow.complaint_id).where(AllegationRow.officer_id == officer_id)
            co_accused = conn.execute(
                select(AllegationRow.officer_id, func.count(AllegationRow.complaint_id.distinct()))
                .where(
                    AllegationRow.complaint_id.in_(cases),
                    AllegationRow.officer_id.is_not(None),
                    AllegationRow.officer_id != officer_id,
                )
                .group_by(AllegationRow.officer_id)
                .order_by(func.count(AllegationRow.complaint_id.distinct()).desc())
                .limit(50)
            )
            together = [{"officer": o, "cases": n} for o, n in co_accused]
        allegations = [Allegation.from_row(r) for r in rows]
        dated = {r.id: as_utc(r.dated_at) for r in rows}
        return {
            "officer": officer_id,
            "allegations": [
                {
                    **a.to_dict(de_identified=True),
                    "month": _month(dated[a.id]),
                }
                for a in allegations
            ],
            "counts": {
                "allegations": len(allegations),
                "cases": len({a.complaint_id for a in allegations}),
                "unresolved": sum(a.is_open for a in allegations),
                "overdue": sum(a.is_overdue for a in allegations),
                "sustained_or_upheld": sum(
                    a.final_finding in ("sustained", "upheld") for a in allegations
                ),
            },
            "co_accused": together,
        }


def _month(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m") if value else None


def _case_summary(
    row: Any, incident: Any, allegations: list[Allegation], viewer: Viewer
) -> dict[str, Any]:
    received = as_utc(row.received_at)
    summary: dict[str, Any] = {
        "id": row.id,
        "force": row.force_id,
        "encounter_type": incident.encounter_type,
        "month": _month(as_utc(row.dated_at)),
        "reporter_kind": row.reporter_kind,
        "source": row.source,
        "source_id": row.source_id,
        "allegations": len(allegations),
        "open": sum(a.is_open for a in allegations),
        "overdue": sum(a.is_overdue for a in allegations),
        "officers": sorted({a.officer_id for a in allegations if a.officer_id is not None}),
        "categories": sorted({a.category for a in allegations if a.category}),
        "next_due": iso(
            min((a.due_on for a in allegations if a.is_open and a.due_on), default=None)
        ),
    }
    if not viewer.de_identified:
        summary["received_at"] = received.isoformat() if received else None
        summary["organisation"] = row.organisation_id
        summary["place"] = incident.place
    return summary
