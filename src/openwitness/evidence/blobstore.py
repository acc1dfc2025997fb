"""Content-addressed blob store (``blobs/ab/cd/<sha256>``) with crash-safe staging.

An upload is streamed into ``staging/`` while being hashed, fsynced and renamed to
``<sha256>.<id>.staged``; only then may its log entry be committed, and only after that is it
moved into the store. Each staging file is ``flock``-ed by the process writing it, so
:meth:`BlobStore.recover` can tell an abandoned file (its writer died, even by SIGKILL, which
releases the lock) from one in progress: abandoned ``.part`` files are deleted, and a
``.staged`` file is moved into the store if its entry was committed, deleted otherwise.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import io
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

_NEW, _PART, _STAGED = ".new", ".part", ".staged"
_COPY_STEP = 8 * 1024 * 1024
_HASH_STEP = 1024 * 1024
#: how much a kernel copy writes before it asks the disk to catch up (see copy_from)
_FLUSH_STEP = 64 * 1024 * 1024
#: copy_file_range refusals that mean "not between these two files": read and write instead
_NO_KERNEL_COPY = {errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EBADF}
_STALE_NEW_SECONDS = 3600


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in ``path`` durable (the directory entry itself)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class UploadTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"file is larger than the limit of {limit:,} bytes")
        self.limit = limit


@dataclass
class _KernelCopy:
    """How far the copying thread of :meth:`StagingFile.copy_from` has got."""

    copied: int = 0
    flushed: int = 0  # written back to the disk (fdatasync) so far
    finished: bool = False
    fallback: bool = False


class StagingFile:
    """One upload being written; hashes and sizes it in the same pass as the write."""

    def __init__(self, directory: Path, max_bytes: int, head_bytes: int) -> None:
        self._id = uuid.uuid4().hex
        self._dir = directory
        new_path = directory / f"{self._id}{_NEW}"
        self._fd = os.open(new_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        self.path = directory / f"{self._id}{_PART}"
        os.rename(new_path, self.path)  # only ever visible as .part while locked
        self._max = max_bytes
        self._head_bytes = head_bytes
        self._hash = hashlib.sha256()
        self.size = 0
        self.head = bytearray()
        self.sha256: str | None = None

    def write(self, chunk: bytes) -> None:
        if self.size + len(chunk) > self._max:
            raise UploadTooLarge(self._max)
        self._hash.update(chunk)
        if len(self.head) < self._head_bytes:
            self.head += chunk[: self._head_bytes - len(self.head)]
        view = memoryview(chunk)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self.size += len(chunk)

    def copy_from(self, source: int, progress: Callable[[int], None] | None = None) -> None:
        """Copy the rest of the open local file ``source`` in, as :meth:`write` would, but
        in about the time of a plain copy: the kernel copies it (``copy_file_range``, no trip
        through this process) in a second thread while this one hashes what has been copied,
        read back from the staging file, so the hash is of the very bytes stored whatever
        happens to the source meanwhile. Where the kernel cannot copy between the two files,
        the rest is read and written as :meth:`write` does."""
        base, limit = self.size, self._max - self.size
        state = _KernelCopy()
        failure: list[BaseException] = []
        moved = threading.Condition()

        def kernel_copy() -> None:
            try:
                while state.copied <= limit:
                    step = min(_COPY_STEP, limit + 1 - state.copied)
                    try:
                        count = os.copy_file_range(source, self._fd, step)
                    except OSError as exc:
                        if exc.errno in _NO_KERNEL_COPY and not state.copied:
                            state.fallback = True
                            return
                        raise
                    if count == 0:
                        return
                    with moved:
                        state.copied += count
                        moved.notify()
                    if state.copied - state.flushed >= _FLUSH_STEP:
                        # Write back what is copied while the other thread still hashes, so
                        # the fsync that makes the file durable (finish) has little left.
                        os.fdatasync(self._fd)
                        state.flushed = state.copied
            except BaseException as exc:  # handed to the hashing thread, which raises it
                failure.append(exc)
            finally:
                with moved:
                    state.finished = True
                    moved.notify()

        copier = threading.Thread(target=kernel_copy, name="staging-copy", daemon=True)
        reader = os.open(self.path, os.O_RDONLY)
        try:
            copier.start()
            hashed = 0
            while True:
                with moved:
                    while state.copied == hashed and not state.finished:
                        moved.wait()
                    upto, finished = state.copied, state.finished
                while hashed < upto:
                    chunk = os.pread(reader, min(_HASH_STEP, upto - hashed), base + hashed)
                    if not chunk:
                        raise OSError(errno.EIO, "the staging file is shorter than was copied")
                    self._hash.update(chunk)
                    if len(self.head) < self._head_bytes:
                        self.head += chunk[: self._head_bytes - len(self.head)]
                    hashed += len(chunk)
                    self.size = base + hashed
                    if progress:
                        progress(self.size)
                if finished and hashed == state.copied:
                    break
        finally:
            copier.join()
            os.close(reader)
        if failure:
            raise failure[0]
        if self.size - base > limit:
            raise UploadTooLarge(self._max)
        if state.fallback:
            while chunk := os.read(source, _HASH_STEP):
                self.write(chunk)
                if progress:
                    progress(self.size)

    def finish(self) -> str:
        """Make the bytes durable and name the file by its hash; returns the sha256."""
        os.fsync(self._fd)
        sha256 = self._hash.hexdigest()
        staged = self._dir / f"{sha256}.{self._id}{_STAGED}"
        os.rename(self.path, staged)
        fsync_dir(self._dir)
        self.path, self.sha256 = staged, sha256
        return sha256

    def close(self) -> None:
        """Release the lock; whatever was not moved into the store is deleted."""
        if self._fd >= 0:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            os.close(self._fd)
            self._fd = -1


class BlobStore:
    """The local folder: the embedded default. :class:`~openwitness.evidence.s3_blobs.S3BlobStore`
    keeps the same staging and the same guarantees with the bytes in object storage."""

    def __init__(self, root: Path, staging: Path) -> None:
        self.root = root
        self.staging = staging

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def size(self, sha256: str) -> int:
        return self.path_for(sha256).stat().st_size

    def open(self, sha256: str, start: int = 0, end: int | None = None) -> BinaryIO:
        """The stored bytes ``start`` to ``end`` (inclusive; None: to the last), to read."""
        handle = self.path_for(sha256).open("rb")
        handle.seek(start)
        if end is None:
            return handle
        return cast(BinaryIO, _Limited(handle, end - start + 1))

    def stored_path(self, sha256: str) -> Path | None:
        """The stored file itself, where the store is a folder on this machine (else None)."""
        return self.path_for(sha256)

    def local_path(self, sha256: str) -> AbstractContextManager[Path]:
        """A file on this machine holding the bytes, for readers that need a path (zipfile,
        PyAV, Pillow): here the stored file itself."""
        return contextlib.nullcontext(self.path_for(sha256))

    def prepare(self, staged: StagingFile) -> None:
        """Before the entry is logged: the staged file is fsynced already, which is durable
        here (a crash after logging is finished by :meth:`recover`)."""

    def discard(self, staged: StagingFile) -> None:
        """The entry was not logged because these bytes were logged before: nothing to keep
        (the staging file is deleted when its block exits)."""

    @contextlib.contextmanager
    def stage(self, max_bytes: int, head_bytes: int) -> Iterator[StagingFile]:
        self.staging.mkdir(parents=True, exist_ok=True)
        staged = StagingFile(self.staging, max_bytes, head_bytes)
        try:
            yield staged
        finally:
            staged.close()

    def commit(self, staged: StagingFile) -> Path:
        """Move a finished staging file into the store (its entry is already committed)."""
        assert staged.sha256 is not None, "finish() the staging file first"
        return self._move_into_store(staged.path, staged.sha256)

    def _move_into_store(self, source: Path, sha256: str) -> Path:
        target = self.path_for(sha256)
        created = not target.parent.exists()
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(source, 0o400)
        os.replace(source, target)
        fsync_dir(target.parent)
        if created:
            fsync_dir(target.parent.parent)
            fsync_dir(self.root)
        return target

    def recover(self, is_logged: Callable[[str], bool]) -> None:
        """Finish or remove what crashed writers left in staging; skip files still in use."""
        if not self.staging.is_dir():
            return
        for path in self.staging.iterdir():
            try:
                age = time.time() - path.stat().st_mtime
            except FileNotFoundError:
                continue  # renamed by its writer (.new to .part) or finished since the listing
            if path.suffix == _NEW and age < _STALE_NEW_SECONDS:
                continue  # a writer between create and lock; never older than a moment
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError as exc:
                    if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                        continue  # its writer is alive
                    raise
                if not path.exists():
                    continue  # finished by its writer between listing and locking
                sha256 = path.name.split(".")[0]
                if path.suffix == _STAGED and is_logged(sha256) and not self.has(sha256):
                    self._move_into_store(path, sha256)
                else:
                    path.unlink()
            finally:
                os.close(fd)


class _Limited(io.RawIOBase):
    """A file read only up to a number of bytes (one range of a stored blob)."""

    def __init__(self, handle: BinaryIO, left: int) -> None:
        super().__init__()
        self._handle = handle
        self._left = left

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size < 0 or size > self._left:
            size = self._left
        data = self._handle.read(size)
        self._left -= len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._handle.close()
        super().close()
