"""Live recordings: each few seconds of a recording is stored and logged as it arrives.

A phone that is seized or wiped mid-recording loses nothing the server already has: every
chunk is its own log entry (``kind = "live-chunk"``, ``docs/log-entries.md``), chained to the
chunk before it by SHA-256, so a missing or reordered chunk shows in the log itself. The chain
is checked under the log's lock, in the same transaction as the append, so two requests for
one recording can never log a fork. When the recording ends, the chunks put end to end are the
whole file, lodged as an ordinary vault item.

Knowing a recording's id (it is public, in every chunk's entry) grants nothing: the recorder
holds a write token and a trusted contact a follow token, both kept here only as digests.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from sqlalchemy import Connection, insert, select, update

from openwitness.core.clock import as_utc, now
from openwitness.core.errors import (
    ConflictError,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
)
from openwitness.evidence.blobstore import StagingFile, UploadTooLarge
from openwitness.evidence.service import (
    CHUNK_SIZE,
    EmptyFile,
    FileTooLarge,
    HashMismatch,
    IngestResult,
    UnsupportedMediaType,
    Vault,
    check_sha256,
)
from openwitness.evidence.sniff import ALLOWED_MEDIA_TYPES, sniff_media_type
from openwitness.ledger.entry import MAX_SEQ, LiveChunkEntry, is_recording_id
from openwitness.live.records import (
    ChunkResult,
    LoggedChunk,
    RecordingStatus,
    StartedRecording,
    logged_chunk,
)
from openwitness.live.stream import StreamState, advance, check_continuation
from openwitness.storage.db import Database
from openwitness.storage.models import LiveChunk, LiveRecording

WRITE_TOKEN_PREFIX = "owl_"  # noqa: S105  (a prefix, not a secret)
FOLLOW_TOKEN_PREFIX = "owf_"  # noqa: S105
#: a chunk's bytes: a few seconds of phone video is about 1 MB, so this leaves a wide margin
DEFAULT_CHUNK_MAX_BYTES = 16 * 1024 * 1024
#: with no chunk for this long, an unfinished recording is shown as cut short
DEFAULT_IDLE_SECONDS = 120
#: the recorder's clock, as it says how far the recording is: ten hours at most
MAX_END_MS = 10 * 3600 * 1000


class RecordingFinished(ConflictError):
    """The recording was ended: nothing more can be added to it."""


class ChunkOutOfOrder(ConflictError):
    """A chunk that is not the next one: the log keeps the chain in order."""

    def __init__(self, message: str, expected: int) -> None:
        super().__init__(message)
        self.expected = expected


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class LiveRecordings:
    def __init__(
        self,
        db: Database,
        vault: Vault,
        chunk_max_bytes: int = DEFAULT_CHUNK_MAX_BYTES,
        idle_seconds: int = DEFAULT_IDLE_SECONDS,
    ) -> None:
        self.db = db
        self.vault = vault
        self.chunk_max_bytes = chunk_max_bytes
        self.idle = timedelta(seconds=idle_seconds)

    # -- starting and access -----------------------------------------------------------

    def start(self, audio_only: bool = False, follow: bool = False) -> StartedRecording:
        """A new recording, with the recorder's token (and a follow token for a contact)."""
        started = StartedRecording(
            secrets.token_hex(16),
            WRITE_TOKEN_PREFIX + secrets.token_urlsafe(32),
            FOLLOW_TOKEN_PREFIX + secrets.token_urlsafe(32) if follow else None,
        )
        with self.db.write() as conn:
            conn.execute(
                insert(LiveRecording).values(
                    id=started.id,
                    token_sha256=_digest(started.token),
                    follow_token_sha256=(
                        _digest(started.follow_token) if started.follow_token else None
                    ),
                    audio_only=audio_only,
                    started_at=now(),
                    chunks=0,
                    size=0,
                    logged_ms=0,
                    contact_state="sending" if follow else None,
                )
            )
        return started

    def _authorised(self, conn: Connection, recording_id: str, token: str | None) -> Any:
        """The recording's row, if ``token`` is its write token; knowing the id is not enough."""
        if not is_recording_id(recording_id):
            raise NotFoundError("no live recording with that id")
        row = conn.execute(select(LiveRecording).where(LiveRecording.id == recording_id)).first()
        if row is None:
            raise NotFoundError("no live recording with that id")
        if not token or not hmac.compare_digest(row.token_sha256, _digest(token)):
            raise ForbiddenError("this recording's token is missing or wrong")
        return row

    def recording_for_follow(self, follow_token: str) -> str:
        """The id of the recording a trusted contact's link follows."""
        if not follow_token.startswith(FOLLOW_TOKEN_PREFIX) or len(follow_token) > 100:
            raise NotFoundError("this link does not follow any recording")
        with self.db.read() as conn:
            found = conn.execute(
                select(LiveRecording.id).where(
                    LiveRecording.follow_token_sha256 == _digest(follow_token)
                )
            ).scalar_one_or_none()
        if found is None:
            raise NotFoundError("this link does not follow any recording")
        return str(found)

    def contact_result(self, recording_id: str, sent: bool) -> None:
        with self.db.write() as conn:
            conn.execute(
                update(LiveRecording)
                .where(LiveRecording.id == recording_id)
                .values(contact_state="sent" if sent else "failed")
            )

    # -- chunks ------------------------------------------------------------------------

    def add_chunk(
        self,
        recording_id: str,
        token: str | None,
        seq: int,
        prev_sha256: str | None,
        expected_sha256: str,
        end_ms: int,
        source: BinaryIO | Iterator[bytes],
    ) -> ChunkResult:
        """Store and log one chunk; the same chunk sent again answers with its first receipt.

        Refused, with nothing logged: a chunk that is not the next one, names another previous
        chunk (another recording's, say), has bytes other than the ones the recorder hashed,
        is over the size limit, or is not the recording's media."""
        expected_sha256 = check_sha256(expected_sha256)
        if prev_sha256 is not None:
            prev_sha256 = check_sha256(prev_sha256)
        if not 0 <= seq <= MAX_SEQ:
            raise InvalidRequestError(f"chunk numbers run from 0 to {MAX_SEQ}")
        if not 0 <= end_ms <= MAX_END_MS:
            raise InvalidRequestError("the chunk's end time is not a time within a recording")
        with self.db.read() as conn:
            row = self._authorised(conn, recording_id, token)
            if seq < row.chunks:
                logged = self._chunk(conn, recording_id, seq)
                if logged.sha256 == expected_sha256:  # a retry whose answer was lost
                    return self._result(recording_id, logged, created=False)
                raise ConflictError(
                    f"chunk {seq} is already logged with other bytes: a recording's chunks "
                    "cannot be replaced"
                )
            self._check_next(row, seq, prev_sha256)
        with self.vault.upload() as staged:
            self._read_into(staged, source, seq)
            media_type, stream_state = self._check_media(row, seq, staged)
            sha256 = staged.finish()
            if sha256 != expected_sha256:
                raise HashMismatch(
                    f"the bytes received for chunk {seq} (SHA-256 {sha256[:12]}…) are not the "
                    f"ones you hashed ({expected_sha256[:12]}…): nothing was logged; send it again"
                )
            received_at = now().replace(microsecond=0)
            entry = LiveChunkEntry(
                recording_id, seq, prev_sha256, sha256, staged.size, media_type, received_at
            )
            result = self.vault.log_staged(
                staged,
                entry.to_bytes(),
                lambda conn: self._still_next(conn, recording_id, seq, prev_sha256, sha256),
                lambda conn, index: self._record_chunk(
                    conn,
                    recording_id,
                    seq,
                    staged,
                    (media_type, stream_state),
                    received_at,
                    index,
                    end_ms,
                ),
            )
        with self.db.read() as conn:
            logged = self._chunk(conn, recording_id, seq)
        return self._result(recording_id, logged, result.created)

    def _read_into(self, staged: StagingFile, source: BinaryIO | Iterator[bytes], seq: int) -> None:
        chunks = iter(lambda: source.read(CHUNK_SIZE), b"") if hasattr(source, "read") else source
        try:
            for data in chunks:
                staged.write(data)
                if staged.size > self.chunk_max_bytes:
                    raise FileTooLarge(
                        f"chunk {seq} is larger than the {self.chunk_max_bytes:,} bytes a "
                        "chunk may have: send shorter chunks"
                    )
        except UploadTooLarge as exc:
            raise FileTooLarge(str(exc)) from exc
        if staged.size == 0:
            raise EmptyFile(f"chunk {seq} is empty")

    def _check_media(self, row: Any, seq: int, staged: StagingFile) -> tuple[str, str]:
        """The first chunk must begin a video or audio recording; each later one must carry
        on its container's structure where the one before stopped. Returns the recording's
        media type and the walk's state after this chunk."""
        head = bytes(staged.head)
        if seq == 0:
            media_type = sniff_media_type(head)
            if media_type is None or ALLOWED_MEDIA_TYPES[media_type] not in ("video", "audio"):
                raise UnsupportedMediaType(
                    "chunk 0 does not begin a video or audio recording (WebM, MP4 or Ogg)"
                )
            return media_type, self._walk(media_type, None, staged, seq)
        check_continuation(seq, head)
        total = row.size + staged.size
        if total > self.vault.max_upload_bytes:
            raise FileTooLarge(
                f"the recording would be over the {self.vault.max_upload_bytes:,} bytes a file "
                "may have: end it and start another"
            )
        return str(row.media_type), self._walk(row.media_type, row.stream_state, staged, seq)

    @staticmethod
    def _walk(media_type: str, saved: str | None, staged: StagingFile, seq: int) -> str:
        state = StreamState.loads(saved)
        with staged.path.open("rb") as chunk:
            state = advance(media_type, state, chunk.read(), seq)
        return state.dumps()

    @staticmethod
    def _check_next(row: Any, seq: int, prev_sha256: str | None) -> None:
        if row.finished_at is not None:
            raise RecordingFinished("this recording has ended: start a new one")
        if seq != row.chunks:
            raise ChunkOutOfOrder(
                f"chunk {seq} is out of order: chunk {row.chunks} comes next", row.chunks
            )
        if prev_sha256 != row.last_sha256:
            if seq == 0:
                raise ConflictError("chunk 0 has no previous chunk: send no previous SHA-256")
            raise ConflictError(
                f"chunk {seq} names a previous chunk that is not this recording's chunk "
                f"{seq - 1}: it belongs to another recording or another attempt"
            )

    def _still_next(
        self, conn: Connection, recording_id: str, seq: int, prev: str | None, sha256: str
    ) -> int | None:
        """Under the log's lock: the chain is checked again, since another request for the
        same recording may have logged this chunk (a retry) or another one meanwhile."""
        row = conn.execute(select(LiveRecording).where(LiveRecording.id == recording_id)).one()
        if seq < row.chunks:
            logged = self._chunk(conn, recording_id, seq)
            if logged.sha256 == sha256:
                return logged.log_index
            raise ConflictError(f"chunk {seq} is already logged with other bytes")
        self._check_next(row, seq, prev)
        return None

    def _record_chunk(
        self,
        conn: Connection,
        recording_id: str,
        seq: int,
        staged: StagingFile,
        media: tuple[str, str],
        received_at: datetime,
        index: int,
        end_ms: int,
    ) -> None:
        media_type, stream_state = media
        assert staged.sha256 is not None
        conn.execute(
            insert(LiveChunk).values(
                recording_id=recording_id,
                seq=seq,
                sha256=staged.sha256,
                size=staged.size,
                received_at=received_at,
                log_index=index,
                end_ms=end_ms,
            )
        )
        conn.execute(
            update(LiveRecording)
            .where(LiveRecording.id == recording_id)
            .values(
                chunks=seq + 1,
                size=LiveRecording.size + staged.size,
                last_sha256=staged.sha256,
                last_chunk_at=received_at,
                logged_ms=end_ms,
                media_type=media_type,
                stream_state=stream_state,
            )
        )

    @staticmethod
    def _chunk(conn: Connection, recording_id: str, seq: int) -> LoggedChunk:
        row = conn.execute(
            select(LiveChunk).where(LiveChunk.recording_id == recording_id, LiveChunk.seq == seq)
        ).one()
        return logged_chunk(row)

    def _result(self, recording_id: str, logged: LoggedChunk, created: bool) -> ChunkResult:
        return ChunkResult(
            logged.seq, logged.sha256, logged.size, logged.log_index, created,
            self.vault.log.receipt(logged.log_index), self.status_of(recording_id),
        )  # fmt: skip

    # -- the end -----------------------------------------------------------------------

    def finish(
        self, recording_id: str, token: str | None, recorded_chunks: int | None = None
    ) -> tuple[RecordingStatus, IngestResult]:
        """Lodge the chunks put end to end as one vault item and end the recording.

        ``recorded_chunks`` is how many chunks the recorder made: fewer logged means some are
        still on their way, and the recording is not ended until they arrive. Finishing again
        answers with the same file."""
        with self.db.read() as conn:
            row = self._authorised(conn, recording_id, token)
        return self._finish(row, recorded_chunks)

    def finish_for_operator(self, recording_id: str) -> tuple[RecordingStatus, IngestResult]:
        """The operator ends a recording cut short, so what arrived is lodged as one file
        (``witness live finish``): the person who filmed may no longer have their phone."""
        return self._finish(self._row(recording_id), None)

    def _finish(
        self, row: Any, recorded_chunks: int | None
    ) -> tuple[RecordingStatus, IngestResult]:
        recording_id = row.id
        if row.finished_at is not None:
            record = self.vault.get(row.whole_sha256)
            receipt = self.vault.log.receipt(record.log_index)
            return self._status(row), IngestResult(record, receipt, created=False)
        if row.chunks == 0:
            raise ConflictError("nothing has been recorded yet: no chunk has arrived")
        if recorded_chunks is not None and recorded_chunks > row.chunks:
            raise ChunkOutOfOrder(
                f"chunks {row.chunks} to {recorded_chunks - 1} have not arrived yet: send them "
                "before ending the recording",
                row.chunks,
            )
        with self.vault.upload() as staged:
            for data in self.media(recording_id, row.chunks):
                self.vault.write(staged, data)
            whole = self.vault.complete(staged)
        with self.db.write() as conn:
            ended = conn.execute(
                update(LiveRecording)
                .where(
                    LiveRecording.id == recording_id,
                    LiveRecording.chunks == row.chunks,
                    LiveRecording.finished_at.is_(None),
                )
                .values(finished_at=now(), whole_sha256=whole.record.sha256)
            )
            if ended.rowcount != 1:
                raise ConflictError("another chunk arrived while ending: end the recording again")
            row = conn.execute(select(LiveRecording).where(LiveRecording.id == recording_id)).one()
        return self._status(row), whole

    # -- reading -----------------------------------------------------------------------

    def _status(self, row: Any) -> RecordingStatus:
        last = as_utc(row.last_chunk_at)
        started = as_utc(row.started_at)
        assert started is not None
        if row.finished_at is not None:
            state = "finished"
        elif now() - (last or started) > self.idle:
            state = "cut_short"
        else:
            state = "recording"
        return RecordingStatus(
            row.id, state, row.chunks, row.size, row.logged_ms, row.media_type, row.audio_only,
            started, last, as_utc(row.finished_at), row.whole_sha256, row.contact_state,
        )  # fmt: skip

    def status(self, recording_id: str, token: str | None) -> RecordingStatus:
        with self.db.read() as conn:
            return self._status(self._authorised(conn, recording_id, token))

    def status_of(self, recording_id: str) -> RecordingStatus:
        """For the operator and a trusted contact's link (already resolved to the id)."""
        return self._status(self._row(recording_id))

    def _row(self, recording_id: str) -> Any:
        with self.db.read() as conn:
            row = conn.execute(
                select(LiveRecording).where(LiveRecording.id == recording_id)
            ).first()
        if row is None:
            raise NotFoundError(f"no live recording {recording_id}")
        return row

    def all(self) -> list[RecordingStatus]:
        """Every recording, newest first (the operator's list)."""
        with self.db.read() as conn:
            rows = conn.execute(
                select(LiveRecording).order_by(LiveRecording.started_at.desc())
            ).all()
        return [self._status(row) for row in rows]

    def chunks(self, recording_id: str) -> list[LoggedChunk]:
        with self.db.read() as conn:
            rows = conn.execute(
                select(LiveChunk)
                .where(LiveChunk.recording_id == recording_id)
                .order_by(LiveChunk.seq)
            ).all()
        return [logged_chunk(row) for row in rows]

    def chunk_hashes(self, recording_id: str, upto: int) -> list[str]:
        """The sha256 of chunks 0 to ``upto - 1``, in order: their stored bytes end to end
        (``media``) are a playable recording of that length."""
        return [chunk.sha256 for chunk in self.chunks(recording_id)[:upto]]

    def media(self, recording_id: str, upto: int) -> Iterator[bytes]:
        """Chunks 0 to ``upto - 1`` end to end, streamed from the store: a recording may be
        gigabytes."""
        for sha256 in self.chunk_hashes(recording_id, upto):
            with self.vault.open_blob(sha256) as chunk:
                while data := chunk.read(CHUNK_SIZE):
                    yield data

    def bundle(self, recording_id: str) -> dict[str, Any]:
        """Every chunk's receipt and, once ended, the whole file's: what ``witness verify
        --bundle`` and the /verify page check (``openwitness.live.bundle``)."""
        from openwitness.live.bundle import BUNDLE_FORMAT

        status = self.status_of(recording_id)
        log = self.vault.log
        whole = None
        if status.whole_sha256 is not None:
            record = self.vault.get(status.whole_sha256)
            whole = {"receipt": log.receipt(record.log_index).to_text()}
        return {
            "format": BUNDLE_FORMAT,
            "recording": recording_id,
            "state": status.state,
            "chunks": [
                {"seq": c.seq, "receipt": log.receipt(c.log_index).to_text()}
                for c in self.chunks(recording_id)
            ],
            "whole": whole,
        }
