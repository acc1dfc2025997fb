"""The shapes in which cases, allegations and outcomes arrive, as JSON from the API or a file
given to the CLI: one definition, so both interfaces accept exactly the same thing."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from openwitness.cases.allegations import NewAllegation
from openwitness.cases.complaints import NewCase, NewPerson, ReportedTo
from openwitness.cases.incidents import NewIncident
from openwitness.core.errors import InvalidRequestError

#: Record ids are 32-bit integers in both databases; larger numbers are refused up front.
MAX_ID = 2**31 - 1
RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]
#: Every free-text field is bounded, so a body cannot smuggle megabytes into the database.
Short = Annotated[str, Field(max_length=200)]
Note = Annotated[str, Field(max_length=5_000)]
#: about 30 printed pages: a long account of what happened, not a dump
MAX_NARRATIVE = 50_000
Sha256 = Annotated[str, Field(min_length=64, max_length=64, pattern="^[0-9a-fA-F]{64}$")]
Claim = Annotated[str, Field(min_length=1, max_length=100)]
#: files in one case or report (the report page allows as many)
MAX_EVIDENCE = 50
#: Dates a record may hold or a filter may name. Beyond them date arithmetic overflows
#: (9999-12-31 plus a day) and the databases disagree, so they are refused at the edge.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2100, 12, 31)
DAY_RANGE = f"a date from {EARLIEST_DAY.isoformat()} to {LATEST_DAY.isoformat()}"
Day = Annotated[date, Field(ge=EARLIEST_DAY, le=LATEST_DAY)]


def check_day(name: str, value: date | None) -> date | None:
    """``value`` if it is in the range records may hold; otherwise an error naming ``name``."""
    if value is not None and not EARLIEST_DAY <= value <= LATEST_DAY:
        raise InvalidRequestError(f"{name}: {DAY_RANGE}")
    return value


def _in_range(value: datetime) -> datetime:
    if not EARLIEST_DAY <= value.date() <= LATEST_DAY:
        raise ValueError(f"a time from {EARLIEST_DAY.isoformat()} to {LATEST_DAY.isoformat()}")
    return value


Moment = Annotated[datetime, AfterValidator(_in_range)]


def has_nul(value: Any) -> bool:
    """Whether ``value`` (or a string in a list of them) holds a NUL character."""
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return isinstance(value, str) and "\x00" in value


class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        """PostgreSQL's text cannot hold NUL: refused here, naming the field, not a 500."""
        if has_nul(value):
            raise ValueError("text cannot contain the NUL character")
        return value


class OfficerInIncident(_Form):
    officer: RecordId
    role: str = Field(default="involved", max_length=100)


class ReportedToForm(_Form):
    body: str = Field(description="force-psd, iopc, pirc, poni or other", max_length=32)
    reference: Short | None = Field(default=None, description="The reference number they gave")
    on: Day | None = None


class PersonForm(_Form):
    role: str = Field(description="complainant or witness", max_length=32)
    name: Short | None = None
    email: Short | None = None
    phone: Short | None = None
    address: Note | None = None
    date_of_birth: Short | None = None
    ethnicity: Short | None = None
    gender: Short | None = None
    notes: Note | None = None

    def to_new(self) -> NewPerson:
        return NewPerson(self.role, self.model_dump(exclude={"role"}, exclude_none=True))


class AllegationForm(_Form):
    officer: RecordId | None = Field(default=None, description="Officer id; omit if unidentified")
    category: Short | None = Field(default=None, description="Taxonomy id (GET /api/v1/taxonomy)")
    next_action: Note | None = None
    due_on: Day | None = Field(default=None, description="Default: 14 days after receipt")

    def to_new(self) -> NewAllegation:
        return NewAllegation(self.officer, self.category, self.next_action, self.due_on)


