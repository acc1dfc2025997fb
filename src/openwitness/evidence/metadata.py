"""Read when, where and with what a piece of evidence was recorded, and its C2PA provenance.

Each fact comes from a library made for the format: PyAV (FFmpeg) for audio and video
containers, Pillow (with pillow-heif) to size an image and locate its EXIF block, exifread to
decode that EXIF, and c2pa-python for Content Credentials. Two small parsers are ours:
ISO 6709 location strings (no library in the environment parses them) and the ISO-BMFF track
header matrix for video rotation (PyAV 18 does not expose the stream display matrix, and
decoding a frame to get it fails on files whose media data is missing or damaged).

Uploads are hostile or broken as often as not, so extraction never raises because of a file's
contents: every extractor runs behind its own boundary, keeps what it read, and turns a failure
into an ``errors`` entry that says which extractor failed and why.

Nothing here touches the network. FFmpeg is held to the ``file`` protocol with a fixed
demuxer (so a crafted playlist cannot make it fetch URLs) and C2PA reading runs with remote
manifest and OCSP fetching switched off.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import math
import re
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path
from typing import IO, Any

import av
import c2pa
import exifread
import pillow_heif
from av.stream import Disposition
from PIL import Image

from openwitness.evidence.sniff import ALLOWED_MEDIA_TYPES

#: files a capability reads itself (chat exports: text, JSON, zip); no capture metadata
DOCUMENT_TYPES_WITHOUT_METADATA = ("text/plain", "application/json", "application/zip")

__all__ = ["extract_metadata", "parse_iso6709"]

# --- result ---------------------------------------------------------------------------------


@dataclass
class _Metadata:
    """The extraction result while it is being filled in; :meth:`as_dict` is the public form."""

    capture_time: str | None = None
    capture_time_zone_known: bool | None = None
    gps: dict[str, float | None] | None = None
    device: dict[str, str | None] = field(
        default_factory=lambda: {"make": None, "model": None, "software": None}
    )
    duration_s: float | None = None
    width: int | None = None
    height: int | None = None
    rotation: int | None = None
    codecs: list[dict[str, str]] = field(default_factory=list)
    c2pa: dict[str, object] | None = None
    errors: list[dict[str, str]] = field(default_factory=list)

    def set_capture_time(self, moment: datetime) -> None:
        timespec = "seconds" if moment.microsecond == 0 else "microseconds"
        self.capture_time = moment.isoformat(timespec=timespec)
        self.capture_time_zone_known = moment.tzinfo is not None

    def fail(self, extractor: str, reason: str) -> None:
        self.errors.append({"extractor": extractor, "reason": reason})

    def as_dict(self) -> dict[str, object]:
        return {
            "capture_time": self.capture_time,
            "capture_time_zone_known": self.capture_time_zone_known,
            "gps": self.gps,
            "device": self.device,
            "duration_s": self.duration_s,
            "width": self.width,
            "height": self.height,
            "rotation": self.rotation,
            "codecs": self.codecs,
            "c2pa": self.c2pa,
            "errors": self.errors,
        }


def _describe(exc: BaseException, path: Path) -> str:
    """A one-line reason for an error entry, without the server's file path in it."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    text = text.replace(str(path), "the file")
    if len(text) > 300:
        text = text[:297] + "..."
    return text


def _run(
    meta: _Metadata, path: Path, extractor: str, action: str, step: Callable[[], None]
) -> None:
    """Run one extraction step; a failure is recorded, never raised (the extractor boundary)."""
    try:
        step()
    except Exception as exc:  # a hostile file can make any library raise anything
        meta.fail(extractor, f"could not {action}: {_describe(exc, path)}")


# --- shared parsing helpers ---------------------------------------------------------------------

# ISO 6709 Annex H string form as written by phones: "+DD.D+DDD.D[+AAA.A][CRS...]/". Degrees
# may also be given as ±DDMM.M / ±DDDMM.M or ±DDMMSS.S / ±DDDMMSS.S (Annex H.3).
_ISO6709 = re.compile(
    r"^(?P<lat>[+-]\d+(?:\.\d*)?)(?P<lon>[+-]\d+(?:\.\d*)?)(?P<alt>[+-]\d+(?:\.\d*)?)?"
    r"(?:CRS[^/]*)?/?$"
)


