"""Incidents: the police encounters that reports and allegations are about.

Narratives and places can identify the people involved, so :meth:`Incident.de_identified` is
what analysts get: force, encounter type, the month, the officers and evidence hashes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from openwitness.cases.history import record_change
from openwitness.core.clock import as_utc, iso
from openwitness.core.errors import InvalidRequestError, NotFoundError
from openwitness.evidence.custody import Entitlement, check_may_link
from openwitness.storage.db import Database
from openwitness.storage.models import Force as ForceRow
from openwitness.storage.models import Incident as IncidentRow
from openwitness.storage.models import IncidentEvidence, IncidentOfficer
from openwitness.storage.models import Officer as OfficerRow

ENCOUNTER_TYPES = (
    "stop-and-search",
    "stop-and-account",
    "arrest",
    "protest-policing",
    "traffic-stop",
    "home-visit",
    "custody",
    "online",
    "other",
)


@dataclass(frozen=True)
class Incident:
    id: int
    force_id: str
    occurred_at: datetime | None
    place: str
    latitude: float | None
    longitude: float | None
    encounter_type: str
    narrative: str
    organisation_id: str | None
    evidence: tuple[str, ...]
    officers: tuple[tuple[int, str], ...]  # (officer id, role in the incident)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.de_identified(),
            "occurred_at": iso(self.occurred_at),
            "place": self.place,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "narrative": self.narrative,
            "organisation": self.organisation_id,
            "officers": [{"officer": o, "role": r} for o, r in self.officers],
        }

    def de_identified(self) -> dict[str, Any]:
        """No narrative, place, exact time or position, and no officer's role in it (free text
        a caseworker wrote, which may name people): only what patterns need."""
        return {
            "id": self.id,
            "force": self.force_id,
            "month": self.occurred_at.strftime("%Y-%m") if self.occurred_at else None,
            "encounter_type": self.encounter_type,
            "evidence": list(self.evidence),
            "officers": [{"officer": o} for o, _ in self.officers],
        }


@dataclass(frozen=True)
class NewIncident:
    force_id: str
    occurred_at: datetime
    place: str
    encounter_type: str
    narrative: str
    latitude: float | None = None
    longitude: float | None = None
    evidence: tuple[str, ...] = ()
    officers: tuple[tuple[int, str], ...] = ()


def _validate(new: NewIncident) -> datetime:
    occurred = new.occurred_at
    if occurred.tzinfo is None:
        raise InvalidRequestError("occurred_at: give a time zone (e.g. 2025-06-01T14:30:00+01:00)")
    if occurred > datetime.now(UTC):
        raise InvalidRequestError("occurred_at: the time is in the future")
    if new.encounter_type not in ENCOUNTER_TYPES:
        raise InvalidRequestError(f"encounter_type: one of {', '.join(ENCOUNTER_TYPES)}")
    if not new.place.strip() or len(new.place) > 300:
        raise InvalidRequestError("place: 1 to 300 characters")
    if not new.narrative.strip():
        raise InvalidRequestError("narrative: say what happened")
    if (new.latitude is None) != (new.longitude is None):
        raise InvalidRequestError("latitude/longitude: give both or neither")
    if new.latitude is not None and not (-90 <= new.latitude <= 90):
        raise InvalidRequestError("latitude: must be between -90 and 90")
    if new.longitude is not None and not (-180 <= new.longitude <= 180):
        raise InvalidRequestError("longitude: must be between -180 and 180")
    return occurred.astimezone(UTC)  # stored as UTC: SQLite keeps no offset


def insert_incident(
    conn: Connection, new: NewIncident, actor: str, organisation_id: str | None, who: Entitlement
) -> int:
    """Validate and insert an incident in the caller's transaction; returns its id.

    ``who`` is the one linking the evidence: they must be entitled to every item (see
    :mod:`openwitness.evidence.custody`), whatever organisation the incident goes to."""
    occurred = _validate(new)
    if not conn.execute(select(ForceRow.id).where(ForceRow.id == new.force_id)).first():
        raise InvalidRequestError(f"force: unknown force {new.force_id!r}")
    check_may_link(conn, "evidence", new.evidence, who, handed_to=organisation_id)
    for officer_id, _ in new.officers:
        if not conn.execute(select(OfficerRow.id).where(OfficerRow.id == officer_id)).first():
            raise InvalidRequestError(f"officers: no officer {officer_id}")
    incident_id: int = conn.execute(
        insert(IncidentRow)
        .values(
            force_id=new.force_id,
            occurred_at=occurred,
            place=new.place.strip(),
            latitude=new.latitude,
            longitude=new.longitude,
            encounter_type=new.encounter_type,
            narrative=new.narrative.strip(),
            organisation_id=organisation_id,
            created_at=datetime.now(UTC),
        )
        .returning(IncidentRow.id)
    ).scalar_one()
    for sha256 in dict.fromkeys(new.evidence):
        conn.execute(insert(IncidentEvidence).values(incident_id=incident_id, sha256=sha256))
    for officer_id, role in dict(new.officers).items():
        conn.execute(
            insert(IncidentOfficer).values(
                incident_id=incident_id, officer_id=officer_id, role=role[:100]
            )
        )
    record_change(conn, "incident", incident_id, "create", actor, None, {"id": incident_id})
    return incident_id


class Incidents:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add(
        self, new: NewIncident, actor: str, organisation_id: str | None, who: Entitlement
    ) -> Incident:
        with self.db.write() as conn:
            incident_id = insert_incident(conn, new, actor, organisation_id, who)
        return self.get(incident_id)

    def get(self, incident_id: int) -> Incident:
        with self.db.read() as conn:
            row = conn.execute(select(IncidentRow).where(IncidentRow.id == incident_id)).first()
            if row is None:
                raise NotFoundError(f"no incident {incident_id}")
            evidence = conn.execute(
                select(IncidentEvidence.sha256).where(IncidentEvidence.incident_id == incident_id)
            ).scalars()
            officers = conn.execute(
                select(IncidentOfficer.officer_id, IncidentOfficer.role)
                .where(IncidentOfficer.incident_id == incident_id)
                .order_by(IncidentOfficer.officer_id)
            )
            return Incident(
                row.id, row.force_id, as_utc(row.occurred_at), row.place,
                row.latitude, row.longitude,
                row.encounter_type, row.narrative, row.organisation_id,
                tuple(sorted(evidence)), tuple((o.officer_id, o.role) for o in officers),
            )  # fmt: skip