class IncidentForm(_Form):
    force: Short
    occurred_at: Moment = Field(description="With a time zone, e.g. 2025-06-01T14:30:00+01:00")
    place: str = Field(max_length=300)
    encounter_type: Short
    narrative: str = Field(max_length=MAX_NARRATIVE)
    latitude: float | None = None
    longitude: float | None = None
    evidence: list[Sha256] = Field(
        default_factory=list, max_length=MAX_EVIDENCE, description="sha256 of vault items"
    )
    evidence_claims: list[Claim] = Field(
        default_factory=list,
        max_length=MAX_EVIDENCE,
        description="The claim given with each upload (POST /api/v1/evidence): a hash is "
        "public, so linking an item needs its claim unless your organisation holds it",
    )

    def to_new(self, officers: tuple[tuple[int, str], ...] = ()) -> NewIncident:
        return NewIncident(
            self.force,
            self.occurred_at,
            self.place,
            self.encounter_type,
            self.narrative,
            self.latitude,
            self.longitude,
            tuple(self.evidence),
            officers,
        )


class IncidentWithOfficersForm(IncidentForm):
    officers: list[OfficerInIncident] = Field(default_factory=list, max_length=100)

    def to_new_incident(self) -> NewIncident:
        return self.to_new(tuple((o.officer, o.role) for o in self.officers))


class CaseForm(IncidentWithOfficersForm):
    reporter_kind: str = Field(
        default="named", description="named, pseudonymous or anonymous", max_length=32
    )
    pseudonym: Short | None = None
    received_at: Moment | None = Field(default=None, description="Default: now")
    reported_to: list[ReportedToForm] = Field(default_factory=list, max_length=10)
    people: list[PersonForm] = Field(default_factory=list, max_length=50)
    allegations: list[AllegationForm] = Field(default_factory=list, max_length=200)

    def to_new_case(self) -> NewCase:
        return NewCase(
            incident=self.to_new_incident(),
            reporter_kind=self.reporter_kind,
            pseudonym=self.pseudonym,
            reported_to=tuple(ReportedTo(r.body, r.reference, r.on) for r in self.reported_to),
            people=tuple(p.to_new() for p in self.people),
            allegations=tuple(a.to_new() for a in self.allegations),
            received_at=self.received_at,
        )


class ReportForm(IncidentForm):
    """What a member of the public sends, with or without an account: no officer ids, no
    allegations (caseworkers record those when they assess the report)."""

    reporter_kind: str = Field(
        default="anonymous", description="named, pseudonymous, anonymous", max_length=32
    )
    pseudonym: Short | None = None
    reported_to: list[ReportedToForm] = Field(default_factory=list, max_length=10)
    people: list[PersonForm] = Field(default_factory=list, max_length=10)
    officer_description: str | None = Field(
        default=None, max_length=500, description="Collar numbers, descriptions, vehicles"
    )

    def to_new_case(self) -> NewCase:
        narrative = self.narrative
        if self.officer_description:
            narrative += f"\n\nOfficers: {self.officer_description}"
        incident = self.model_copy(update={"narrative": narrative}).to_new()
        return NewCase(
            incident=incident,
            reporter_kind=self.reporter_kind,
            pseudonym=self.pseudonym,
            reported_to=tuple(ReportedTo(r.body, r.reference, r.on) for r in self.reported_to),
            people=tuple(p.to_new() for p in self.people),
            allegations=(
                NewAllegation(next_action="assess the report and record its allegations"),
            ),
        )


class OutcomeForm(_Form):
    """A change to an allegation; fields left out stay as they are, null clears one."""

    officer: RecordId | None = None
    category: Short | None = None
    status: Short | None = Field(
        default=None, description="received, assessed, under-investigation or closed"
    )
    handling: Short | None = Field(
        default=None, description="outside-schedule-3, schedule-3 or referred-to-iopc"
    )
    recommended_finding: Short | None = None
    final_finding: Short | None = None
    recommended_result: Short | None = None
    final_result: Short | None = None
    recommended_on: Day | None = None
    decided_on: Day | None = None
    closed_on: Day | None = None
    outcome_notified_on: Day | None = Field(
        default=None, description="Starts the 28 days in which the complainant may ask for a review"
    )
    review_requested_on: Day | None = None
    review_outcome: Note | None = None
    next_action: Note | None = None
    due_on: Day | None = None

    def changes(self) -> dict[str, Any]:
        given = self.model_dump(exclude_unset=True)
        if "officer" in given:
            given["officer_id"] = given.pop("officer")
        return given
