"""The evidence vault: ingest files, log them, hand back receipts.

An entry is in the log if and only if its blob is durably stored: the bytes are fsynced in
staging before the entry commits, and moved into the store after (see
:mod:`openwitness.evidence.blobstore` for recovery after a crash in between).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Connection, insert, select

from openwitness.core.errors import InvalidRequestError, NotFoundError, OpenWitnessError
from openwitness.evidence import custody
from openwitness.evidence.blobstore import BlobStore, StagingFile, UploadTooLarge
from openwitness.evidence.sniff import ALLOWED_MEDIA_TYPES, SNIFF_BYTES, sniff_media_type
from openwitness.ledger.entry import EvidenceEntry
from openwitness.ledger.receipt import Receipt
from openwitness.ledger.store import AppendResult, ExistingLookup, RecordRows, TransparencyLog
from openwitness.storage.db import Database
from openwitness.storage.models import Evidence, LiveChunk

LOGGER = logging.getLogger("openwitness.evidence")

CHUNK_SIZE = 1024 * 1024
_SHA256_HEX = frozenset("0123456789abcdef")


class EmptyFile(OpenWitnessError):
    """Zero bytes: nothing to keep."""


class FileTooLarge(OpenWitnessError):
    """Over the configured upload limit."""


class UnsupportedMediaType(OpenWitnessError):
    """The bytes are not a video, image, audio recording or PDF the vault accepts."""


class HashMismatch(OpenWitnessError):
    """The bytes received are not the ones the uploader hashed: kept out of the log."""


@dataclass(frozen=True)
class EvidenceRecord:
    sha256: str
    size: int
    media_type: str
    received_at: datetime
    log_index: int
    metadata: dict[str, Any]

    def public_dict(self) -> dict[str, Any]:
        """What anyone may see: the same facts as the public log entry, nothing personal."""
        return {
            "sha256": self.sha256,
            "size": self.size,
            "media_type": self.media_type,
            "received_at": self.received_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "log_index": self.log_index,
        }

    def to_dict(self) -> dict[str, Any]:
        """Everything, including metadata that can locate a person (GPS, device, times)."""
        return {**self.public_dict(), "metadata": self.metadata}


@dataclass(frozen=True)
class IngestResult:
    record: EvidenceRecord
    receipt: Receipt
    created: bool  # False when the same bytes were already in the vault


def check_sha256(value: str) -> str:
    value = value.lower()
    if len(value) != 64 or not set(value) <= _SHA256_HEX:
        raise InvalidRequestError("sha256 must be 64 hexadecimal digits")
    return value


#: names the media type of a staged file its caller has read in full, or None to refuse it
Accept = Callable[[Path], str | None]


class Vault:
    def __init__(
        self, db: Database, log: TransparencyLog, blobs: BlobStore, max_upload_bytes: int
    ) -> None:
        self.db = db
        self.log = log
        self.blobs = blobs
        self.max_upload_bytes = max_upload_bytes
        #: called with (sha256, media type) once a new item is stored and logged: the
        #: composition root queues its preview here (see openwitness.evidence.previews)
        self.on_stored: Callable[[str, str], None] | None = None

    # -- ingest ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def upload(self) -> Iterator[StagingFile]:
        """A staging file to stream an upload into; pass it to :meth:`complete` when done.

        Anything not completed is deleted when the block exits, whatever the reason.
        """
        self.recover()
        with self.blobs.stage(self.max_upload_bytes, SNIFF_BYTES) as staged:
            yield staged

    def write(self, staged: StagingFile, chunk: bytes) -> None:
        try:
            staged.write(chunk)
        except UploadTooLarge as exc:
            raise FileTooLarge(str(exc)) from exc

    def complete(
        self,
        staged: StagingFile,
        expected_sha256: str | None = None,
        accept: Accept | None = None,
    ) -> IngestResult:
        """Log and store the staged bytes. With ``expected_sha256`` (the hash the uploader
        computed), other bytes are refused before anything enters the log. ``accept`` lets a
        capability that has read the whole file itself (a chat export, which no magic number
        identifies) name its type; plain uploads never get one."""
        if staged.size == 0:
            raise EmptyFile("file is empty")
        if accept is not None:
            media_type = accept(staged.path)
        else:
            media_type = sniff_media_type(bytes(staged.head))
        if media_type is None:
            allowed = ", ".join(sorted(ALLOWED_MEDIA_TYPES))
            raise UnsupportedMediaType(
                f"file type not accepted: its bytes are not one of {allowed}"
            )
        sha256 = staged.finish()
        if expected_sha256 is not None and sha256 != expected_sha256.lower():
            raise HashMismatch(
                f"the bytes received (SHA-256 {sha256[:12]}…) are not the file you hashed "
                f"({expected_sha256[:12]}…): nothing was logged; upload the file again"
            )
        existing = self._find(sha256)
        if existing is not None:
            return IngestResult(existing, self.log.receipt(existing.log_index), created=False)
        # PyAV, Pillow and c2pa load here, on the first ingest, not on every command's start.
        from openwitness.evidence.metadata import extract_metadata

        metadata = extract_metadata(staged.path, media_type)
        received_at = datetime.now(UTC).replace(microsecond=0)
        entry = EvidenceEntry(sha256, staged.size, media_type, received_at)

        def insert_row(conn: Connection, index: int) -> None:
            conn.execute(
                insert(Evidence).values(
                    sha256=sha256,
                    size=staged.size,
                    media_type=media_type,
                    received_at=received_at,
                    log_index=index,
                    media_metadata=metadata,
                )
            )

        result = self.log_staged(
            staged, entry.to_bytes(), lambda conn: _logged_index(conn, sha256), insert_row
        )
        if result.created and self.on_stored is not None:
            try:
                self.on_stored(sha256, media_type)
            except Exception:  # the item is stored and logged; `witness evidence previews`
                LOGGER.exception("could not queue the preview of %s", sha256)  # makes it later
        return IngestResult(self.get(sha256), self.log.receipt(result.index), result.created)

    def log_staged(
        self, staged: StagingFile, entry: bytes, existing: ExistingLookup, record: RecordRows
    ) -> AppendResult:
        """Append ``entry`` for finished staged bytes, then move them into the store: the
        one order that keeps "logged only if durably stored" (the bytes are fsynced already,
        and :meth:`recover` finishes the move after a crash between the two)."""
        self.blobs.prepare(staged)  # object storage: the object is stored before the entry
        result = self.log.append(entry, existing=existing, record=record)
        if result.created:
            self.blobs.commit(staged)
        else:
            self.blobs.discard(staged)
        return result

    def ingest_file(
        self,
        path: Path,
        progress: Callable[[int], None] | None = None,
        expected_sha256: str | None = None,
        accept: Accept | None = None,
    ) -> IngestResult:
        """Ingest a local file, copied by the kernel while it is hashed (see
        :meth:`StagingFile.copy_from`); ``progress`` gets the bytes done so far."""
        with path.open("rb") as source, self.upload() as staged:
            try:
                staged.copy_from(source.fileno(), progress)
            except UploadTooLarge as exc:
                raise FileTooLarge(str(exc)) from exc
            return self.complete(staged, expected_sha256, accept)

    def ingest_stream(
        self,
        source: BinaryIO,
        progress: Callable[[int], None] | None = None,
        expected_sha256: str | None = None,
        accept: Accept | None = None,
    ) -> IngestResult:
        with self.upload() as staged:
            while chunk := source.read(CHUNK_SIZE):
                self.write(staged, chunk)
                if progress:
                    progress(staged.size)
            return self.complete(staged, expected_sha256, accept)

    def recover(self) -> None:
        """Clean up after crashed ingests (see :meth:`BlobStore.recover`)."""
        self.blobs.recover(self._is_logged)

    def _is_logged(self, sha256: str) -> bool:
        """Whether some log entry names these bytes: a vault item or a live chunk."""
        with self.db.read() as conn:
            return (
                _logged_index(conn, sha256) is not None
                or conn.execute(
                    select(LiveChunk.seq).where(LiveChunk.sha256 == sha256).limit(1)
                ).first()
                is not None
            )

    # -- custody (see openwitness.evidence.custody) -----------------------------------------

    def claim(self, sha256: str, token: str | None = None) -> str:
        """A one-time claim for whoever just uploaded these bytes, to link them to a report."""
        with self.db.write() as conn:
            return custody.issue_claim(conn, sha256, token)

    def hold(self, sha256: str, organisation_id: str | None) -> None:
        """An organisation's account uploaded these bytes: the organisation holds them."""
        with self.db.write() as conn:
            custody.record_custody(conn, sha256, organisation_id)

    def may_see(self, sha256: str, who: custody.Entitlement) -> bool:
        """Whether ``who`` may have the item's bytes and metadata (not only its public facts)."""
        with self.db.read() as conn:
            return custody.may_see(conn, sha256, who)

    # -- reads -----------------------------------------------------------------------------

    def _find(self, sha256: str) -> EvidenceRecord | None:
        with self.db.read() as conn:
            row = conn.execute(select(Evidence).where(Evidence.sha256 == sha256)).first()
        if row is None:
            return None
        received_at = row.received_at
        if received_at.tzinfo is None:  # SQLite stores naive datetimes; we only write UTC
            received_at = received_at.replace(tzinfo=UTC)
        return EvidenceRecord(
            row.sha256, row.size, row.media_type, received_at, row.log_index, row.media_metadata
        )

    def get(self, sha256: str) -> EvidenceRecord:
        record = self._find(check_sha256(sha256))
        if record is None:
            raise NotFoundError(f"no evidence with sha256 {sha256}")
        return record

    def _stored(self, sha256: str) -> str:
        """The sha256 of a vault item or live chunk whose bytes are in the store (finishing a
        crashed ingest's move first, if one is pending)."""
        sha256 = check_sha256(sha256)
        if not self.blobs.has(sha256):
            self.recover()
            if not self.blobs.has(sha256):
                raise NotFoundError(f"no stored bytes with sha256 {sha256}")
        return sha256

    def open_blob(self, sha256: str, start: int = 0, end: int | None = None) -> BinaryIO:
        """The stored bytes (``start`` to ``end`` inclusive), streamed from wherever they are."""
        return self.blobs.open(self._stored(sha256), start, end)

    def blob_size(self, sha256: str) -> int:
        return self.blobs.size(self._stored(sha256))

    def stored_path(self, sha256: str) -> Path | None:
        """The stored file, when the store is a folder on this machine (None: object storage)."""
        return self.blobs.stored_path(self._stored(sha256))

    def local_blob(self, sha256: str) -> AbstractContextManager[Path]:
        """A file on this machine with the stored bytes, for readers that need a path (a
        temporary copy when the store is remote, deleted when the block exits)."""
        return self.blobs.local_path(self._stored(sha256))


def _logged_index(conn: Connection, sha256: str) -> int | None:
    index = conn.execute(
        select(Evidence.log_index).where(Evidence.sha256 == sha256)
    ).scalar_one_or_none()
    return None if index is None else int(index)
