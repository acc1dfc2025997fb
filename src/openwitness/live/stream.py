"""Is a chunk the continuation of its recording? A walk over the container's structure that
carries on across chunks.

MediaRecorder cuts its stream every few seconds wherever it happens to be, often inside an
element (a chunk can begin with the second byte of a WebM SimpleBlock), so a chunk after the
first cannot be parsed on its own, and no media library reads a stream in pieces that way (PyAV
would need the whole recording again for every chunk). The containers are simple length-prefixed
structures, though: this walks element or box headers, skipping their bodies, and keeps between
chunks only where the next header starts and the few bytes of a header cut in two. Bytes that
are not the recording's container (another file, text, noise) fail within a few headers.

Written here because it is the project's own check; it reads headers only, never media data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import filetype

from openwitness.evidence.service import UnsupportedMediaType
from openwitness.evidence.sniff import sniff_media_type

#: EBML and Matroska element ids (RFC 8794, RFC 9559) that may follow one another at the levels
#: a recording's stream is walked: the EBML header, the Segment's children and a Cluster's.
_EBML_HEADER = 0x1A45DFA3
_SEGMENT = 0x18538067
_CLUSTER = 0x1F43B675
_DESCEND = {_SEGMENT, _CLUSTER}
_MATROSKA_IDS = {
    _EBML_HEADER, _SEGMENT, _CLUSTER,
    0x114D9B74, 0x1549A966, 0x1654AE6B, 0x1C53BB6B, 0x1941A469, 0x1043A770, 0x1254C367,  # Segment
    0xE7, 0xA3, 0xA0, 0xAB, 0xA7, 0xAF, 0x5854,  # Cluster: timestamp, blocks, sizes, positions
    0xEC, 0xBF,  # Void, CRC-32: anywhere
}  # fmt: skip

#: ISO-BMFF top-level boxes of a (fragmented) MP4 recording (ISO/IEC 14496-12).
_MP4_BOXES = {
    b"ftyp", b"moov", b"moof", b"mdat", b"free", b"skip", b"sidx", b"styp", b"mfra", b"emsg",
    b"prft", b"uuid", b"meta", b"wide", b"pdin", b"ssix",
}  # fmt: skip


@dataclass(frozen=True)
class StreamState:
    """Where the walk stands after a chunk: bytes of an element body still to skip, and the
    start of a header cut off at the chunk's end."""

    skip: int = 0
    pending: bytes = b""

    def dumps(self) -> str:
        return json.dumps({"skip": self.skip, "pending": self.pending.hex()})

    @classmethod
    def loads(cls, text: str | None) -> StreamState:
        if not text:
            return cls()
        saved = json.loads(text)
        return cls(int(saved["skip"]), bytes.fromhex(saved["pending"]))


class NotTheRecording(UnsupportedMediaType):
    """The chunk's bytes do not continue the recording's container."""


def _vint(data: bytes, at: int, keep_marker: bool) -> tuple[int, int] | None:
    """An EBML variable-length integer at ``at``: (value, length), or None if cut off."""
    if at >= len(data):
        return None
    first = data[at]
    length = 9 - first.bit_length() if first else 9
    if length > 8:
        raise ValueError("no length marker")
    if at + length > len(data):
        return None
    value = first if keep_marker else first & ((1 << (8 - length)) - 1)
    for byte in data[at + 1 : at + length]:
        value = (value << 8) | byte
    return value, length


def _ebml_header(data: bytes, at: int) -> tuple[int, int | None] | None:
    """(header length, body size or None for unknown) of the element at ``at``."""
    element = _vint(data, at, keep_marker=True)
    if element is None:
        return None
    element_id, id_length = element
    if element_id not in _MATROSKA_IDS:
        raise ValueError(f"element {element_id:#x} is not part of a WebM recording")
    size = _vint(data, at + id_length, keep_marker=False)
    if size is None:
        return None
    body, size_length = size
    unknown = body == (1 << (7 * size_length)) - 1  # every value bit set: "size unknown"
    header = id_length + size_length
    if element_id in _DESCEND:
        return header, 0  # walk into it: its children follow
    if unknown:
        raise ValueError(f"element {element_id:#x} has an unknown size")
    return header, body


def _mp4_header(data: bytes, at: int) -> tuple[int, int | None] | None:
    if at + 8 > len(data):
        return None
    size = int.from_bytes(data[at : at + 4], "big")
    kind = data[at + 4 : at + 8]
    if kind not in _MP4_BOXES:
        raise ValueError(f"box {kind!r} is not part of an MP4 recording")
    if size == 1:
        if at + 16 > len(data):
            return None
        size, header = int.from_bytes(data[at + 8 : at + 16], "big"), 16
    elif size == 0:
        raise ValueError("a box that runs to the end of the file cannot be followed")
    else:
        header = 8
    if size < header:
        raise ValueError(f"box {kind!r} is shorter than its own header")
    return header, size - header


def _ogg_header(data: bytes, at: int) -> tuple[int, int | None] | None:
    if at + 27 > len(data):
        return None
    if data[at : at + 4] != b"OggS" or data[at + 4] != 0:
        raise ValueError("an Ogg page does not start here")
    segments = data[at + 26]
    if at + 27 + segments > len(data):
        return None
    return 27 + segments, sum(data[at + 27 : at + 27 + segments])


_WALKERS = {"webm": _ebml_header, "matroska": _ebml_header, "mp4": _mp4_header, "ogg": _ogg_header}


def container_of(media_type: str) -> str | None:
    """The walk for a recording's sniffed type, or None for one it does not know."""
    subtype = media_type.split("/", 1)[-1].removeprefix("x-")
    return subtype if subtype in _WALKERS else None


def advance(media_type: str, state: StreamState, chunk: bytes, seq: int) -> StreamState:
    """Walk ``chunk`` from ``state``; the state after it, or NotTheRecording naming where."""
    container = container_of(media_type)
    if container is None:
        return state
    walker = _WALKERS[container]
    if state.skip >= len(chunk):
        return StreamState(state.skip - len(chunk))
    data = state.pending + chunk[state.skip :]
    at = 0
    offset = state.skip - len(state.pending)  # where ``data`` starts in the chunk
    while at < len(data):
        try:
            header = walker(data, at)
        except ValueError as exc:
            raise NotTheRecording(
                f"chunk {seq} is not the continuation of this recording: at its byte "
                f"{max(offset + at, 0):,}, {exc}"
            ) from None
        if header is None:
            return StreamState(0, data[at:])
        header_length, body = header
        at += header_length + (body or 0)
    return StreamState(at - len(data))


def _looks_like_text(head: bytes) -> bool:
    """Compressed audio and video are never mostly printable text; a page or a form is."""
    sample = head[:4096]
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError:
        return False
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return printable >= 0.95 * len(text)


def check_continuation(seq: int, head: bytes) -> None:
    """A chunk after the first starts anywhere inside the recording's stream (MediaRecorder
    cuts between and inside elements), so it cannot be parsed alone; but it can be refused
    when its bytes are plainly something else: a whole file of a known type, or text."""
    known = sniff_media_type(head) or (filetype.guess_mime(head) if head else None)
    if known is not None:
        raise UnsupportedMediaType(
            f"chunk {seq} is a whole {known} file, not the continuation of this recording"
        )
    if _looks_like_text(head):
        raise UnsupportedMediaType(f"chunk {seq} is text, not the continuation of a recording")