def _iso6709_angle(text: str, degree_digits: int) -> float | None:
    sign = -1.0 if text[0] == "-" else 1.0
    body = text[1:]
    whole, _, _ = body.partition(".")
    if len(whole) <= degree_digits:  # ±D.D from lax writers is still plain degrees
        value = float(body)
    elif len(whole) == degree_digits + 2:
        value = float(body[:degree_digits]) + float(body[degree_digits:]) / 60
    elif len(whole) == degree_digits + 4:
        value = (
            float(body[:degree_digits])
            + float(body[degree_digits : degree_digits + 2]) / 60
            + float(body[degree_digits + 2 :]) / 3600
        )
    else:
        return None
    return sign * value


def parse_iso6709(value: str) -> dict[str, float | None] | None:
    """Parse an ISO 6709 point such as ``+37.7858-122.4064+000.000/`` into lat/lon/alt.

    Returns None when the text is not a valid point (wrong form or out-of-range degrees).
    """
    match = _ISO6709.match(value.strip())
    if match is None:
        return None
    lat = _iso6709_angle(match["lat"], 2)
    lon = _iso6709_angle(match["lon"], 3)
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return None
    alt = float(match["alt"]) if match["alt"] else None
    return {"lat": lat, "lon": lon, "alt": alt}


def _parse_iso_datetime(text: str) -> datetime | None:
    """Parse a full ISO 8601 date-time (``2015-01-19T12:45:11-0800``, ``...Z``); else None."""
    text = text.strip()
    if len(text) < 16 or text[10] not in "T ":
        return None  # a year or a bare date is not a capture time
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _plausible(moment: datetime) -> bool:
    # Containers store "unset" as 0, which readers show as 1904-01-01 or 1970-01-01.
    return moment.year > 1970


# --- audio and video (PyAV) ---------------------------------------------------------------------

# The FFmpeg demuxer for each type. Naming it (instead of letting FFmpeg probe) means a file
# that merely looks like a playlist or concat script is never interpreted as one.
DEMUXERS = {
    "video/mp4": "mov",
    "video/quicktime": "mov",
    "video/3gpp": "mov",
    "audio/mp4": "mov",
    "video/webm": "matroska",
    "video/x-matroska": "matroska",
    "audio/mpeg": "mp3",
    "audio/aac": "aac",
    "audio/wav": "wav",
    "audio/ogg": "ogg",
    "audio/opus": "ogg",
    "audio/amr": "amr",
}
_BMFF_TYPES = frozenset({"video/mp4", "video/quicktime", "video/3gpp", "audio/mp4"})

_LOCATION_TAGS = ("com.apple.quicktime.location.iso6709", "location", "location-eng")
_TIME_TAGS = ("com.apple.quicktime.creationdate", "creation_time", "date")


def _first_tag(tags: dict[str, str], *names: str) -> str | None:
    for name in names:
        value = tags.get(name, "").strip()
        if value:
            return value
    return None


def _read_av(path: Path, media_type: str, meta: _Metadata) -> dict[str, str]:
    """Read duration, streams and dimensions; return the container tags (lower-cased keys)."""
    options = {"protocol_whitelist": "file"}
    with av.open(
        str(path), "r", format=DEMUXERS[media_type], options=options, metadata_errors="replace"
    ) as container:
        tags = {key.lower(): value for key, value in container.metadata.items()}
        if container.duration is not None and container.duration > 0:
            meta.duration_s = container.duration / av.time_base
        for stream in container.streams:
            if stream.type not in ("video", "audio"):
                continue
            if stream.type == "video" and stream.disposition & Disposition.attached_pic:
                continue  # cover art inside an audio file, not a video track
            # The codec's canonical name ("mp3", "vorbis"), not the decoder's ("mp3float").
            context = stream.codec_context  # None when FFmpeg has no decoder for it
            codec = context.codec.canonical_name if context is not None else "unknown"
            meta.codecs.append({"type": stream.type, "codec": codec})
            if isinstance(stream, av.VideoStream) and meta.width is None:
                meta.width = stream.codec_context.width or None
                meta.height = stream.codec_context.height or None
                rotate = stream.metadata.get("rotate")  # older FFmpeg still exported this tag
                if rotate is not None and rotate.lstrip("-").isdigit():
                    meta.rotation = int(rotate) % 360
        if meta.duration_s is None:
            durations = [
                float(s.duration * s.time_base)
                for s in container.streams
                if s.duration is not None and s.time_base is not None
            ]
            meta.duration_s = max(durations, default=None)
    return tags


