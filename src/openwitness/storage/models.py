"""Table definitions. Changes here need a new Alembic revision in ``migrations/versions``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class LogHead(Base):
    """The single row whose lock serialises appends across processes and servers."""

    __tablename__ = "log_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)


class LogEntry(Base):
    """An entry's exact bytes: the log is the only source of what was committed to."""

    __tablename__ = "log_entry"
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class LogNode(Base):
    """Hash of the perfect subtree covering leaves [idx << level, (idx + 1) << level).

    Storing every such node (about 2n rows) makes any proof or tile a handful of reads.
    """

    __tablename__ = "log_node"
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)


class Checkpoint(Base):
    """Every signed checkpoint the log has issued, so each can be shown and proven against."""

    __tablename__ = "log_checkpoint"
    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    note: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class Evidence(Base):
    """A stored file: what the vault knows about it beyond the public log entry."""

    __tablename__ = "evidence"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    media_type: Mapped[str] = mapped_column(String(100), nullable=False)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    log_index: Mapped[int] = mapped_column(BigInteger, nullable=False, unique=True)
    media_metadata: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)


class Force(Base):
    """A police force or department; ids are stable slugs (see ``openwitness.cases.forces``)."""

    __tablename__ = "force"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    country: Mapped[str] = mapped_column(String(2), nullable=False)
    jurisdiction: Mapped[str] = mapped_column(String(32), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)


class Organisation(Base):
    """A group that works cases together (a law centre, a civil-liberties group)."""

    __tablename__ = "organisation"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)


