"""Evidence previews: thumbnails carry no metadata, are upright and small; perceptual hashes
agree with imagehash run on the full picture; the service makes each once; the job and the
`witness evidence previews` command make what is missing."""

from __future__ import annotations

import io
from pathlib import Path

import av
import imagehash
import pytest
from PIL import Image

from openwitness.core.config import Settings
from openwitness.evidence.metadata import extract_metadata
from openwitness.evidence.previews import THUMBNAIL_EDGE, render_preview
from openwitness.jobs import tasks
from openwitness.services import Services
from tests.cli.test_cli_evidence import PHOTO, witness
from tests.evidence.media_factory import encode_audio
from tests.support import MEDIA, require_shared

VIDEO_MOV = MEDIA / "jmathai__elodie/elodie/tests/files/video.mov"


def jpeg_with_orientation(path: Path, orientation: int) -> Path:
    """A 200 x 100 picture, left half red and right half blue, tagged to be shown turned."""
    picture = Image.new("RGB", (200, 100), "red")
    picture.paste((0, 0, 255), (100, 0, 200, 100))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Acme"
    picture.save(path, "JPEG", exif=exif, quality=95)
    return path


def thumbnail_of(data: bytes | None) -> Image.Image:
    assert data is not None
    return Image.open(io.BytesIO(data))


def test_a_photo_s_thumbnail_is_small_and_carries_none_of_its_metadata() -> None:
    require_shared(PHOTO)
    assert b"NIKON" in PHOTO.read_bytes()  # the original names its camera (and its position)
    preview = render_preview(PHOTO, "image/jpeg")
    assert preview.state == "made"
    thumb = thumbnail_of(preview.thumbnail)
    assert thumb.format == "JPEG"
    assert max(thumb.size) == THUMBNAIL_EDGE and thumb.size == (preview.width, preview.height)
    assert len(thumb.getexif()) == 0
    assert preview.thumbnail is not None and b"NIKON" not in preview.thumbnail
    assert b"GPS" not in preview.thumbnail
    assert len(preview.thumbnail) < len(PHOTO.read_bytes()) / 4  # a 640 x 480 original


def test_the_perceptual_hash_matches_imagehash_on_the_full_picture() -> None:
    """Decoded in JPEG draft mode (a fraction of the pixels), the hash stays within a few bits
    of the one imagehash gives for the whole picture decoded by Pillow itself."""
    require_shared(PHOTO)
    preview = render_preview(PHOTO, "image/jpeg")
    assert preview.phash is not None
    with Image.open(PHOTO) as full:
        independent = imagehash.phash(full.convert("RGB"))
    assert imagehash.hex_to_hash(preview.phash) - independent <= 4


@pytest.mark.parametrize(("orientation", "size"), [(1, (200, 100)), (6, (100, 200))])
def test_a_thumbnail_is_upright_as_the_camera_said(
    tmp_path: Path, orientation: int, size: tuple[int, int]
) -> None:
    photo = jpeg_with_orientation(tmp_path / "turned.jpg", orientation)
    preview = render_preview(photo, "image/jpeg")
    thumb = thumbnail_of(preview.thumbnail).convert("RGB")
    assert thumb.size == size
    if orientation == 6:  # turned a quarter clockwise: red (the picture's left) ends on top
        top, bottom = thumb.getpixel((50, 20)), thumb.getpixel((50, 180))
        assert isinstance(top, tuple) and isinstance(bottom, tuple)
        assert top[0] > 200 > top[2] and bottom[2] > 200 > bottom[0]


def test_a_video_s_thumbnail_is_one_of_its_frames() -> None:
    require_shared(VIDEO_MOV)
    preview = render_preview(VIDEO_MOV, "video/quicktime")
    assert preview.state == "made" and preview.phash is not None
    with av.open(str(VIDEO_MOV)) as container:
        stream = container.streams.video[0]
        width, height = stream.codec_context.width, stream.codec_context.height
        frame = next(f for f in container.decode(stream) if f.time >= 1.0)
        second = frame.to_image()
    thumb = thumbnail_of(preview.thumbnail)
    assert abs(thumb.size[0] / thumb.size[1] - width / height) < 0.02
    assert max(thumb.size) == THUMBNAIL_EDGE
    # the frame a second in, hashed independently (imagehash on PyAV's own decode)
    assert imagehash.hex_to_hash(preview.phash) - imagehash.phash(second) <= 4


def test_a_video_whose_frames_never_reach_a_second_is_not_decoded_to_its_end(
    tmp_path: Path,
) -> None:
    """1,000 frames a second for two seconds, red until frame 300 and blue after: the
    thumbnail is taken at the 300th frame, not a second in (frame 1,000)."""
    path = tmp_path / "fast.mp4"
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("mpeg4", rate=1000)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for index in range(2000):
            colour = "red" if index < 300 else "blue"
            frame = av.VideoFrame.from_image(Image.new("RGB", (32, 32), colour))
            frame = frame.reformat(format="yuv420p")
            frame.pts = index
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    thumb = thumbnail_of(render_preview(path, "video/mp4").thumbnail).convert("RGB")
    red, _green, blue = thumb.getpixel((16, 16))  # type: ignore[misc]
    assert red > 150 > blue


