"""Erasing a person: their sealed details, and their name and contacts in the case's free text.

Dropping the sealed details alone would leave the person named wherever a caseworker typed
them: the narrative, the place, officers' roles, the review outcome, the next action, and the
history's before/after values; the search document would still find the case by name. So
erasure first opens the details to learn what to look for, replaces each occurrence with
``[erased]`` in one transaction, rebuilds the case's search document, and says what changed.

What is looked for (case-insensitive, whole words only): the full name and each part of it
of three or more letters (titles and particles such as "Mr" or "van" excepted), the e-mail
address, the phone number however it is spaced, the whole address and each comma- or
line-separated part of it that holds a digit (house number and street, postcode), and the
date of birth. A town alone is not redacted: it would blank every mention of the place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, or_, select, update

from openwitness.storage.models import Allegation as AllegationRow
from openwitness.storage.models import ChangeRecord, IncidentOfficer
from openwitness.storage.models import Complaint as ComplaintRow
from openwitness.storage.models import Incident as IncidentRow
from openwitness.storage.models import Person as PersonRow

REDACTED = "[erased]"
_NOT_NAMES = frozenset(
    {
        "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev", "the", "and",
        "van", "von", "der", "den", "del", "della", "de", "da", "di", "du", "la", "le",
        "bin", "binti", "ibn", "abu", "jr", "snr",
    }
)  # fmt: skip
_NAME_PART = re.compile(r"[^\W\d_](?:[^\W\d_]|['\u2019-])*", re.UNICODE)


def _loose(text: str) -> str:
    """``text`` as a pattern whose spaces and commas match any run of spaces and commas."""
    parts = [re.escape(p) for p in re.split(r"[\s,]+", text.strip()) if p]
    return r"[\s,]+".join(parts)


def _phone(value: str) -> list[str]:
    """The number with any spacing or punctuation between its digits; +44 also as 0…"""
    digits = re.sub(r"\D", "", value)
    if len(digits) < 6:
        return []
    forms = [digits]
    if value.strip().startswith("+") and digits.startswith("44"):
        forms.append("0" + digits[2:])
    return [r"\+?" + r"[\s().-]*".join(form) for form in forms]


def patterns(details: dict[str, str]) -> list[str]:
    """Regular expressions for everything in ``details`` that names or reaches the person."""
    found: list[str] = []
    name = details.get("name", "").strip()
    if name:
        found.append(_loose(name))
        found += [
            re.escape(part)
            for part in _NAME_PART.findall(name)
            if len(part) >= 3 and part.lower() not in _NOT_NAMES
        ]
    for key in ("email", "date_of_birth"):
        if details.get(key, "").strip():
            found.append(re.escape(details[key].strip()))
    if details.get("phone"):
        found += _phone(details["phone"])
    address = details.get("address", "").strip()
    if address:
        found.append(_loose(address))
        found += [
            _loose(part)
            for part in re.split(r"[,\n]+", address)
            if re.search(r"\d", part) and len(part.strip()) >= 3
        ]
    return found


@dataclass
class Redactor:
    """Replaces every occurrence of a person's name and contacts; counts what it replaced."""

    details: dict[str, str]
    changes: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Longest first, so the full name is one replacement rather than one per part.
        found = sorted(set(patterns(self.details)), key=len, reverse=True)
        self._pattern = (
            re.compile(r"(?<!\w)(?:" + "|".join(found) + r")(?!\w)", re.IGNORECASE)
            if found
            else None
        )

    def text(self, value: str) -> tuple[str, int]:
        if self._pattern is None:
            return value, 0
        return self._pattern.subn(REDACTED, value)

    def value(self, value: Any) -> tuple[Any, int]:
        """A JSON value with every string in it redacted (keys are field names: kept)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            pairs = [self.value(v) for v in value]
            return [v for v, _ in pairs], sum(n for _, n in pairs)
        if isinstance(value, dict):
            done = {k: self.value(v) for k, v in value.items()}
            return {k: v for k, (v, _) in done.items()}, sum(n for _, n in done.values())
        return value, 0

    def note(self, where: str, count: int) -> None:
        if count:
            self.changes.append({"field": where, "replacements": count})


def redact_case(conn: Connection, case_id: int, redactor: Redactor) -> None:
    """Redact the case's free text and its history in the caller's transaction."""
    complaint = conn.execute(select(ComplaintRow).where(ComplaintRow.id == case_id)).one()
    incident = conn.execute(
        select(IncidentRow).where(IncidentRow.id == complaint.incident_id)
    ).one()
    incident_changes: dict[str, Any] = {}
    for column in ("narrative", "place"):
        redacted, count = redactor.text(getattr(incident, column))
        redactor.note(f"incident.{column}", count)
        if count:
            incident_changes[column] = redacted
    if incident_changes:
        conn.execute(
            update(IncidentRow).where(IncidentRow.id == incident.id).values(**incident_changes)
        )
    for officer in conn.execute(
        select(IncidentOfficer).where(IncidentOfficer.incident_id == incident.id)
    ):
        role, count = redactor.text(officer.role)
        redactor.note(f"incident.officers.{officer.officer_id}.role", count)
        if count:
            conn.execute(
                update(IncidentOfficer)
                .where(
                    IncidentOfficer.incident_id == incident.id,
                    IncidentOfficer.officer_id == officer.officer_id,
                )
                .values(role=role)
            )
    case_changes: dict[str, Any] = {}
    for column in ("pseudonym", "reported_to"):
        redacted, count = redactor.value(getattr(complaint, column))
        redactor.note(f"case.{column}", count)
        if count:
            case_changes[column] = redacted
    if case_changes:
        conn.execute(update(ComplaintRow).where(ComplaintRow.id == case_id).values(**case_changes))
    allegation_ids = []
    allegations = select(AllegationRow).where(AllegationRow.complaint_id == case_id)
    for allegation in conn.execute(allegations.order_by(AllegationRow.id)):
        allegation_ids.append(allegation.id)
        changes = {}
        for column in ("next_action", "review_outcome", "source_detail"):
            redacted, count = redactor.value(getattr(allegation, column))
            redactor.note(f"allegation {allegation.id}.{column}", count)
            if count:
                changes[column] = redacted
        if changes:
            conn.execute(
                update(AllegationRow).where(AllegationRow.id == allegation.id).values(**changes)
            )
    _redact_history(conn, redactor, case_id, incident.id, allegation_ids)


def _redact_history(
    conn: Connection, redactor: Redactor, case_id: int, incident_id: int, allegation_ids: list[int]
) -> None:
    """History is append-only, except here: erasure is the one change that may rewrite it."""
    people = select(PersonRow.id).where(PersonRow.complaint_id == case_id)
    rows = conn.execute(
        select(ChangeRecord).where(
            or_(
                (ChangeRecord.entity == "case") & (ChangeRecord.entity_id == str(case_id)),
                (ChangeRecord.entity == "incident") & (ChangeRecord.entity_id == str(incident_id)),
                (ChangeRecord.entity == "allegation")
                & ChangeRecord.entity_id.in_([str(i) for i in allegation_ids]),
                (ChangeRecord.entity == "person")
                & ChangeRecord.entity_id.in_([str(i) for i in conn.execute(people).scalars()]),
            )
        )
    ).all()
    records = total = 0
    for row in rows:
        before, in_before = redactor.value(row.before)
        after, in_after = redactor.value(row.after)
        if in_before or in_after:
            conn.execute(
                update(ChangeRecord)
                .where(ChangeRecord.id == row.id)
                .values(before=before, after=after)
            )
            records += 1
            total += in_before + in_after
    if total:
        redactor.changes.append({"field": "history", "records": records, "replacements": total})