class Account(Base):
    __tablename__ = "account"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    password_hash: Mapped[str] = mapped_column(String(200), nullable=False)  # argon2id
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    organisation_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("organisation.id"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    disabled: Mapped[bool] = mapped_column(nullable=False, default=False)


class ApiToken(Base):
    """A bearer token: only its SHA-256 is stored, so a database leak yields no usable token."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("account.id"), nullable=False, index=True
    )
    token_sha256: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    label: Mapped[str] = mapped_column(String(100), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Officer(Base):
    """One officer, possibly known only by force and collar number until identified."""

    __tablename__ = "officer"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    force_id: Mapped[str] = mapped_column(String(64), ForeignKey("force.id"), nullable=False)
    merged_into: Mapped[int | None] = mapped_column(Integer, ForeignKey("officer.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    source: Mapped[str | None] = mapped_column(String(32))  # e.g. "cpdp" for imported records
    source_id: Mapped[str | None] = mapped_column(String(64))
    #: what a source says about the officer beyond identifiers (appointed date, status, …)
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class OfficerIdentifier(Base):
    """A name, collar number, warrant number, rank, unit, alias or force over a period.

    Numbers and postings change, so an officer's identity is the history of these, never one
    overwritten value; ``valid_to`` is set when a newer value of the same kind replaces it.
    """

    __tablename__ = "officer_identifier"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    officer_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("officer.id"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    value: Mapped[str] = mapped_column(String(200), nullable=False)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(64), nullable=False)


class ChangeRecord(Base):
    """Append-only history of every change to a record: who, when, before and after."""

    __tablename__ = "change_record"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(32), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(64), nullable=False)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    actor: Mapped[str] = mapped_column(String(64), nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Incident(Base):
    """A police encounter: when, where, what kind, what happened."""

    __tablename__ = "incident"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    force_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("force.id"), nullable=False, index=True
    )
    # None only for imported records that never gave one (31 of Chicago's 181,412)
    occurred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    place: Mapped[str] = mapped_column(String(300), nullable=False)
    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()
    encounter_type: Mapped[str] = mapped_column(String(32), nullable=False)
    narrative: Mapped[str] = mapped_column(Text, nullable=False)
    organisation_id: Mapped[str | None] = mapped_column(String(64), ForeignKey("organisation.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class IncidentEvidence(Base):
    __tablename__ = "incident_evidence"
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("evidence.sha256"), primary_key=True)


class IncidentOfficer(Base):
    __tablename__ = "incident_officer"
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officer.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(100), nullable=False)


class Complaint(Base):
    """A report about an incident: who reported it, to whom else, and the references given.

    Anonymous and pseudonymous reporters follow their report with a secret token, of which
    only the SHA-256 is stored. Imported public records keep their source and source id.
    """

    __tablename__ = "complaint"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), nullable=False, index=True)
    #: the incident's force, copied here so listings filter and sort on one table's index
    force_id: Mapped[str] = mapped_column(String(64), ForeignKey("force.id"), nullable=False)
    organisation_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("organisation.id"), index=True
    )
    reporter_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    pseudonym: Mapped[str | None] = mapped_column(String(100))
    follow_up_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: None only for imported records that give no date (86 of New York's)
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: what listings sort and filter by: when received, else (imports) when it happened
    dated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # indexed newest first, alone and after force_id (see migration 0006)
    reported_to: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    source: Mapped[str | None] = mapped_column(String(32))
    source_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class Person(Base):
    """A complainant or witness. Everything that identifies them is sealed (AES-256-GCM).

    Erasure, where the law requires it, drops the sealed details and keeps the row, so the
    case still shows that someone was involved.
    """

    __tablename__ = "person"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaint.id"), nullable=False, index=True
    )
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class Allegation(Base):
    """One allegation against one officer (or an unidentified one) and how it is handled.

    The recommended and final findings and results are separate columns; every change to
    them is also in ``change_record``. Open allegations carry the next action and its due date.
    """

    __tablename__ = "allegation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaint.id"), nullable=False, index=True
    )
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officer.id"), index=True)
    category: Mapped[str | None] = mapped_column(String(80), index=True)
    status: Mapped[str] = mapped_column(String(24), nullable=False)
    handling: Mapped[str | None] = mapped_column(String(24))
    recommended_finding: Mapped[str | None] = mapped_column(String(40))
    final_finding: Mapped[str | None] = mapped_column(String(40))
    recommended_result: Mapped[str | None] = mapped_column(String(40))
    final_result: Mapped[str | None] = mapped_column(String(40))
    recommended_on: Mapped[date | None] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    outcome_notified_on: Mapped[date | None] = mapped_column(Date)
    review_requested_on: Mapped[date | None] = mapped_column(Date)
    review_outcome: Mapped[str | None] = mapped_column(String(200))
    next_action: Mapped[str | None] = mapped_column(String(300))
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    source: Mapped[str | None] = mapped_column(String(32))
    source_id: Mapped[str | None] = mapped_column(String(64))
    source_detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class WebSession(Base):
    """A browser's signed-in session: only the cookie's SHA-256 is stored."""

    __tablename__ = "web_session"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_sha256: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: the last request made with it (to the minute), for the idle timeout
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OfficerPhoto(Base):
    """A photo of an officer: an image in the vault (so it is in the public log too)."""

    __tablename__ = "officer_photo"
    officer_id: Mapped[int] = mapped_column(ForeignKey("officer.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("evidence.sha256"), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    added_by: Mapped[str] = mapped_column(String(64), nullable=False)


class EvidenceCustody(Base):
    """An organisation that holds a vault item because one of its accounts lodged it (or
    linked it with a claim). Holding an item, not knowing its public hash, lets an
    organisation link it and see it; items in an organisation's cases are held too."""

    __tablename__ = "evidence_custody"
    sha256: Mapped[str] = mapped_column(ForeignKey("evidence.sha256"), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class EvidenceClaim(Base):
    """A one-time proof that the bearer uploaded a vault item (only its SHA-256 is stored):
    how an anonymous reporter's upload is tied to their report."""

    __tablename__ = "evidence_claim"
    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("evidence.sha256"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class LiveRecording(Base):
    """A recording streamed while it is made (``openwitness.live``). Its id is public (it is in
    every chunk's log entry); the tokens that let anyone act on it are kept only as digests,
    and the trusted contact's address not at all."""

    __tablename__ = "live_recording"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    follow_token_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    audio_only: Mapped[bool] = mapped_column(Boolean, nullable=False)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    #: the chain's head: how many chunks are logged, the last one's hash and when it came
    chunks: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    last_sha256: Mapped[str | None] = mapped_column(String(64))
    last_chunk_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: milliseconds of recording up to the end of the last logged chunk, as the recorder said
    logged_ms: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    media_type: Mapped[str | None] = mapped_column(String(100))
    #: where the walk over the container's structure stands after the last chunk
    #: (``openwitness.live.stream``)
    stream_state: Mapped[str | None] = mapped_column(String(200))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    whole_sha256: Mapped[str | None] = mapped_column(ForeignKey("evidence.sha256"))
    #: whether a trusted contact was to be told: "sending", "sent" or "failed" (the address
    #: itself is used once to send the link and never kept)
    contact_state: Mapped[str | None] = mapped_column(String(10))


class LiveChunk(Base):
    """One logged chunk of a live recording; its bytes are in the blob store by ``sha256``."""

    __tablename__ = "live_chunk"
    recording_id: Mapped[str] = mapped_column(ForeignKey("live_recording.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    log_index: Mapped[int] = mapped_column(BigInteger, nullable=False, unique=True)
    end_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)


class PatternModel(Base):
    """A trained early-warning model and the rolling evaluation run with it, stored together
    so every flag can name the model and the figures it was judged by (``openwitness.patterns``).
    """

    __tablename__ = "pattern_model"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    label: Mapped[str] = mapped_column(String(16), nullable=False)  # any or sustained
    trained_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    trained_by: Mapped[str] = mapped_column(String(64), nullable=False)
    #: the last day of the records it was trained on, and their generation then
    records_to: Mapped[date] = mapped_column(Date, nullable=False)
    records_generation: Mapped[str] = mapped_column(String(100), nullable=False)
    seed: Mapped[int] = mapped_column(Integer, nullable=False)
    #: versions of OpenWitness and scikit-learn that wrote ``model``
    software: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    features: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    evaluation: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    model: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    model_sha256: Mapped[str] = mapped_column(String(64), nullable=False)


class PatternRun(Base):
    """One scoring of every officer by a model, as the records stood (their generation)."""

    __tablename__ = "pattern_run"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[int] = mapped_column(
        ForeignKey("pattern_model.id"), nullable=False, index=True
    )
    records_generation: Mapped[str] = mapped_column(String(100), nullable=False)
    as_of: Mapped[date] = mapped_column(Date, nullable=False)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    population: Mapped[int] = mapped_column(Integer, nullable=False)
    flagged: Mapped[int] = mapped_column(Integer, nullable=False)


class PatternScore(Base):
    """An officer in a run: their score (when in the population), their place in the flags
    (when flagged) with the facts behind it, and their peer percentiles."""

    __tablename__ = "pattern_score"
    run_id: Mapped[int] = mapped_column(ForeignKey("pattern_run.id"), primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officer.id"), primary_key=True)
    score: Mapped[float | None] = mapped_column(Float)
    flag_rank: Mapped[int | None] = mapped_column(Integer)
    percentiles: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    facts: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
