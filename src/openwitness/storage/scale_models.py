"""Tables of openwitness.witnessing and openwitness.jobs (the parts for more than one machine)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, LargeBinary, String, Text
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