def _av_capture_time(tags: dict[str, str], meta: _Metadata) -> None:
    # Apple's key carries the local zone; ISO-BMFF/Matroska creation_time is UTC by definition
    # (FFmpeg writes it with a Z); ©day/ID3 "date" may have a zone or not.
    for name in _TIME_TAGS:
        value = tags.get(name)
        if not value:
            continue
        moment = _parse_iso_datetime(value)
        if moment is not None and _plausible(moment):
            meta.set_capture_time(moment)
            return


def _av_location(tags: dict[str, str], meta: _Metadata) -> None:
    value = _first_tag(tags, *_LOCATION_TAGS)
    if value is None:
        return
    point = parse_iso6709(value)
    if point is None:
        raise ValueError(f"location tag {value[:60]!r} is not an ISO 6709 point")
    meta.gps = point


def _av_device(tags: dict[str, str], meta: _Metadata) -> None:
    android = _first_tag(tags, "com.android.version")
    meta.device = {
        "make": _first_tag(tags, "com.apple.quicktime.make", "make", "com.android.manufacturer"),
        "model": _first_tag(tags, "com.apple.quicktime.model", "model", "com.android.model"),
        "software": (
            _first_tag(tags, "com.apple.quicktime.software", "software")
            or (f"Android {android}" if android else None)
            or _first_tag(tags, "encoder")  # the program that wrote the file, e.g. Lavf
        ),
    }


# ISO-BMFF boxes (ISO/IEC 14496-12): moov > trak > tkhd holds the display matrix, and
# trak > mdia > hdlr says whether the track is video.
_MAX_MOOV_BYTES = 64 * 1024 * 1024


