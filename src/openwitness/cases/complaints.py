"""Cases: a report about an incident, the people involved, its allegations and outcomes.

A case is written in one transaction (incident, complaint, sealed people, allegations and
search document), so a refused field leaves nothing half-written. Reports made without an
account get a secret follow-up token, of which only the SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from openwitness.accounts.service import check_organisation
from openwitness.cases.access import Viewer
from openwitness.cases.allegations import (
    Allegation,
    NewAllegation,
    insert_allegation,
    load_allegation,
    open_for_officer,
    update_allegation,
)
from openwitness.cases.erasure import Redactor, redact_case
from openwitness.cases.history import history, record_change
from openwitness.cases.incidents import Incident, Incidents, NewIncident, insert_incident
from openwitness.cases.personal_data import Sealer, check_details
from openwitness.core.clock import as_utc, iso, now, today
from openwitness.core.errors import ForbiddenError, InvalidRequestError, NotFoundError
from openwitness.evidence.custody import Entitlement, record_custody
from openwitness.storage.db import Database
from openwitness.storage.models import Allegation as AllegationRow
from openwitness.storage.models import Complaint as ComplaintRow
from openwitness.storage.models import Incident as IncidentRow
from openwitness.storage.models import Person as PersonRow
from openwitness.storage.search import SearchIndex

REPORTER_KINDS = ("named", "pseudonymous", "anonymous")
#: Who else the report went to: the force's Professional Standards Department, the IOPC
#: (England and Wales), PIRC (Scotland), the Police Ombudsman (Northern Ireland), or other.
REPORTED_TO = ("force-psd", "iopc", "pirc", "poni", "other")
PERSON_ROLES = ("complainant", "witness")
FOLLOW_UP_PREFIX = "owf_"


@dataclass(frozen=True)
class ReportedTo:
    body: str
    reference: str | None = None
    on: date | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"body": self.body, "reference": self.reference, "on": iso(self.on)}


@dataclass(frozen=True)
class NewPerson:
    role: str
    details: dict[str, Any]


@dataclass(frozen=True)
class NewCase:
    incident: NewIncident
    reporter_kind: str = "named"
    pseudonym: str | None = None
    reported_to: tuple[ReportedTo, ...] = ()
    people: tuple[NewPerson, ...] = ()
    allegations: tuple[NewAllegation, ...] = ()
    received_at: datetime | None = None  # default: now


@dataclass(frozen=True)
class PersonRecord:
    id: int
    role: str
    sealed: bytes | None
    erased_at: datetime | None


@dataclass(frozen=True)
class Case:
    id: int
    incident: Incident
    organisation_id: str | None
    reporter_kind: str
    pseudonym: str | None
    received_at: datetime | None  # None only for imported records that give no date
    reported_to: tuple[ReportedTo, ...]
    source: str | None
    source_id: str | None
    people: tuple[PersonRecord, ...] = field(default=())
    allegations: tuple[Allegation, ...] = field(default=())

    def de_identified(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "incident": self.incident.de_identified(),
            "received_month": self.received_at.strftime("%Y-%m") if self.received_at else None,
            "reporter_kind": self.reporter_kind,
            "reported_to": [r.body for r in self.reported_to],
            "source": self.source,
            "source_id": self.source_id,
            "people": [{"role": p.role} for p in self.people],
            "allegations": [a.to_dict(de_identified=True) for a in self.allegations],
        }

    def to_dict(self, viewer: Viewer, sealer: Sealer) -> dict[str, Any]:
        if viewer.de_identified:
            return self.de_identified()
        open_people = viewer.may_open_people(self.organisation_id)
        return {
            **self.de_identified(),
            "incident": self.incident.to_dict(),
            "organisation": self.organisation_id,
            "received_at": iso(self.received_at),
            "pseudonym": self.pseudonym,
            "reported_to": [r.to_dict() for r in self.reported_to],
            "people": [_person(p, sealer if open_people else None) for p in self.people],
            "allegations": [a.to_dict() for a in self.allegations],
        }


def _person(person: PersonRecord, sealer: Sealer | None) -> dict[str, Any]:
    shown: dict[str, Any] = {"id": person.id, "role": person.role}
    if person.erased_at is not None:
        shown["erased_at"] = person.erased_at.isoformat()
        shown["details"] = None
    elif sealer is None or person.sealed is None:
        shown["details"] = "sealed: visible only to the case's caseworkers"
    else:
        shown["details"] = sealer.open(person.sealed)
    return shown


def follow_up_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_case(new: NewCase) -> datetime:
    if new.reporter_kind not in REPORTER_KINDS:
        raise InvalidRequestError(f"reporter_kind: one of {', '.join(REPORTER_KINDS)}")
    if new.reporter_kind == "pseudonymous" and not (new.pseudonym or "").strip():
        raise InvalidRequestError("pseudonym: a pseudonymous report needs a pseudonym")
    if new.pseudonym is not None and len(new.pseudonym) > 100:
        raise InvalidRequestError("pseudonym: at most 100 characters")
    for person in new.people:
        if person.role not in PERSON_ROLES:
            raise InvalidRequestError(f"people.role: one of {', '.join(PERSON_ROLES)}")
        check_details(person.details)
    if new.reporter_kind == "named" and not any(
        p.role == "complainant" and (p.details.get("name") or "").strip() for p in new.people
    ):
        raise InvalidRequestError("people: a named report needs a complainant with a name")
    for sent in new.reported_to:
        if sent.body not in REPORTED_TO:
            raise InvalidRequestError(f"reported_to.body: one of {', '.join(REPORTED_TO)}")
        if sent.reference is not None and not 0 < len(sent.reference.strip()) <= 100:
            raise InvalidRequestError("reported_to.reference: 1 to 100 characters")
        if sent.on is not None and sent.on > today():
            raise InvalidRequestError(f"reported_to.on: {sent.on.isoformat()} is in the future")
    received = new.received_at or now()
    if received.tzinfo is None:
        raise InvalidRequestError("received_at: give a time zone")
    if received > now():
        raise InvalidRequestError("received_at: the time is in the future")
    return received


def search_text(conn: Connection, complaint_id: int) -> str:
    """The words a case is found by: narrative, place, and its allegations' categories."""
    incident = conn.execute(
        select(IncidentRow.narrative, IncidentRow.place)
        .join(ComplaintRow, ComplaintRow.incident_id == IncidentRow.id)
        .where(ComplaintRow.id == complaint_id)
    ).one()
    categories = conn.execute(
        select(AllegationRow.category).where(AllegationRow.complaint_id == complaint_id)
    ).scalars()
    words = [c.replace("/", " ").replace("-", " ") for c in categories if c]
    return "\n".join([incident.narrative, incident.place, *words])