def two_colour_video(path: Path, degrees: int) -> Path:
    """A short MPEG-4 video, left half red and right half blue, with a display rotation."""
    picture = Image.new("RGB", (64, 48), "red")
    picture.paste((0, 0, 255), (32, 0, 64, 48))
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        if degrees:
            stream.set_display_rotation(degrees)
        for index in range(15):
            frame = av.VideoFrame.from_image(picture).reformat(format="yuv420p")
            frame.pts = index
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


@pytest.mark.parametrize("degrees", [0, 90, 180, 270])
def test_a_video_s_thumbnail_is_turned_as_the_video_is_shown(tmp_path: Path, degrees: int) -> None:
    """Against the clockwise display rotation the metadata reader finds in the track header
    (its own parser, checked against FFmpeg in test_metadata.py)."""
    video = two_colour_video(tmp_path / "turned.mp4", degrees)
    shown = extract_metadata(video, "video/mp4")["rotation"]
    assert isinstance(shown, int)
    expected = Image.new("RGB", (64, 48), "red")
    expected.paste((0, 0, 255), (32, 0, 64, 48))
    expected = expected.rotate(-shown, expand=True)  # PIL turns counter-clockwise
    thumb = thumbnail_of(render_preview(video, "video/mp4").thumbnail).convert("RGB")
    assert thumb.size == expected.size
    for x, y in ((8, 8), (thumb.width - 8, thumb.height - 8)):
        got, want = thumb.getpixel((x, y)), expected.getpixel((x, y))
        assert isinstance(got, tuple) and isinstance(want, tuple)
        assert max(abs(g - w) for g, w in zip(got, want, strict=True)) < 60, (x, y, got, want)


def test_files_without_a_picture_or_with_a_broken_one(tmp_path: Path) -> None:
    audio = tmp_path / "a.wav"
    audio.write_bytes(encode_audio("wav", "pcm_s16le"))
    assert render_preview(audio, "audio/wav").state == "none"
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 200)
    failed = render_preview(broken, "image/jpeg")
    assert failed.state == "failed" and failed.thumbnail is None and failed.note
    truncated = tmp_path / "cut.mov"
    require_shared(VIDEO_MOV)
    truncated.write_bytes(VIDEO_MOV.read_bytes()[:2000])
    assert render_preview(truncated, "video/quicktime").state == "failed"


def test_the_service_makes_each_preview_once_and_lists_what_is_missing(
    services: Services, tmp_path: Path
) -> None:
    require_shared(PHOTO)
    photo = services.vault.ingest_file(PHOTO).record.sha256
    audio_file = tmp_path / "a.wav"
    audio_file.write_bytes(encode_audio("wav", "pcm_s16le"))
    services.vault.ingest_file(audio_file)
    assert services.previews.missing() == [photo]  # only photos and videos get one
    assert services.previews.get(photo) is None
    first = services.previews.make(photo)
    assert first.state == "made"
    again = services.previews.make(photo)  # a job delivered twice: the stored one, as it was
    assert again == first
    assert services.previews.missing() == []
    listed = services.previews.states([photo, "ab" * 32])
    assert set(listed) == {photo} and listed[photo].thumbnail is None  # no bytes for a list
    assert listed[photo].phash == first.phash


def test_the_preview_job_records_its_outcome(services: Services) -> None:
    require_shared(PHOTO)
    sha = services.vault.ingest_file(PHOTO).record.sha256
    job_id = services.jobs.create("evidence.preview", {"sha256": sha}, "")
    tasks.run(services, job_id)
    status = services.jobs.get(job_id)
    assert status.state == "done" and status.message == "preview made"
    stored = services.previews.get(sha)
    assert stored is not None and status.result == {"state": "made", "phash": stored.phash}


def test_witness_evidence_previews_catches_up(settings: Settings) -> None:
    require_shared(PHOTO)
    witness(settings, "init", "--origin", "cli.test/log")
    photo = settings.home / "photo.jpg"
    photo.write_bytes(PHOTO.read_bytes())
    witness(settings, "evidence", "add", str(photo))
    made = witness(settings, "evidence", "previews")
    assert "1 previews made, 0 could not be made" in made.stdout
    assert "made: phash" in made.stderr
    assert "0 previews made" in witness(settings, "evidence", "previews").stdout
    queued = witness(settings, "evidence", "previews", "--background", check=False)
    assert queued.returncode == 2 and "OPENWITNESS_JOBS=redis" in queued.stderr
