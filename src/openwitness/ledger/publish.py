"""The log as static files (C2SP tlog-tiles), for any static host or CDN to serve.

``witness log publish DIR`` (or ``s3://bucket/prefix?endpoint=…``) writes ``checkpoint``,
``tile/<L>/<N>[.p/<W>]`` and ``tile/entries/<N>[.p/<W>]``: what a monitor, a witness or a
mirror fetches, the same bytes the server's own tile routes answer with. Runs are incremental:
full tiles never change, so only tiles that were partial or absent at the checkpoint already
published are written. The checkpoint is written last, after every tile it needs, so a reader
never sees a checkpoint whose tiles are missing; and a run refuses to publish a checkpoint
that is not an extension of the one already there (another log, or a log restored to an
earlier state), rather than overwrite what mirrors have seen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from openwitness.core.errors import OpenWitnessError
from openwitness.core.files import replace_atomically
from openwitness.core.object_store import checked, parse_blob_url, s3_client
from openwitness.ledger.checkpoint import Checkpoint, parse_checkpoint_text
from openwitness.ledger.note import parse_note
from openwitness.ledger.store import TILE_HEIGHT, TILE_WIDTH, TransparencyLog

#: public files: world-readable, as a static web server serves them
PUBLIC = 0o644
IMMUTABLE = "public, max-age=31536000, immutable"
OCTETS = "application/octet-stream"


class PublishRefused(OpenWitnessError):
    """The destination holds another log's files, or a checkpoint this log cannot extend."""


class Destination(Protocol):
    def read(self, name: str) -> bytes | None: ...

    def write(self, name: str, data: bytes) -> None:
        """Write ``name`` whole or not at all."""


class FolderDestination:
    def __init__(self, root: Path) -> None:
        self.root = root

    def read(self, name: str) -> bytes | None:
        path = self.root / name
        return path.read_bytes() if path.is_file() else None

    def write(self, name: str, data: bytes) -> None:
        replace_atomically(self.root / name, lambda tmp: tmp.write_bytes(data), PUBLIC)


class BucketDestination:
    """An S3-compatible bucket (a PUT is atomic); credentials as for the blob store."""

    def __init__(self, url: str) -> None:
        self.bucket, self.prefix, _ = parse_blob_url(url)
        self.client: Any = s3_client(url)

    def read(self, name: str) -> bytes | None:
        from botocore.exceptions import ClientError

        def get() -> bytes | None:
            try:
                answer = self.client.get_object(Bucket=self.bucket, Key=self.prefix + name)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                    return None
                raise
            return bytes(answer["Body"].read())

        found: bytes | None = checked(f"read {name}", get)
        return found

    def write(self, name: str, data: bytes) -> None:
        checkpoint = name == "checkpoint"
        checked(
            f"write {name}",
            lambda: self.client.put_object(
                Bucket=self.bucket,
                Key=self.prefix + name,
                Body=data,
                ContentType="text/plain; charset=utf-8"
                if checkpoint
                else "application/octet-stream",
                # every tile path, partial ones included, names bytes that never change
                CacheControl="no-cache, max-age=0" if checkpoint else IMMUTABLE,
            ),
        )


def destination_for(target: str) -> Destination:
    if target.startswith("s3://"):
        return BucketDestination(target)
    return FolderDestination(Path(target))


def tile_path(index: int, width: int = TILE_WIDTH) -> str:
    """``1234067`` as ``x001/x234/067``, with ``.p/W`` for a partial tile (tlog-tiles)."""
    groups = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        groups.append(f"x{index % 1000:03d}")
        index //= 1000
    path = "/".join(reversed(groups))
    return path if width == TILE_WIDTH else f"{path}.p/{width}"


@dataclass(frozen=True)
class Published:
    size: int
    previous_size: int
    tiles: int
    entry_bundles: int


def publish(
    log: TransparencyLog,
    destination: Destination,
    progress: Callable[[str], None] = lambda _line: None,
) -> Published:
    """Bring ``destination`` up to the log's latest checkpoint."""
    note = log.latest_checkpoint()
    current = parse_checkpoint_text(parse_note(note).text)
    previous = _published(destination, log, current)
    if previous is not None and previous.size == current.size:
        if destination.read("checkpoint") != note.encode():  # witnesses have cosigned since
            destination.write("checkpoint", note.encode())
        progress(f"already published: size {current.size:,}")
        return Published(current.size, previous.size, 0, 0)
    old = previous.size if previous else 0
    tiles = bundles = 0
    for level in range(64 // TILE_HEIGHT):
        count, old_count = current.size >> (level * TILE_HEIGHT), old >> (level * TILE_HEIGHT)
        if count == 0:
            break
        first = old_count // TILE_WIDTH  # tiles before it are full, and were published
        for index, width, tile in log.tiles_from(level, first, current.size):
            if index * TILE_WIDTH + width <= old_count:
                continue  # the same tile as published before
            destination.write(f"tile/{level}/{tile_path(index, width)}", tile)
            tiles += 1
            if (tiles % 1000) == 0:
                progress(f"{tiles:,} tiles written")
        if level == 0:
            for index, width, bundle in log.bundles_from(first, current.size):
                if index * TILE_WIDTH + width <= old_count:
                    continue
                destination.write(f"tile/entries/{tile_path(index, width)}", bundle)
                bundles += 1
    destination.write("checkpoint", note.encode())  # last: every tile it needs is there
    progress(f"published size {current.size:,} (was {old:,}): {tiles:,} tiles, {bundles:,} bundles")
    return Published(current.size, old, tiles, bundles)


def _published(
    destination: Destination, log: TransparencyLog, current: Checkpoint
) -> Checkpoint | None:
    """The checkpoint already at the destination, if it is this log's and ours extends it."""
    raw = destination.read("checkpoint")
    if raw is None:
        return None
    try:
        previous = parse_checkpoint_text(parse_note(raw.decode()).text)
    except (ValueError, UnicodeDecodeError) as error:
        raise PublishRefused(f"the destination's checkpoint cannot be read: {error}") from None
    if previous.origin != current.origin:
        raise PublishRefused(
            f"the destination holds the log {previous.origin!r}, not {current.origin!r}: "
            "publish each log to a place of its own"
        )
    if previous.size > current.size or log.root(previous.size) != previous.root_hash:
        raise PublishRefused(
            f"the destination's checkpoint (size {previous.size:,}) is not in this log's "
            "history: a restored or forked log must not overwrite what mirrors have seen"
        )
    return previous


__all__ = ["PublishRefused", "Published", "destination_for", "publish", "tile_path"]
