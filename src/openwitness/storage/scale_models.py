"""Tables of openwitness.witnessing, openwitness.jobs and evidence previews (the parts for more
than one machine and background work)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openwitness.storage.models import Base


class WitnessedLog(Base):
    """Per log this server witnesses: the latest checkpoint it cosigned. Never goes back."""

    __tablename__ = "witnessed_log"
    origin: Mapped[str] = mapped_column(String(300), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    checkpoint: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class LogWitnessState(Base):
    """Per witness of this log: the tree size it last cosigned (the next request's old size)."""

    __tablename__ = "log_witness_state"
    witness: Mapped[str] = mapped_column(String(300), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)


class Job(Base):
    """A background job (openwitness.jobs): its request, progress and outcome."""

    __tablename__ = "job"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    args: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False)
    done: Mapped[int] = mapped_column(Integer, nullable=False)
    total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class EvidencePreview(Base):
    """A vault item's thumbnail (JPEG, no metadata) and perceptual hash, made by a job.

    ``state`` is ``made``, ``none`` (a kind of file with no picture: audio, PDF, chat export)
    or ``failed`` (``note`` says why); no row yet means the job has not run.
    """

    __tablename__ = "evidence_preview"
    sha256: Mapped[str] = mapped_column(String(64), ForeignKey("evidence.sha256"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    thumbnail: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    phash: Mapped[str | None] = mapped_column(String(16), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    made_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