def _boxes(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Yield (type, payload) for each box in ``data``; raise ValueError on a malformed one."""
    pos = 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > len(data):
                raise ValueError(f"box {kind!r} has a truncated 64-bit size")
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = len(data) - pos
        if size < header or pos + size > len(data):
            raise ValueError(f"box {kind!r} is larger than the box that contains it")
        yield kind, data[pos + header : pos + size]
        pos += size


def _child(data: bytes, kind: bytes) -> bytes | None:
    return next((payload for k, payload in _boxes(data) if k == kind), None)


def _read_moov(fh: IO[bytes]) -> bytes | None:
    file_size = fh.seek(0, io.SEEK_END)
    pos = 0
    while pos + 8 <= file_size:
        fh.seek(pos)
        head = fh.read(16)
        size, kind = struct.unpack_from(">I4s", head)
        header = 8
        if size == 1 and len(head) == 16:
            (size,) = struct.unpack_from(">Q", head, 8)
            header = 16
        elif size == 0:
            size = file_size - pos
        if size < header:
            raise ValueError(f"top-level box {kind!r} has an impossible size {size}")
        if kind == b"moov":
            if size > _MAX_MOOV_BYTES:
                raise ValueError(f"moov box of {size} bytes is larger than we will read")
            if pos + size > file_size:
                raise ValueError("moov box is cut short by the end of the file")
            fh.seek(pos + header)
            return fh.read(size - header)
        pos += size
    return None


def _matrix_rotation(tkhd: bytes) -> int:
    """Clockwise display rotation in degrees from a tkhd matrix (as ``ffprobe``'s inverse)."""
    offset = 52 if tkhd[0] == 1 else 40  # version 1 has 64-bit times and duration
    if len(tkhd) < offset + 36:
        raise ValueError("tkhd box is too short to hold its matrix")
    a, b = struct.unpack_from(">ii", tkhd, offset)
    return round(math.degrees(math.atan2(b, a))) % 360


def _bmff_rotation(path: Path, meta: _Metadata) -> None:
    with path.open("rb") as fh:
        moov = _read_moov(fh)
    if moov is None:
        return
    for kind, trak in _boxes(moov):
        if kind != b"trak":
            continue
        mdia = _child(trak, b"mdia")
        hdlr = _child(mdia, b"hdlr") if mdia is not None else None
        tkhd = _child(trak, b"tkhd")
        if hdlr is not None and hdlr[8:12] == b"vide" and tkhd is not None:
            meta.rotation = _matrix_rotation(tkhd)
            return


def _extract_av(path: Path, media_type: str, meta: _Metadata) -> None:
    tags: dict[str, str] = {}

    def read() -> None:
        tags.update(_read_av(path, media_type, meta))

    _run(meta, path, "av", "read the media container with PyAV", read)
    _run(meta, path, "av", "read the capture time", lambda: _av_capture_time(tags, meta))
    _run(meta, path, "av", "read the location", lambda: _av_location(tags, meta))
    _run(meta, path, "av", "read the device tags", lambda: _av_device(tags, meta))
    if media_type in _BMFF_TYPES and ALLOWED_MEDIA_TYPES[media_type] == "video":
        step = functools.partial(_bmff_rotation, path, meta)
        _run(meta, path, "rotation", "read the track rotation matrix", step)


# --- images (Pillow + exifread) -------------------------------------------------------------

_PIL_FORMATS = {
    "image/jpeg": ["JPEG", "MPO"],  # MPO: multi-picture JPEG as iPhones write it
    "image/png": ["PNG"],
    "image/webp": ["WEBP"],
    "image/heic": ["HEIF"],
    "image/heif": ["HEIF"],
}

# exifread reports damage only through its logger. These messages mean part of the EXIF could not
# be decoded; others ("No values found for GPS SubIFD", "no EXIF found") only mean "absent".
_EXIF_DAMAGE_PREFIXES = (
    "Possibly corrupted",
    "Unexpected slice length",
    "IFD loop detected",
    "OverflowError at position",
    "MemoryError at position",
)


@functools.cache
def _load_image_plugins() -> None:
    # Pillow loads only its common plugins until init(); "MPO" and HEIF must be registered
    # before Image.open(formats=...) can name them.
    Image.init()
    pillow_heif.register_heif_opener()


class _ThreadRecords(logging.Handler):
    """Collects the records this thread logs, so concurrent extractions do not mix."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


@contextmanager
def _exifread_warnings() -> Iterator[list[str]]:
    logger = logging.getLogger("exifread")
    handler = _ThreadRecords()
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


def _read_pillow(path: Path, media_type: str, meta: _Metadata) -> bytes | None:
    """Set the pixel size; return the raw EXIF block Pillow found, if any."""
    _load_image_plugins()
    with Image.open(path, formats=_PIL_FORMATS[media_type]) as image:
        meta.width, meta.height = image.size
        raw = image.info.get("exif")
    return raw if isinstance(raw, bytes) and raw else None


def _read_exif_tags(path: Path, raw: bytes | None, meta: _Metadata) -> dict[str, Any]:
    # Pillow finds EXIF blocks that exifread's own JPEG walker misses (one after an XMP APP1
    # segment, for instance), so its block is decoded when there is one; otherwise exifread
    # searches the file itself, which also covers files Pillow could not open.
    with _exifread_warnings() as warnings:
        if raw is not None:
            tiff = raw[6:] if raw.startswith(b"Exif\x00\x00") else raw
            if tiff[:4] not in (b"II*\x00", b"MM\x00*"):
                raise ValueError("the EXIF block does not start with a TIFF header")
            tags = exifread.process_file(io.BytesIO(tiff), details=False)
            if not tags:
                raise ValueError("the EXIF block is present but none of its tags could be read")
        else:
            with path.open("rb") as fh:
                tags = exifread.process_file(fh, details=False)
    damage = sorted({m for m in warnings if m.startswith(_EXIF_DAMAGE_PREFIXES)})
    if damage:
        shown = "; ".join(damage[:5]) + ("; ..." if len(damage) > 5 else "")
        meta.fail("exif", f"EXIF is partly corrupt, some tags were skipped: {shown}")
    return tags


def _tag_text(tags: dict[str, Any], name: str) -> str | None:
    tag = tags.get(name)
    if tag is None:
        return None
    value = tag.values
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        value = str(tag.printable)
    value = value.strip("\x00 ")
    return value or None


_EXIF_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")


def _exif_datetime(text: str | None) -> datetime | None:
    if text is None or not text.strip(" :0"):
        return None  # unset: blank or all zeros, as cameras write it
    for layout in ("%Y:%m:%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y:%m:%d %H:%M"):
        try:
            return datetime.strptime(text[:19], layout)
        except ValueError:
            continue
    raise ValueError(f"date-time {text[:40]!r} is not in EXIF form")


def _exif_capture_time(tags: dict[str, Any], meta: _Metadata) -> None:
    # DateTimeOriginal is when the shutter fired; DateTimeDigitized is the fallback. The plain
    # DateTime tag is when the file was last changed, so it is never used as capture time.
    pairs = (
        ("EXIF DateTimeOriginal", "EXIF OffsetTimeOriginal"),
        ("EXIF DateTimeDigitized", "EXIF OffsetTimeDigitized"),
    )
    for time_tag, offset_tag in pairs:
        moment = _exif_datetime(_tag_text(tags, time_tag))
        if moment is None:
            continue
        offset = _EXIF_OFFSET.match(_tag_text(tags, offset_tag) or "")
        if offset is not None:
            sign = -1 if offset[1] == "-" else 1
            delta = timedelta(hours=int(offset[2]), minutes=int(offset[3]))
            moment = moment.replace(tzinfo=timezone(sign * delta))
        meta.set_capture_time(moment)
        return


def _rational(value: object) -> float:
    if isinstance(value, Fraction):
        if value.denominator == 0:
            raise ValueError("a GPS value has a zero denominator")
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    raise ValueError(f"a GPS value has the unexpected type {type(value).__name__}")


def _exif_degrees(tags: dict[str, Any], value_tag: str, ref_tag: str, negative: str) -> float:
    parts = [_rational(v) for v in tags[value_tag].values[:3]]
    if not parts:
        raise ValueError(f"{value_tag} is empty")
    degrees = sum(part / 60.0**i for i, part in enumerate(parts))  # degrees, minutes, seconds
    ref = (_tag_text(tags, ref_tag) or "").upper()
    return -degrees if ref.startswith(negative) else degrees


def _exif_gps(tags: dict[str, Any], meta: _Metadata) -> None:
    if "GPS GPSLatitude" not in tags or "GPS GPSLongitude" not in tags:
        return  # no GPS IFD, or one without coordinates (only a version, say)
    lat = _exif_degrees(tags, "GPS GPSLatitude", "GPS GPSLatitudeRef", "S")
    lon = _exif_degrees(tags, "GPS GPSLongitude", "GPS GPSLongitudeRef", "W")
    if abs(lat) > 90 or abs(lon) > 180:
        raise ValueError(f"coordinates {lat}, {lon} are out of range")
    alt: float | None = None
    if "GPS GPSAltitude" in tags and tags["GPS GPSAltitude"].values:
        alt = _rational(tags["GPS GPSAltitude"].values[0])
        ref = tags.get("GPS GPSAltitudeRef")
        if ref is not None and ref.values and ref.values[0] == 1:  # 1 = below sea level
            alt = -alt
    meta.gps = {"lat": lat, "lon": lon, "alt": alt}


def _exif_device(tags: dict[str, Any], meta: _Metadata) -> None:
    meta.device = {
        "make": _tag_text(tags, "Image Make"),
        "model": _tag_text(tags, "Image Model"),
        "software": _tag_text(tags, "Image Software"),
    }


def _extract_image(path: Path, media_type: str, meta: _Metadata) -> None:
    raw: list[bytes | None] = [None]
    tags: dict[str, Any] = {}

    def pillow() -> None:
        raw[0] = _read_pillow(path, media_type, meta)

    def exif() -> None:
        tags.update(_read_exif_tags(path, raw[0], meta))

    _run(meta, path, "image", "read the image with Pillow", pillow)
    _run(meta, path, "exif", "read EXIF with exifread", exif)
    _run(meta, path, "exif", "read the capture time", lambda: _exif_capture_time(tags, meta))
    _run(meta, path, "exif", "read the GPS position", lambda: _exif_gps(tags, meta))
    _run(meta, path, "exif", "read the device tags", lambda: _exif_device(tags, meta))


# --- C2PA (c2pa-python) -------------------------------------------------------------------------

# c2pa-rs fetches a manifest from the URL an asset points to unless told not to, and can check
# certificates over OCSP; evidence intake must not make network requests on an uploader's behalf.
# Trust settings stay at their defaults: test-signed files then report signingCredential.untrusted.
_C2PA_SETTINGS = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}


@functools.cache
def _c2pa_formats() -> frozenset[str]:
    return frozenset(str(t) for t in c2pa.Reader.get_supported_mime_types())


def _as_dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _status_codes(holder: dict[str, Any]) -> list[str]:
    """Codes from ``validation_status`` or, in newer stores, the active manifest's failures."""
    entries = _as_list(holder.get("validation_status"))
    if not entries:
        results = _as_dict(_as_dict(holder.get("validation_results")).get("activeManifest"))
        entries = _as_list(results.get("failure"))
    codes = (_as_dict(entry).get("code") for entry in entries)
    return [code for code in codes if isinstance(code, str)]


def _claim_generator(manifest: dict[str, Any]) -> str | None:
    generator = _str_or_none(manifest.get("claim_generator"))
    if generator is not None:
        return generator
    info = _as_list(manifest.get("claim_generator_info"))
    first = _as_dict(info[0]) if info else {}
    name, version = _str_or_none(first.get("name")), _str_or_none(first.get("version"))
    if name is None:
        return None
    return f"{name}/{version}" if version else name


def _summarise_c2pa(store: dict[str, Any], state: object) -> dict[str, object]:
    manifests = _as_dict(store.get("manifests"))
    active = _as_dict(manifests.get(_str_or_none(store.get("active_manifest")) or ""))
    signature = _as_dict(active.get("signature_info"))
    ingredients = [
        {
            "title": _str_or_none(item.get("title")),
            "relationship": _str_or_none(item.get("relationship")),
            "status_codes": _status_codes(item),
        }
        for item in map(_as_dict, _as_list(active.get("ingredients")))
    ]
    return {
        "validation_state": _str_or_none(state),
        "status_codes": _status_codes(store),
        "manifest_count": len(manifests),
        "claim_generator": _claim_generator(active),
        "issuer": _str_or_none(signature.get("issuer")),
        "signed_at": _str_or_none(signature.get("time")),
        "ingredients": ingredients,
    }


def _read_c2pa(path: Path, media_type: str, meta: _Metadata) -> None:
    if media_type not in _c2pa_formats():
        return  # c2pa-rs has no reader for this format (WebM, Ogg, AMR, ...)
    context = c2pa.Context.from_dict(_C2PA_SETTINGS)
    with context, path.open("rb") as fh:
        reader = c2pa.Reader.try_create(media_type, fh, None, context)
        if reader is None:
            return  # no manifest: the normal case, not an error
        with reader:
            state = reader.get_validation_state()
            store = json.loads(reader.json())
    meta.c2pa = _summarise_c2pa(_as_dict(store), state)


# --- entry point --------------------------------------------------------------------------------


def extract_metadata(path: Path, media_type: str) -> dict[str, object]:
    """Extract what the file at ``path`` says about its capture; never raises for bad content.

    ``media_type`` must be what :func:`openwitness.evidence.sniff.sniff_media_type` found in the
    file's bytes. The result is JSON-serialisable and always has the same keys: ``capture_time``,
    ``capture_time_zone_known``, ``gps``, ``device``, ``duration_s``, ``width``, ``height``,
    ``rotation``, ``codecs``, ``c2pa`` and ``errors``.
    """
    meta = _Metadata()
    kind = ALLOWED_MEDIA_TYPES.get(media_type)
    if media_type in DOCUMENT_TYPES_WITHOUT_METADATA:
        return meta.as_dict()
    if kind is None:
        meta.fail("dispatch", f"no metadata extractor for media type {media_type!r}")
        return meta.as_dict()
    if kind in ("video", "audio"):
        _extract_av(path, media_type, meta)
    elif kind == "image":
        _extract_image(path, media_type, meta)
    # Documents (PDF) get no technical metadata here: nothing in our dependencies reads PDF.
    step = functools.partial(_read_c2pa, path, media_type, meta)
    _run(meta, path, "c2pa", "read C2PA content credentials", step)
    return meta.as_dict()
