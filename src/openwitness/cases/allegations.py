"""Allegations, their outcomes and the follow-up clock.

Every open allegation has a next action and a due date, so none can sit unnoticed: a change
that would leave an open allegation without them is refused, and ``overdue`` lists and counts
the ones whose date has passed. Closing one clears the clock (the history keeps it).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, insert, select, update

from openwitness.cases.history import record_change
from openwitness.cases.outcomes import (
    FINDINGS,
    HANDLING_ROUTES,
    RESULTS,
    REVIEW_WINDOW_DAYS,
    STATUSES,
    check,
)
from openwitness.cases.taxonomy import check_category
from openwitness.core.clock import iso, now, today
from openwitness.core.errors import InvalidRequestError, NotFoundError
from openwitness.storage.models import Allegation as AllegationRow
from openwitness.storage.models import Officer as OfficerRow

#: OpenWitness's default time to assess a new allegation when no due date is given.
ASSESSMENT_DAYS = 14
FIRST_ACTION = "assess the allegation and decide how it is handled"

#: Fields a caseworker may change, with the vocabulary each must come from (None: free).
EDITABLE: dict[str, tuple[str, ...] | None] = {
    "officer_id": None,
    "category": None,
    "status": STATUSES,
    "handling": HANDLING_ROUTES,
    "recommended_finding": FINDINGS,
    "final_finding": FINDINGS,
    "recommended_result": RESULTS,
    "final_result": RESULTS,
    "recommended_on": None,
    "decided_on": None,
    "closed_on": None,
    "outcome_notified_on": None,
    "review_requested_on": None,
    "review_outcome": None,
    "next_action": None,
    "due_on": None,
}
_PAST_DATES = (
    "recommended_on",
    "decided_on",
    "closed_on",
    "outcome_notified_on",
    "review_requested_on",
)


@dataclass(frozen=True)
class Allegation:
    id: int
    complaint_id: int
    officer_id: int | None
    category: str | None
    status: str
    handling: str | None
    recommended_finding: str | None
    final_finding: str | None
    recommended_result: str | None
    final_result: str | None
    recommended_on: date | None
    decided_on: date | None
    closed_on: date | None
    outcome_notified_on: date | None
    review_requested_on: date | None
    review_outcome: str | None
    next_action: str | None
    due_on: date | None
    source: str | None
    source_id: str | None
    source_detail: dict[str, Any] | None

    @classmethod
    def from_row(cls, row: Any) -> Allegation:
        """From a result row (or ORM object) with at least the allegation columns."""
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})

    @property
    def is_open(self) -> bool:
        return self.status != "closed"

    @property
    def is_overdue(self) -> bool:
        """Open and due before today (UTC): see :func:`overdue_condition`, its SQL twin."""
        return self.is_open and self.due_on is not None and self.due_on < today()

    @property
    def review_deadline(self) -> date | None:
        """Last day to apply for a review (England and Wales, SI 2020/2 reg 29)."""
        if self.outcome_notified_on is None:
            return None
        return self.outcome_notified_on + timedelta(days=REVIEW_WINDOW_DAYS)

    def to_dict(self, de_identified: bool = False) -> dict[str, Any]:
        review: dict[str, Any] = {
            "outcome_notified_on": iso(self.outcome_notified_on),
            "deadline": iso(self.review_deadline),
            "requested_on": iso(self.review_requested_on),
        }
        shown = {
            "id": self.id,
            "case": self.complaint_id,
            "officer": self.officer_id,
            "category": self.category,
            "status": self.status,
            "handling": self.handling,
            "recommended": {
                "finding": self.recommended_finding,
                "result": self.recommended_result,
                "on": iso(self.recommended_on),
            },
            "final": {
                "finding": self.final_finding,
                "result": self.final_result,
                "on": iso(self.decided_on),
            },
            "closed_on": iso(self.closed_on),
            "review": review,
            "due_on": iso(self.due_on),
            "overdue": self.is_overdue,
            "source": self.source,
            "source_id": self.source_id,
            "source_detail": self.source_detail,
        }
        if not de_identified:  # free text a caseworker wrote may name people
            shown["next_action"] = self.next_action
            review["outcome"] = self.review_outcome
        return shown


def overdue_condition() -> ColumnElement[bool]:
    """The one definition of overdue in SQL, beside ``Allegation.is_overdue``: open, and due
    before today (UTC). An allegation due today is not overdue until tomorrow. Every listing,
    count and export uses one of the two; a change to one must be made to the other."""
    return and_(AllegationRow.status != "closed", AllegationRow.due_on < today())


@dataclass(frozen=True)
class NewAllegation:
    officer_id: int | None = None  # None: an officer not yet identified
    category: str | None = None  # None until assessed
    next_action: str | None = None
    due_on: date | None = None


def _check_officer(conn: Connection, officer_id: int | None) -> None:
    if officer_id is None:
        return
    row = conn.execute(select(OfficerRow.merged_into).where(OfficerRow.id == officer_id)).first()
    if row is None:
        raise InvalidRequestError(f"officer: no officer {officer_id}")
    if row.merged_into is not None:
        raise InvalidRequestError(f"officer: {officer_id} was merged into {row.merged_into}")


def _check_text(name: str, value: object, limit: int) -> None:
    if value is not None and (
        not isinstance(value, str) or not value.strip() or len(value) > limit
    ):
        raise InvalidRequestError(f"{name}: 1 to {limit} characters")


def insert_allegation(
    conn: Connection, complaint_id: int, new: NewAllegation, actor: str, received: date
) -> int:
    """Validate and insert an open allegation in the caller's transaction; returns its id."""
    _check_officer(conn, new.officer_id)
    if new.category is not None:
        check_category(new.category)
    _check_text("next_action", new.next_action, 300)
    due = new.due_on or received + timedelta(days=ASSESSMENT_DAYS)
    allegation_id: int = conn.execute(
        insert(AllegationRow)
        .values(
            complaint_id=complaint_id,
            officer_id=new.officer_id,
            category=new.category,
            status="received",
            next_action=(new.next_action or FIRST_ACTION).strip(),
            due_on=due,
            created_at=now(),
        )
        .returning(AllegationRow.id)
    ).scalar_one()
    record_change(
        conn,
        "allegation",
        allegation_id,
        "create",
        actor,
        None,
        {
            "case": complaint_id,
            "officer": new.officer_id,
            "category": new.category,
            "due_on": due.isoformat(),
        },
    )
    return allegation_id


