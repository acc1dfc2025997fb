"""Tables of conduct screening (``openwitness.screening``): exports lodged in the vault, their
participants (sealed: names and numbers are personal data), messages with their scores, the
media found in them, and reviewers' decisions (append-only).

Changes here need a new Alembic revision in ``migrations/versions``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from openwitness.storage.models import Base


class ScreeningExport(Base):
    """One chat export as lodged: the file itself is a vault item (``sha256``), so it is in
    the public log and has a receipt; everything else here is read from it."""

    __tablename__ = "screening_export"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("evidence.sha256"), nullable=False)
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id"))
    file_name: Mapped[str] = mapped_column(String(300), nullable=False)
    format: Mapped[str] = mapped_column(String(16), nullable=False)  # whatsapp or telegram
    container: Mapped[str] = mapped_column(String(8), nullable=False)  # txt, zip or json
    notes: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    lodged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    lodged_by: Mapped[str] = mapped_column(String(64), nullable=False)
    #: the classifier that scored it: its file's SHA-256 and thresholds
    model: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    messages: Mapped[int] = mapped_column(Integer, nullable=False)
    flagged: Mapped[int] = mapped_column(Integer, nullable=False)


class ScreeningParticipant(Base):
    """A name or number as the export wrote it, sealed; messages refer to its number."""

    __tablename__ = "screening_participant"
    export_id: Mapped[int] = mapped_column(ForeignKey("screening_export.id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    sealed_name: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class ScreeningMessage(Base):
    """A line of the chat in file order, with its scores when a person wrote it."""

    __tablename__ = "screening_message"
    export_id: Mapped[int] = mapped_column(ForeignKey("screening_export.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    time: Mapped[str] = mapped_column(String(19), nullable=False)
    participant: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    chat: Mapped[str | None] = mapped_column(String(300))
    score: Mapped[float | None] = mapped_column(Float, index=True)
    scores: Mapped[dict[str, float] | None] = mapped_column(JSON)
    flagged: Mapped[list[str] | None] = mapped_column(JSON)
    by_context: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    #: the vault item of the media this message sent, when the zip held it
    attachment_sha256: Mapped[str | None] = mapped_column(ForeignKey("evidence.sha256"))


class ScreeningAttachment(Base):
    """A member of an export zip lodged in the vault (photos, videos, voice notes, nested
    zips kept whole) and, for images, its perceptual hashes."""

    __tablename__ = "screening_attachment"
    export_id: Mapped[int] = mapped_column(ForeignKey("screening_export.id"), primary_key=True)
    member: Mapped[str] = mapped_column(String(500), primary_key=True)
    sha256: Mapped[str | None] = mapped_column(ForeignKey("evidence.sha256"))
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    #: why a member was not lodged (a type the vault does not keep), else None
    not_lodged: Mapped[str | None] = mapped_column(String(200))
    phash: Mapped[str | None] = mapped_column(String(16), index=True)
    dhash: Mapped[str | None] = mapped_column(String(16))


class ScreeningDecision(Base):
    """A reviewer's decision on a message; never updated or deleted: the latest counts, the
    rest is the history."""

    __tablename__ = "screening_decision"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    export_id: Mapped[int] = mapped_column(
        ForeignKey("screening_export.id"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    decision: Mapped[str] = mapped_column(String(16), nullable=False)  # confirmed or dismissed
    note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    decided_by: Mapped[str] = mapped_column(String(64), nullable=False)
