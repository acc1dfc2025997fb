"""Tables of openwitness.witnessing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, LargeBinary, String, Text
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
