"""Resumable uploads: the state behind the tus protocol, for large videos on bad connections.

Hand-written rather than taken from a tus library because the library in use could not be
made safe from outside: it appended each PATCH to whatever the partial file held (after a
crash, bytes beyond the recorded offset, so a resumed upload lodged a corrupted file), offered
concatenation (one request could copy a partial upload hundreds of times), honoured
``X-HTTP-Method-Override`` and read creation bodies whole into memory. Only what the report
page needs is here: create, offset, append, terminate, expire.

Each upload is ``<id>`` (the bytes so far) and ``<id>.json`` (its length, the offset that is
durably written, the SHA-256 the uploader declared, and what became of it). The offset is
recorded only after the bytes are fsynced; before every append, and at start-up, the data
file is truncated to that offset, so a crash mid-write can never leave extra bytes in front
of a resumed chunk. A finished upload is lodged through the vault only if its bytes hash to
the declared SHA-256; one that finished but was never lodged (a crash in between) is lodged
on the next request that touches it, or at start-up.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from openwitness.core.errors import InvalidRequestError, NotFoundError, OpenWitnessError
from openwitness.evidence.blobstore import fsync_dir
from openwitness.evidence.service import FileTooLarge, HashMismatch, Vault, check_sha256

DAYS_TO_KEEP = 2  # an unfinished upload can be resumed for this long
_ID_CHARS = frozenset("0123456789abcdef")
_ID_LENGTH = 32


class UploadConflict(OpenWitnessError):
    """The client's offset is not the server's: it must ask for the offset again (HEAD)."""


class UploadBusy(OpenWitnessError):
    """Another request is writing this upload right now."""


class PartialStorageFull(OpenWitnessError):
    """Unfinished uploads already take the disk space set aside for them."""


class UploadRefused(OpenWitnessError):
    """The finished upload could not be lodged (reason in the message); nothing was logged.
    ``hash_mismatch``: its bytes were not the ones the uploader hashed."""

    def __init__(self, message: str, hash_mismatch: bool) -> None:
        super().__init__(message)
        self.hash_mismatch = hash_mismatch


@dataclass
class UploadState:
    length: int
    offset: int
    sha256: str  # declared by the uploader, checked when the upload is finished
    created_at: float
    lodged: bool = False
    refused: str | None = None
    hash_mismatch: bool = False

    @property
    def complete(self) -> bool:
        return self.offset == self.length


class ResumableUploads:
    def __init__(self, folder: Path, vault: Vault, partial_budget_bytes: int) -> None:
        self.folder = folder
        self.vault = vault
        self.max_bytes = vault.max_upload_bytes
        self.partial_budget_bytes = partial_budget_bytes
        folder.mkdir(parents=True, exist_ok=True)

    # -- files ---------------------------------------------------------------------------

    def _paths(self, upload_id: str) -> tuple[Path, Path]:
        if len(upload_id) != _ID_LENGTH or not set(upload_id) <= _ID_CHARS:
            raise NotFoundError("no such upload")
        return self.folder / upload_id, self.folder / f"{upload_id}.json"

    def _load(self, upload_id: str) -> UploadState:
        _, info = self._paths(upload_id)
        try:
            return UploadState(**json.loads(info.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise NotFoundError("no such upload (finished, expired or never made)") from None

    def _save(self, upload_id: str, state: UploadState) -> None:
        """Replace the state file atomically (write, fsync, rename)."""
        _, info = self._paths(upload_id)
        temporary = info.with_name(info.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(asdict(state), out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, info)
        fsync_dir(self.folder)

    @contextlib.contextmanager
    def _locked(self, upload_id: str) -> Iterator[int]:
        """The upload's data file, opened and flock-ed (one writer, across processes)."""
        data, _ = self._paths(upload_id)
        try:
            fd = os.open(data, os.O_RDWR)
        except FileNotFoundError:
            raise NotFoundError("no such upload (finished, expired or never made)") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise UploadBusy("this upload is being written by another request") from None
                raise
            yield fd
        finally:
            os.close(fd)

    # -- the protocol's operations ---------------------------------------------------------

    def create(self, length: int, declared_sha256: str) -> str:
        """Start an upload of ``length`` bytes whose SHA-256 the uploader has computed."""
        if length < 1:
            raise InvalidRequestError("Upload-Length: the file is empty")
        if length > self.max_bytes:
            raise FileTooLarge(f"file is larger than the limit of {self.max_bytes:,} bytes")
        sha256 = check_sha256(declared_sha256)
        self.sweep()
        if self.unfinished_bytes() + length > self.partial_budget_bytes:
            raise PartialStorageFull(
                "the server has no room for more unfinished uploads just now: try again later"
            )
        upload_id = secrets.token_hex(_ID_LENGTH // 2)
        data, _ = self._paths(upload_id)
        os.close(os.open(data, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        self._save(upload_id, UploadState(length, 0, sha256, time.time()))
        return upload_id

    def status(self, upload_id: str) -> UploadState:
        """The durable offset; a finished upload not yet lodged is lodged first."""
        state = self._load(upload_id)
        if state.complete and not (state.lodged or state.refused):
            with self._locked(upload_id):
                state = self._lodge(upload_id, self._load(upload_id))
        return state

    @contextlib.contextmanager
    def appending(self, upload_id: str, offset: int) -> Iterator[UploadWriter]:
        """Write the bytes that follow ``offset``; the new offset is recorded (after fsync)
        when the block ends, even if the client went away mid-stream."""
        with self._locked(upload_id) as fd:
            state = self._load(upload_id)
            if state.lodged or state.refused or state.complete:
                raise UploadConflict("this upload is already complete")
            if offset != state.offset:
                raise UploadConflict(
                    f"Upload-Offset {offset} is not the server's offset {state.offset}"
                )
            os.ftruncate(fd, state.offset)  # bytes after the durable offset are discarded
            writer = UploadWriter(fd, state)
            try:
                yield writer
            finally:
                if writer.written:
                    os.fsync(fd)
                    state.offset += writer.written
                    self._save(upload_id, state)
            if state.complete:
                self._lodge(upload_id, state)

    def result(self, upload_id: str) -> UploadState:
        """What became of an upload (after :meth:`appending`): lodged, refused or partial."""
        state = self._load(upload_id)
        if state.refused:
            raise UploadRefused(state.refused, state.hash_mismatch)
        return state

    def terminate(self, upload_id: str) -> None:
        with self._locked(upload_id):
            self._delete(upload_id)

    # -- lodging, cleaning ---------------------------------------------------------------

    def _lodge(self, upload_id: str, state: UploadState) -> UploadState:
        """Hand the finished bytes to the vault (which checks the declared hash); the upload's
        id becomes the uploader's claim on the file. Called with the upload locked."""
        data, _ = self._paths(upload_id)
        try:
            result = self.vault.ingest_file(data, expected_sha256=state.sha256)
        except OpenWitnessError as error:
            state.refused = str(error)
            state.hash_mismatch = isinstance(error, HashMismatch)
        else:
            self.vault.claim(result.record.sha256, upload_id)
            state.lodged = True
        self._save(upload_id, state)
        data.unlink(missing_ok=True)  # the vault has the bytes now, or they were refused
        return state

    def _delete(self, upload_id: str) -> None:
        for path in self._paths(upload_id):
            path.unlink(missing_ok=True)

    def _states(self) -> Iterator[tuple[str, UploadState, float]]:
        for info in self.folder.glob("*.json"):
            upload_id = info.name.removesuffix(".json")
            try:
                yield upload_id, self._load(upload_id), info.stat().st_mtime
            except (NotFoundError, OSError, ValueError, TypeError):
                continue

    def unfinished_bytes(self) -> int:
        """Disk the unfinished uploads may still take (their declared lengths)."""
        return sum(s.length for _, s, _ in self._states() if not (s.lodged or s.refused))

    def sweep(self, now: float | None = None) -> int:
        """Delete uploads nobody touched for DAYS_TO_KEEP (finished ones' records too);
        returns how many went. Runs on every new upload and periodically while serving."""
        cutoff = (now or time.time()) - DAYS_TO_KEEP * 86400
        removed = 0
        for upload_id, _state, touched in list(self._states()):
            if touched < cutoff:
                with contextlib.suppress(UploadBusy, NotFoundError), self._locked(upload_id):
                    self._delete(upload_id)
                    removed += 1
        for stray in self.folder.iterdir():  # files with no record (or an older server's)
            record = self.folder / f"{stray.name.split('.')[0]}.json"
            orphan = stray.is_file() and stray.suffix != ".json" and not record.exists()
            with contextlib.suppress(FileNotFoundError):  # lodged or deleted meanwhile
                if orphan and stray.stat().st_mtime < cutoff:
                    stray.unlink(missing_ok=True)
        return removed

    def recover(self) -> None:
        """At start-up: cut every partial file back to its durable offset, and lodge (or
        refuse, with the reason) every upload that finished but was never lodged."""
        for upload_id, state, _ in list(self._states()):
            if state.lodged or state.refused:
                continue
            with contextlib.suppress(UploadBusy, NotFoundError), self._locked(upload_id) as fd:
                os.ftruncate(fd, state.offset)
                if state.complete:
                    self._lodge(upload_id, state)


class UploadWriter:
    """Writes one PATCH's bytes at the upload's offset, never past its declared length."""

    def __init__(self, fd: int, state: UploadState) -> None:
        self._fd = fd
        self._state = state
        self.written = 0

    def write(self, chunk: bytes) -> None:
        if self._state.offset + self.written + len(chunk) > self._state.length:
            raise InvalidRequestError("the body goes past the Upload-Length given at creation")
        view = memoryview(chunk)
        position = self._state.offset + self.written
        while view:
            done = os.pwrite(self._fd, view, position)
            view, position = view[done:], position + done
        self.written += len(chunk)
