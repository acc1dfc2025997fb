"""Previews of vault items: a small JPEG thumbnail and a perceptual hash (``imagehash``).

A caseworker on a phone sees a list of thumbnails instead of downloading every photo and the
start of every video; a perceptual hash finds the same picture again after it was
re-compressed or resized (a copy of footage passed around, a frame of a video posted
elsewhere). Both need the pixels decoded, which for a large photo or a video takes far longer
than reading its metadata, so they are made by a background job (``evidence.preview``) after
the item is stored, never in the request that uploaded it.

A thumbnail is a new image drawn from the pixels only: no EXIF, GPS or maker notes are carried
over. It is as personal as the item itself and is served only to those who may see the item.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from openwitness.storage.db import Database
from openwitness.storage.scale_models import EvidencePreview

if TYPE_CHECKING:
    from PIL.Image import Image

    from openwitness.evidence.service import Vault

#: longest edge of a thumbnail, in pixels: sharp on a 360 px wide phone screen at 2x density
THUMBNAIL_EDGE = 320
#: decoding stops at this many pixels (a 12,000 x 12,000 image), before memory runs out
MAX_PIXELS = 144_000_000
_ORIENTATION = 0x0112  # the EXIF tag
#: how far into a video its picture is taken (the very first frame is often black)
VIDEO_OFFSET_SECONDS = 1.0
#: but never more frames decoded than this to get there
MAX_FRAMES = 300


def has_picture(media_type: str) -> bool:
    """Whether items of this type get a preview (photos and videos)."""
    return media_type.startswith(("image/", "video/"))


@dataclass(frozen=True)
class Preview:
    state: str  # "made", "none" (no picture in this kind of file) or "failed"
    thumbnail: bytes | None = None
    width: int | None = None
    height: int | None = None
    phash: str | None = None
    note: str | None = None


def load_picture(path: Path, edge: int = 512) -> Image | None:
    """An image file's pixels as RGB, as stored (its EXIF orientation, if any, is in
    ``info["orientation"]``), decoded at about ``edge`` pixels where the format allows (JPEG
    draft mode); None for a file that is not a readable image (a decompression bomb, a broken
    file). Perceptual hashes are of the pixels as stored, in screening and in the vault alike,
    so the two can be compared."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = MAX_PIXELS
            with Image.open(path) as image:
                image.draft("RGB", (edge, edge))  # JPEG decodes at a fraction of its size
                orientation = image.getexif().get(_ORIENTATION, 1)
                picture = image.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        return None
    picture.info["orientation"] = orientation
    return picture


def upright(picture: Image) -> Image:
    """The picture turned as its EXIF orientation says a viewer should show it."""
    from PIL.Image import Transpose

    turns = {
        2: Transpose.FLIP_LEFT_RIGHT, 3: Transpose.ROTATE_180, 4: Transpose.FLIP_TOP_BOTTOM,
        5: Transpose.TRANSPOSE, 6: Transpose.ROTATE_270, 7: Transpose.TRANSVERSE,
        8: Transpose.ROTATE_90,
    }  # fmt: skip
    turn = turns.get(picture.info.get("orientation", 1))
    return picture if turn is None else picture.transpose(turn)


def video_frame(path: Path, media_type: str) -> Image | None:
    """A frame about a second into a video (its last, for a shorter one; the 300th at most),
    or None."""
    import av

    from openwitness.evidence.metadata import DEMUXERS

    try:
        with av.open(
            str(path), "r", format=DEMUXERS[media_type], options={"protocol_whitelist": "file"}
        ) as container:
            if not container.streams.video:
                return None
            stream = container.streams.video[0]
            if stream.codec_context.width * stream.codec_context.height > MAX_PIXELS:
                return None
            chosen = None
            for number, frame in enumerate(container.decode(stream), 1):
                chosen = frame
                # timestamps that never reach a second (a crafted file) must not make the job
                # decode the whole video: MAX_FRAMES at most
                if frame.time is None or frame.time >= VIDEO_OFFSET_SECONDS:
                    break
                if number >= MAX_FRAMES:
                    break
            if chosen is None:
                return None
            picture: Image = chosen.to_image()  # type: ignore[no-untyped-call]
            # A phone stores a portrait video's frames on their side, with a display matrix
            # saying how to turn them: FFmpeg gives that angle counter-clockwise, as PIL's
            # rotate() takes it.
            if chosen.rotation:
                picture = picture.rotate(chosen.rotation, expand=True)
            return picture
    except (av.FFmpegError, OSError, ValueError, KeyError):
        return None