def load_allegation(conn: Connection, allegation_id: int) -> Allegation:
    row = conn.execute(select(AllegationRow).where(AllegationRow.id == allegation_id)).first()
    if row is None:
        raise NotFoundError(f"no allegation {allegation_id}")
    return Allegation.from_row(row)


def _validated(current: Allegation, changes: dict[str, Any]) -> dict[str, Any]:
    """The changes with the clock rules applied; raises naming the first bad field."""
    for name, value in changes.items():
        if name not in EDITABLE:
            raise InvalidRequestError(f"{name}: not a field of an allegation that can be changed")
        allowed = EDITABLE[name]
        if allowed is not None:
            check(name, value, allowed)
        if name in _PAST_DATES and value is not None:
            if not isinstance(value, date):
                raise InvalidRequestError(f"{name}: a date (YYYY-MM-DD)")
            if value > today():
                raise InvalidRequestError(f"{name}: {value.isoformat()} is in the future")
    if "status" in changes and changes["status"] is None:
        raise InvalidRequestError("status: cannot be cleared")
    if changes.get("category") is not None:
        check_category(changes["category"])
    _check_text("next_action", changes.get("next_action"), 300)
    _check_text("review_outcome", changes.get("review_outcome"), 200)
    merged = {**current.__dict__, **changes}
    if merged["status"] == "closed":
        if current.is_open:
            changes.setdefault("closed_on", today())
        changes["next_action"] = None
        changes["due_on"] = None
    else:
        if changes.get("closed_on") is not None:
            raise InvalidRequestError("closed_on: only a closed allegation has a closing date")
        changes.setdefault("closed_on", None)
        if not merged["next_action"] or merged["due_on"] is None:
            raise InvalidRequestError(
                "next_action/due_on: an open allegation needs a next action and a due date"
            )
    return changes


def update_allegation(
    conn: Connection, allegation_id: int, changes: dict[str, Any], actor: str
) -> Allegation:
    current = load_allegation(conn, allegation_id)
    if "officer_id" in changes:
        _check_officer(conn, changes["officer_id"])
    changes = _validated(current, dict(changes))
    before = {k: _plain(getattr(current, k)) for k in changes}
    after = {k: _plain(v) for k, v in changes.items()}
    changed = {k: v for k, v in changes.items() if before[k] != after[k]}
    if changed:
        conn.execute(
            update(AllegationRow).where(AllegationRow.id == allegation_id).values(**changed)
        )
        record_change(
            conn,
            "allegation",
            allegation_id,
            "update",
            actor,
            {k: before[k] for k in changed},
            {k: after[k] for k in changed},
        )
    return load_allegation(conn, allegation_id)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def open_for_officer(
    conn: Connection, officer_id: int, excluding: int | None = None
) -> list[Allegation]:
    """The officer's unresolved allegations: shown whenever a new one arrives."""
    query = select(AllegationRow).where(
        AllegationRow.officer_id == officer_id, AllegationRow.status != "closed"
    )
    if excluding is not None:
        query = query.where(AllegationRow.id != excluding)
    return [Allegation.from_row(r) for r in conn.execute(query.order_by(AllegationRow.id))]
