"""Evidence in any S3-compatible object store, with the folder store's guarantees.

Configured by OPENWITNESS_BLOB_URL (``openwitness.core.object_store``: ``s3://BUCKET/PREFIX
?endpoint=…``; no endpoint: AWS itself).

An upload is staged on this machine exactly as with the folder store (hashed, sniffed and
read for metadata there). Then, in this order:

1. a marker ``PREFIX/pending/<sha256>.<id>`` is written;
2. the file is uploaded to ``PREFIX/blobs/<sha256>`` (multipart above 16 MiB, streamed from
   the staged file); S3 answers only once the object is durably stored;
3. the log entry is committed; only now can anyone learn of the object;
4. the object is checked to be there (re-uploaded if a sweep removed it in between), then
   the marker and the staged file are deleted.

A crash before 3 leaves a marker and maybe an object nobody logged: :meth:`recover` sweeps
markers older than an hour, deleting the object unless its hash is logged (by this upload or
another of the same bytes) and no newer marker for it is pending, and aborts multipart
uploads older than a day. A crash between 3 and 4 leaves the staged file, which
:meth:`recover` uploads again if the object is missing. So an entry is logged only once its
object is stored, and nothing is left that is never cleaned up.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, cast

from openwitness.core.object_store import (
    checked,
    parse_blob_url,
    s3_client,
)
from openwitness.evidence.blobstore import BlobStore, StagingFile

#: a marker this old belongs to an upload that died (an append takes well under a second)
PENDING_SECONDS = 3600
#: an unfinished multipart upload this old was abandoned by its writer
MULTIPART_SECONDS = 24 * 3600
PART_BYTES = 16 * 1024 * 1024
#: how often one process looks for abandoned uploads in the bucket
SWEEP_EVERY_SECONDS = 600


class S3BlobStore(BlobStore):
    """The blob store in an S3 bucket; staging stays in a local folder."""

    def __init__(self, url: str, staging: Path) -> None:
        from boto3.s3.transfer import TransferConfig

        super().__init__(staging / "unused", staging)
        self.bucket, self.prefix, _ = parse_blob_url(url)
        self.client: Any = s3_client(url)
        self._swept_at = -float("inf")
        self.transfer = TransferConfig(
            multipart_threshold=PART_BYTES, multipart_chunksize=PART_BYTES, max_concurrency=4
        )

    def key(self, sha256: str) -> str:
        return f"{self.prefix}blobs/{sha256}"

    def _marker(self, staged: StagingFile) -> str:
        return f"{self.prefix}pending/{staged.path.name.removesuffix('.staged')}"

    # -- reads -----------------------------------------------------------------------------

    def has(self, sha256: str) -> bool:
        from botocore.exceptions import ClientError

        def head() -> bool:
            try:
                self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                    return False
                raise
            return True

        return bool(checked("look a file up", head))

    def size(self, sha256: str) -> int:
        head = checked(
            "say how large a file is",
            lambda: self.client.head_object(Bucket=self.bucket, Key=self.key(sha256)),
        )
        return int(head["ContentLength"])

    def open(self, sha256: str, start: int = 0, end: int | None = None) -> BinaryIO:
        extra = {}
        if start or end is not None:
            extra["Range"] = f"bytes={start}-{'' if end is None else end}"
        answer = checked(
            "send a file",
            lambda: self.client.get_object(Bucket=self.bucket, Key=self.key(sha256), **extra),
        )
        return cast(BinaryIO, answer["Body"])

    def stored_path(self, sha256: str) -> Path | None:
        return None

    @contextlib.contextmanager
    def _downloaded(self, sha256: str) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="openwitness-") as folder:
            path = Path(folder) / sha256
            checked(
                "send a file",
                lambda: self.client.download_file(
                    self.bucket, self.key(sha256), str(path), Config=self.transfer
                ),
            )
            yield path

    def local_path(self, sha256: str) -> contextlib.AbstractContextManager[Path]:
        """A temporary copy of the object (deleted when the block exits)."""
        return self._downloaded(sha256)

    # -- writes ----------------------------------------------------------------------------

    def _upload(self, staged: StagingFile, sha256: str) -> None:
        checked(
            "store the file",
            lambda: self.client.upload_file(
                str(staged.path), self.bucket, self.key(sha256), Config=self.transfer
            ),
        )

    def prepare(self, staged: StagingFile) -> None:
        """Steps 1 and 2: the marker, then the object, before the entry is logged."""
        assert staged.sha256 is not None, "finish() the staging file first"
        marker = self._marker(staged)
        checked(
            "note an upload",
            lambda: self.client.put_object(Bucket=self.bucket, Key=marker, Body=b""),
        )
        self._upload(staged, staged.sha256)

    def commit(self, staged: StagingFile) -> Path:
        """Step 4, once the entry is logged."""
        assert staged.sha256 is not None
        if not self.has(staged.sha256):  # swept in between by a recover() elsewhere
            self._upload(staged, staged.sha256)
        self.discard(staged)
        return staged.path

    def discard(self, staged: StagingFile) -> None:
        marker = self._marker(staged)
        checked(
            "finish an upload",
            lambda: self.client.delete_object(Bucket=self.bucket, Key=marker),
        )

    def _move_into_store(self, source: Path, sha256: str) -> Path:
        """Recovery of a staged file whose entry was logged: upload it if the object is gone."""
        if not self.has(sha256):
            checked(
                "store the file",
                lambda: self.client.upload_file(
                    str(source), self.bucket, self.key(sha256), Config=self.transfer
                ),
            )
        source.unlink()
        return source

    # -- recovery --------------------------------------------------------------------------

    def recover(self, is_logged: Callable[[str], bool]) -> None:
        """The staging folder as with the folder store, then (at most every few minutes per
        process: it lists the bucket) the bucket's abandoned uploads."""
        super().recover(is_logged)
        if time.monotonic() - self._swept_at > SWEEP_EVERY_SECONDS:
            self.sweep(is_logged)
            self._swept_at = time.monotonic()

    def sweep(self, is_logged: Callable[[str], bool], age: float = PENDING_SECONDS) -> int:
        """Delete what uploads that died before logging left in the bucket; returns how
        many objects were deleted."""
        return int(checked("list abandoned uploads", lambda: self._sweep(is_logged, age)))

    def _sweep(self, is_logged: Callable[[str], bool], age: float) -> int:
        now = datetime.now(UTC)
        markers = self._list(f"{self.prefix}pending/")
        fresh = {
            key.rsplit("/", 1)[-1].split(".")[0]
            for key, modified in markers
            if now - modified < timedelta(seconds=age)
        }
        deleted = 0
        for key, modified in markers:
            if now - modified < timedelta(seconds=age):
                continue
            sha256 = key.rsplit("/", 1)[-1].split(".")[0]
            if sha256 not in fresh and not is_logged(sha256):
                self.client.delete_object(Bucket=self.bucket, Key=self.key(sha256))
                deleted += 1
            self.client.delete_object(Bucket=self.bucket, Key=key)
        self._abort_stale_multipart(now)
        return deleted

    def _list(self, prefix: str) -> list[tuple[str, datetime]]:
        found = []
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        for page in pages:
            found += [(item["Key"], item["LastModified"]) for item in page.get("Contents", [])]
        return found

    def _abort_stale_multipart(self, now: datetime) -> None:
        answer = self.client.list_multipart_uploads(
            Bucket=self.bucket, Prefix=f"{self.prefix}blobs/"
        )
        for upload in answer.get("Uploads", []):
            if now - upload["Initiated"] > timedelta(seconds=MULTIPART_SECONDS):
                self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                )
