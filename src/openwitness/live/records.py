"""What the live service hands back: a started recording, its status, a logged chunk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openwitness.core.clock import as_utc, iso
from openwitness.ledger.receipt import Receipt


@dataclass(frozen=True)
class StartedRecording:
    id: str
    token: str  # shown once, to the recorder
    follow_token: str | None  # sent once, to the trusted contact


@dataclass(frozen=True)
class RecordingStatus:
    id: str
    state: str  # "recording", "cut_short" or "finished"
    chunks: int
    size: int
    logged_ms: int
    media_type: str | None
    audio_only: bool
    started_at: datetime
    last_chunk_at: datetime | None
    finished_at: datetime | None
    whole_sha256: str | None
    contact: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "recording": self.id,
            "state": self.state,
            "chunks": self.chunks,
            "size": self.size,
            "logged_seconds": round(self.logged_ms / 1000, 1),
            "media_type": self.media_type,
            "audio_only": self.audio_only,
            "started_at": iso(self.started_at),
            "last_chunk_at": iso(self.last_chunk_at),
            "finished_at": iso(self.finished_at),
            "whole_sha256": self.whole_sha256,
            "contact": self.contact,
        }


@dataclass(frozen=True)
class ChunkResult:
    seq: int
    sha256: str
    size: int
    log_index: int
    created: bool  # False: the same chunk was sent again (a retry); its first entry stands
    receipt: Receipt
    status: RecordingStatus


@dataclass(frozen=True)
class LoggedChunk:
    seq: int
    sha256: str
    size: int
    received_at: datetime
    log_index: int
    end_ms: int


def logged_chunk(row: Any) -> LoggedChunk:
    received_at = as_utc(row.received_at)
    assert received_at is not None  # the column is NOT NULL
    return LoggedChunk(row.seq, row.sha256, row.size, received_at, row.log_index, row.end_ms)