class Cases:
    def __init__(self, db: Database, incidents: Incidents, sealer: Sealer) -> None:
        self.db = db
        self.incidents = incidents
        self.sealer = sealer
        self.search = SearchIndex(db.is_sqlite)

    # -- writing ---------------------------------------------------------------------------

    def add(
        self,
        new: NewCase,
        actor: str,
        organisation_id: str | None,
        who: Entitlement,
        follow_up: bool = False,
    ) -> tuple[Case, str | None]:
        """Record a case; returns it and, if asked for, the follow-up token (shown once).

        ``who`` links the evidence and must be entitled to each item (a hash is public)."""
        received = _check_case(new)
        token = FOLLOW_UP_PREFIX + secrets.token_urlsafe(32) if follow_up else None
        with self.db.write() as conn:
            check_organisation(conn, organisation_id)
            incident_id = insert_incident(conn, new.incident, actor, organisation_id, who)
            case_id: int = conn.execute(
                insert(ComplaintRow)
                .values(
                    incident_id=incident_id,
                    force_id=new.incident.force_id,
                    organisation_id=organisation_id,
                    reporter_kind=new.reporter_kind,
                    pseudonym=(new.pseudonym or "").strip() or None,
                    follow_up_sha256=follow_up_digest(token) if token else None,
                    received_at=received,
                    dated_at=received,
                    reported_to=[r.to_dict() for r in new.reported_to],
                    created_at=now(),
                )
                .returning(ComplaintRow.id)
            ).scalar_one()
            for person in new.people:
                self._insert_person(conn, case_id, person, actor)
            for allegation in new.allegations:
                insert_allegation(conn, case_id, allegation, actor, received.date())
            record_change(
                conn,
                "case",
                case_id,
                "create",
                actor,
                None,
                {
                    "incident": incident_id,
                    "organisation": organisation_id,
                    "reporter_kind": new.reporter_kind,
                    "people": len(new.people),
                    "allegations": len(new.allegations),
                },
            )
            self.search.put(conn, [(case_id, search_text(conn, case_id))])
        return self.get(case_id), token

    def _insert_person(self, conn: Connection, case_id: int, person: NewPerson, actor: str) -> int:
        details = check_details(person.details)
        person_id: int = conn.execute(
            insert(PersonRow)
            .values(
                complaint_id=case_id,
                role=person.role,
                sealed=self.sealer.seal(details),
                created_at=now(),
            )
            .returning(PersonRow.id)
        ).scalar_one()
        # The history says that details were recorded, never what they were.
        record_change(
            conn,
            "person",
            person_id,
            "create",
            actor,
            None,
            {"case": case_id, "role": person.role, "fields": sorted(details)},
        )
        return person_id

    def add_person(self, case_id: int, person: NewPerson, viewer: Viewer) -> int:
        if person.role not in PERSON_ROLES:
            raise InvalidRequestError(f"role: one of {', '.join(PERSON_ROLES)}")
        self._editable(case_id, viewer)
        with self.db.write() as conn:
            return self._insert_person(conn, case_id, person, viewer.name)

    def add_allegation(
        self, case_id: int, new: NewAllegation, viewer: Viewer
    ) -> tuple[Allegation, list[Allegation]]:
        """Add an allegation; returns it with the officer's earlier unresolved allegations."""
        case = self._editable(case_id, viewer)
        with self.db.write() as conn:
            allegation_id = insert_allegation(
                conn, case_id, new, viewer.name, (case.received_at or now()).date()
            )
            self.search.put(conn, [(case_id, search_text(conn, case_id))])
            earlier = (
                open_for_officer(conn, new.officer_id, excluding=allegation_id)
                if new.officer_id is not None
                else []
            )
            return load_allegation(conn, allegation_id), earlier

    def update_allegation(
        self, allegation_id: int, changes: dict[str, Any], viewer: Viewer
    ) -> Allegation:
        """Change status, handling, findings, results, dates or the next action and due date."""
        with self.db.read() as conn:
            case_id = load_allegation(conn, allegation_id).complaint_id
        self._editable(case_id, viewer)
        with self.db.write() as conn:
            updated = update_allegation(conn, allegation_id, changes, viewer.name)
            if "category" in changes:
                self.search.put(conn, [(case_id, search_text(conn, case_id))])
            return updated

    def assign(self, case_id: int, organisation_id: str | None, actor: str) -> Case:
        """Hand a case (e.g. an anonymous report) to an organisation; admins and the CLI only."""
        case = self._load(case_id)
        with self.db.write() as conn:
            check_organisation(conn, organisation_id)
            conn.execute(
                update(ComplaintRow)
                .where(ComplaintRow.id == case_id)
                .values(organisation_id=organisation_id)
            )
            conn.execute(
                update(IncidentRow)
                .where(IncidentRow.id == case.incident.id)
                .values(organisation_id=organisation_id)
            )
            for sha256 in case.incident.evidence:  # the case's files go with it
                record_custody(conn, sha256, organisation_id)
            record_change(
                conn,
                "case",
                case_id,
                "assign",
                actor,
                {"organisation": case.organisation_id},
                {"organisation": organisation_id},
            )
        return self._load(case_id)

    def erase_person(self, person_id: int, actor: str, reason: str) -> dict[str, Any]:
        """Erase a person's details where the law requires it: a separate, audited operation.

        The sealed details are dropped; the row stays so the case still shows that someone
        was involved, and the history records who erased them, when and why. Their name and
        contacts are also replaced wherever the case's free text and history hold them, and
        the search document is rebuilt (``openwitness.cases.erasure``). Returns what changed.
        """
        if not reason.strip():
            raise InvalidRequestError("reason: say why (e.g. the legal basis of the request)")
        with self.db.write() as conn:
            row = conn.execute(select(PersonRow).where(PersonRow.id == person_id)).first()
            if row is None:
                raise NotFoundError(f"no person {person_id}")
            if row.erased_at is not None:
                raise InvalidRequestError(f"person {person_id} was already erased")
            # Opened first: what the free text must lose is only known from the details.
            redactor = Redactor(self.sealer.open(row.sealed) if row.sealed else {})
            redact_case(conn, row.complaint_id, redactor)
            conn.execute(
                update(PersonRow)
                .where(PersonRow.id == person_id)
                .values(sealed=None, erased_at=now())
            )
            reason_text, _ = redactor.text(reason.strip()[:500])
            record_change(
                conn,
                "person",
                person_id,
                "erase",
                actor,
                {"sealed": True},
                {"erased": True, "reason": reason_text, "redacted": redactor.changes},
            )
            # The stored document redacted, not rebuilt from the fields: an imported case's
            # holds its source's own words for its categories, which the fields do not.
            document = self.search.document(conn, row.complaint_id)
            if document is None:
                document = search_text(conn, row.complaint_id)
            self.search.put(conn, [(row.complaint_id, redactor.text(document)[0])])
        return {
            "id": person_id,
            "case": row.complaint_id,
            "erased": True,
            "redacted": redactor.changes,
            "search_document": "rebuilt",
        }

    # -- reading ---------------------------------------------------------------------------

    def get(self, case_id: int) -> Case:
        return self._load(case_id)

    def view(self, case_id: int, viewer: Viewer) -> dict[str, Any]:
        """The case as this viewer may see it; 404 when they may not know it exists."""
        case = self._load(case_id)
        if not viewer.may_see(case.organisation_id, case.source):
            raise NotFoundError(f"no case {case_id}")
        return case.to_dict(viewer, self.sealer)

    def history(self, case_id: int) -> list[dict[str, Any]]:
        """Every change to the case and its allegations, oldest first."""
        case = self._load(case_id)
        changes = history(self.db, "case", case_id)
        for allegation in case.allegations:
            changes += history(self.db, "allegation", allegation.id)
        return sorted(changes, key=lambda change: str(change["at"]))

    def by_follow_up(self, token: str) -> Case:
        with self.db.read() as conn:
            case_id = conn.execute(
                select(ComplaintRow.id).where(
                    ComplaintRow.follow_up_sha256 == follow_up_digest(token)
                )
            ).scalar()
        if case_id is None:
            raise NotFoundError("no report has this follow-up token")
        return self._load(case_id)

    def _editable(self, case_id: int, viewer: Viewer) -> Case:
        case = self._load(case_id)
        if not viewer.may_see(case.organisation_id, case.source):
            raise NotFoundError(f"no case {case_id}")
        if not viewer.may_edit(case.organisation_id):
            raise ForbiddenError(f"case {case_id} belongs to another organisation")
        return case

    def _load(self, case_id: int) -> Case:
        with self.db.read() as conn:
            row = conn.execute(select(ComplaintRow).where(ComplaintRow.id == case_id)).first()
            if row is None:
                raise NotFoundError(f"no case {case_id}")
            people = conn.execute(
                select(PersonRow).where(PersonRow.complaint_id == case_id).order_by(PersonRow.id)
            )
            allegations = conn.execute(
                select(AllegationRow)
                .where(AllegationRow.complaint_id == case_id)
                .order_by(AllegationRow.id)
            )
            return Case(
                id=row.id,
                incident=self.incidents.get(row.incident_id),
                organisation_id=row.organisation_id,
                reporter_kind=row.reporter_kind,
                pseudonym=row.pseudonym,
                received_at=as_utc(row.received_at),
                reported_to=tuple(
                    ReportedTo(
                        r["body"],
                        r.get("reference"),
                        date.fromisoformat(r["on"]) if r.get("on") else None,
                    )
                    for r in row.reported_to
                ),
                source=row.source,
                source_id=row.source_id,
                people=tuple(
                    PersonRecord(p.id, p.role, p.sealed, as_utc(p.erased_at)) for p in people
                ),
                allegations=tuple(Allegation.from_row(a) for a in allegations),
            )