def render_preview(path: Path, media_type: str) -> Preview:
    """The preview of one file (its type already sniffed by the vault)."""
    import imagehash

    if not has_picture(media_type):
        return Preview("none", note=f"{media_type} has no picture to show")
    if media_type.startswith("image/"):
        picture = load_picture(path, THUMBNAIL_EDGE * 2)
    else:
        picture = video_frame(path, media_type)
    if picture is None:
        return Preview("failed", note="the picture could not be decoded")
    phash = str(imagehash.phash(picture))
    picture = upright(picture)
    picture.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=80, optimize=True)  # no exif= : nothing carried over
    return Preview("made", out.getvalue(), picture.width, picture.height, phash)


class Previews:
    """Thumbnails and perceptual hashes of vault items, kept in the database so every server
    and worker sees the same ones whatever the blob store."""

    def __init__(self, db: Database, vault: Vault) -> None:
        self.db = db
        self.vault = vault

    def make(self, sha256: str) -> Preview:
        """Make the item's preview unless it exists (a job delivered twice does the work
        once); returns the stored one."""
        existing = self.get(sha256)
        if existing is not None:
            return existing
        record = self.vault.get(sha256)
        with self.vault.local_blob(record.sha256) as path:
            preview = render_preview(path, record.media_type)
        try:
            with self.db.write() as conn:
                conn.execute(
                    insert(EvidencePreview).values(
                        sha256=record.sha256, state=preview.state, thumbnail=preview.thumbnail,
                        width=preview.width, height=preview.height, phash=preview.phash,
                        note=preview.note, made_at=datetime.now(UTC),
                    )
                )  # fmt: skip
        except IntegrityError:  # another worker stored it first: theirs stands
            pass
        stored = self.get(record.sha256)
        assert stored is not None
        return stored

    def get(self, sha256: str) -> Preview | None:
        """The item's preview, or None while its job has not run."""
        with self.db.read() as conn:
            row = conn.execute(
                select(EvidencePreview.__table__).where(EvidencePreview.sha256 == sha256)
            ).first()
        if row is None:
            return None
        return Preview(row.state, row.thumbnail, row.width, row.height, row.phash, row.note)

    def states(self, sha256s: list[str]) -> dict[str, Preview]:
        """Previews of several items at once (without their thumbnails' bytes), for a page."""
        if not sha256s:
            return {}
        columns = (
            EvidencePreview.sha256, EvidencePreview.state, EvidencePreview.width,
            EvidencePreview.height, EvidencePreview.phash, EvidencePreview.note,
        )  # fmt: skip
        with self.db.read() as conn:
            rows = conn.execute(select(*columns).where(EvidencePreview.sha256.in_(sha256s)))
            return {
                r.sha256: Preview(r.state, None, r.width, r.height, r.phash, r.note) for r in rows
            }

    def missing(self, limit: int | None = None) -> list[str]:
        """Photos and videos in the vault without a preview yet (stored before previews
        existed, or by `witness evidence add`, or whose job could not be queued), oldest
        first."""
        from openwitness.storage.models import Evidence

        query = (
            select(Evidence.sha256)
            .outerjoin(EvidencePreview, EvidencePreview.sha256 == Evidence.sha256)
            .where(EvidencePreview.sha256.is_(None))
            .where(Evidence.media_type.like("image/%") | Evidence.media_type.like("video/%"))
            .order_by(Evidence.log_index)
        )
        if limit is not None:
            query = query.limit(limit)
        with self.db.read() as conn:
            return list(conn.execute(query).scalars())
