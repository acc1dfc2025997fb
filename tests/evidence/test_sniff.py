"""Media type sniffing: real samples, real files encoded here, hand-built headers, negatives."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import av
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from openwitness.evidence.sniff import ALLOWED_MEDIA_TYPES, SNIFF_BYTES, sniff_media_type
from tests.evidence.media_factory import encode_audio, write_frames

REPO = Path(__file__).resolve().parents[2]
MEDIA = REPO.parent / "shared" / "data" / "media"


def head_of(data: bytes) -> bytes:
    return data[:SNIFF_BYTES]


# --- the real samples -----------------------------------------------------------------------

REAL_SAMPLES = {
    "ianare__exif-samples/jpg/gps/DSCN0010.jpg": "image/jpeg",
    "ianare__exif-samples/jpg/hdr/iphone_hdr_YES.jpg": "image/jpeg",
    "ianare__exif-samples/jpg/mobile/HMD_Nokia_8.3_5G.jpg": "image/jpeg",
    "ianare__exif-samples/jpg/Canon_40D.jpg": "image/jpeg",
    "ianare__exif-samples/jpg/xmp/no_exif.jpg": "image/jpeg",
    "ianare__exif-samples/jpg/tests/45-gps_ifd.jpg": "image/jpeg",
    "ianare__exif-samples/heic/IMG_5195.HEIC": "image/heic",
    # Named .heif, but its ftyp major brand is 'heic' (HEVC-coded): the bytes say image/heic.
    "ianare__exif-samples/heic/mobile/HMD_Nokia_8.3_5G_hdr.heif": "image/heic",
    "otto001__SwiftVideoUtils/Tests/SwiftVideoUtils/TestImage-iPhone.jpg": "image/jpeg",
    "otto001__SwiftVideoUtils/Tests/SwiftVideoUtils/TestImage.heic": "image/heic",
    "jmathai__elodie/elodie/tests/files/video.mov": "video/quicktime",
    "jmathai__elodie/elodie/tests/files/photo.heic": "image/heic",
    "jmathai__elodie/elodie/tests/files/with-location.jpg": "image/jpeg",
    "jmathai__elodie/elodie/tests/files/with-location-inv.jpg": "image/jpeg",
    "jcodec__jcodec/src/test/resources/metaedit/keyed.mp4": "video/mp4",
    "jcodec__jcodec/src/test/resources/zhuker/1D158634-69DF-4C7F-AB6F-CCC83F04FEDB/1.mp4": (
        "video/mp4"
    ),
    "contentauth__c2pa-rs/sdk/tests/fixtures/C.jpg": "image/jpeg",
    "contentauth__c2pa-rs/sdk/tests/fixtures/CA.jpg": "image/jpeg",
    "contentauth__c2pa-rs/sdk/tests/fixtures/XCA.jpg": "image/jpeg",
    "contentauth__c2pa-rs/sdk/tests/fixtures/E-sig-CA.jpg": "image/jpeg",
    "contentauth__c2pa-rs/sdk/tests/fixtures/CIE-sig-CA.jpg": "image/jpeg",
    "contentauth__c2pa-rs/sdk/tests/fixtures/no_manifest.jpg": "image/jpeg",
    "contentauth__c2pa-rs/sdk/tests/fixtures/video1.mp4": "video/mp4",
}


def _media() -> Path:
    if not MEDIA.is_dir():
        pytest.skip(f"{MEDIA} is missing: the real-sample tests read ../shared/data/media")
    return MEDIA


def test_every_real_sample_is_listed() -> None:
    files = {
        str(p.relative_to(_media()))
        for p in _media().rglob("*")
        if p.is_file() and p.name not in ("README.md", "manifest.json")
    }
    assert files == set(REAL_SAMPLES)


@pytest.mark.parametrize(("relative", "expected"), sorted(REAL_SAMPLES.items()))
def test_real_samples(relative: str, expected: str) -> None:
    path = _media() / relative
    with path.open("rb") as fh:
        assert sniff_media_type(fh.read(SNIFF_BYTES)) == expected


def test_the_name_is_irrelevant() -> None:
    """A JPEG renamed .mp4 is still a JPEG: only bytes are ever passed in."""
    data = (_media() / "jmathai__elodie/elodie/tests/files/with-location.jpg").read_bytes()
    assert sniff_media_type(head_of(data)) == "image/jpeg"
    assert sniff_media_type(head_of(data)[:3]) == "image/jpeg"


# --- real files encoded here with PyAV and Pillow ---------------------------------------------


def _encode_video(fmt: str, codec: str, width: int = 64, height: int = 48) -> bytes:
    """Two black frames, encoded and muxed for real into an in-memory file."""
    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as out:
        write_frames(out, out.add_stream(codec, rate=10), 2, width, height)
    return buf.getvalue()


def _image(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, fmt)
    return buf.getvalue()


ENCODED: dict[str, tuple[Callable[[], bytes], str]] = {
    "webm": (lambda: _encode_video("webm", "libvpx"), "video/webm"),
    "mkv": (lambda: _encode_video("matroska", "mpeg4"), "video/x-matroska"),
    "3gp": (lambda: _encode_video("3gp", "h263", 176, 144), "video/3gpp"),
    "mp4": (lambda: _encode_video("mp4", "mpeg4"), "video/mp4"),
    "mov": (lambda: _encode_video("mov", "mpeg4"), "video/quicktime"),
    "m4a": (lambda: encode_audio("ipod", "aac"), "audio/mp4"),
    "aac-adts": (lambda: encode_audio("adts", "aac"), "audio/aac"),
    "mp3-id3": (lambda: encode_audio("mp3", "libmp3lame", 44100), "audio/mpeg"),
    "mp3-bare": (
        lambda: encode_audio(
            "mp3",
            "libmp3lame",
            44100,
            container_options={"id3v2_version": "0", "write_xing": "0"},
        ),
        "audio/mpeg",
    ),
    "wav": (lambda: encode_audio("wav", "pcm_s16le"), "audio/wav"),
    "ogg-vorbis": (
        lambda: encode_audio("ogg", "vorbis", 44100, "stereo", {"strict": "experimental"}),
        "audio/ogg",
    ),
    "ogg-opus": (lambda: encode_audio("ogg", "libopus"), "audio/opus"),
    "amr": (lambda: encode_audio("amr", "libopencore_amrnb", 8000), "audio/amr"),
    "png": (lambda: _image("PNG"), "image/png"),
    "jpeg": (lambda: _image("JPEG"), "image/jpeg"),
    "webp": (lambda: _image("WEBP"), "image/webp"),
}


@pytest.mark.parametrize("name", sorted(ENCODED))
def test_files_encoded_here(name: str) -> None:
    make, expected = ENCODED[name]
    data = make()
    assert sniff_media_type(head_of(data)) == expected


def test_bare_mp3_really_has_no_id3() -> None:
    data = ENCODED["mp3-bare"][0]()
    assert not data.startswith(b"ID3")
    assert data[0] == 0xFF


# --- hand-built headers for cases the encoders above do not produce -------------------------


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\x00\x00\x00\x08free"


def ebml_header(doctype: bytes, size_vint: bytes) -> bytes:
    element = b"\x42\x86\x81\x01" + b"\x42\x82" + size_vint + doctype
    return b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(element)]) + element + b"\x18\x53\x80\x67"


def ogg_bos_page(packet: bytes, serial: int = 1) -> bytes:
    header = b"OggS\x00\x02" + bytes(8) + struct.pack("<I", serial) + bytes(8)
    return header + bytes([1, len(packet)]) + packet


def id3_tag(payload_size: int) -> bytes:
    size = bytes((payload_size >> shift) & 0x7F for shift in (21, 14, 7, 0))
    return b"ID3\x04\x00\x00" + size + bytes(payload_size)


def riff(form: bytes, chunk: bytes) -> bytes:
    body = form + chunk + struct.pack("<I", 16) + bytes(16)
    return b"RIFF" + struct.pack("<I", len(body)) + body


MPEG1_LAYER3_FRAME = b"\xff\xfb\x90\x64" + bytes(100)
ADTS_FRAME = b"\xff\xf1\x50\x80\x02\x1f\xfc" + bytes(20)
LEGACY_QUICKTIME = b"\x00\x00\x01\x00moov\x00\x00\x00\x6cmvhd" + bytes(64)  # no ftyp box
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"

HEADERS = {
    "heic-major": (ftyp(b"heic", b"mif1", b"heic"), "image/heic"),
    "heic-via-mif1": (ftyp(b"mif1", b"mif1", b"heic"), "image/heic"),
    "heif-brands-only": (ftyp(b"mif1", b"mif1", b"miaf"), "image/heif"),
    "heif-msf1": (ftyp(b"msf1", b"msf1", b"iso8"), "image/heif"),
    "avif-refused": (ftyp(b"avif", b"avif", b"mif1", b"miaf", b"iso8"), None),
    "avif-via-mif1-refused": (ftyp(b"mif1", b"avif", b"mif1", b"miaf"), None),
    "qt": (ftyp(b"qt  ", b"qt  "), "video/quicktime"),
    "qt-compatible-only": (ftyp(b"XYZW", b"qt  "), "video/quicktime"),
    "3gp4": (ftyp(b"3gp4", b"isom", b"3gp4"), "video/3gpp"),
    "3gp-compatible-only": (ftyp(b"XYZW", b"3gp5"), "video/3gpp"),
    "3gpp2-refused": (ftyp(b"3g2a", b"3g2a", b"isom"), None),
    "m4a-with-isom": (ftyp(b"M4A ", b"M4A ", b"mp42", b"isom"), "audio/mp4"),
    "m4a-major-only": (ftyp(b"M4A ", b"isom"), "audio/mp4"),
    "mp4-isom": (ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), "video/mp4"),
    "mp4-unknown-major": (ftyp(b"XYZW", b"mp42"), "video/mp4"),
    "iso-unknown-brands": (ftyp(b"XYZW", b"ABCD"), None),
    "ftyp-too-short": (b"\x00\x00\x00\x0cftypqt  ", None),
    "quicktime-without-ftyp": (LEGACY_QUICKTIME, "video/quicktime"),
    "webm-long-size-vint": (ebml_header(b"webm", b"\x40\x04"), "video/webm"),
    "matroska": (ebml_header(b"matroska", b"\x88"), "video/x-matroska"),
    "ebml-other-doctype": (ebml_header(b"mka2", b"\x84"), None),
    "ebml-without-doctype": (b"\x1a\x45\xdf\xa3\x84\x42\x86\x81\x01", None),
    "ogg-vorbis": (ogg_bos_page(b"\x01vorbis" + bytes(22)), "audio/ogg"),
    "ogg-opus": (ogg_bos_page(b"OpusHead\x01\x01" + bytes(9)), "audio/opus"),
    "ogg-flac": (ogg_bos_page(b"\x7fFLAC\x01\x00" + bytes(40)), "audio/ogg"),
    "ogg-skeleton-then-opus": (
        ogg_bos_page(b"fishead\x00" + bytes(56)) + ogg_bos_page(b"OpusHead\x01\x01", 2),
        "audio/opus",
    ),
    "ogg-theora-refused": (ogg_bos_page(b"\x80theora" + bytes(34)), None),
    "id3-then-mp3": (id3_tag(200) + MPEG1_LAYER3_FRAME, "audio/mpeg"),
    "id3-then-adts": (id3_tag(200) + ADTS_FRAME, "audio/aac"),
    "id3-then-flac-refused": (id3_tag(200) + b"fLaC" + bytes(40), None),
    "id3-larger-than-head": (id3_tag(SNIFF_BYTES * 2)[:SNIFF_BYTES], "audio/mpeg"),
    "adts": (ADTS_FRAME, "audio/aac"),
    "mp3-frame": (MPEG1_LAYER3_FRAME, "audio/mpeg"),
    "amr": (b"#!AMR\n" + bytes(32), "audio/amr"),
    "wav": (riff(b"WAVE", b"fmt "), "audio/wav"),
    "webp": (riff(b"WEBP", b"VP8 "), "image/webp"),
    "avi-refused": (riff(b"AVI ", b"LIST"), None),
    "pdf": (PDF, "application/pdf"),
    "png-magic": (b"\x89PNG\r\n\x1a\n" + bytes(32), "image/png"),
    "jpeg-magic": (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_hand_built_headers(name: str) -> None:
    data, expected = HEADERS[name]
    assert sniff_media_type(data) == expected


# --- things that must be refused --------------------------------------------------------------


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("video.mp4", b"not really")
    return buf.getvalue()


NEGATIVES = {
    "empty": b"",
    "one byte": b"\xff",
    "text": b"Officer badge 1234 stopped us at 21:40 on Main Street.\n",
    "html": b"<!DOCTYPE html>\n<html><head><title>x</title></head><body></body></html>",
    "html with bom": b"\xef\xbb\xbf<html><body>ftyp qt  OggS</body></html>",
    "zip": _zip(),
    "elf": b"\x7fELF\x02\x01\x01\x00" + bytes(56),
    "windows exe": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(64),
    "gzip": b"\x1f\x8b\x08\x00" + bytes(16),
    "gif (an image type we do not accept)": b"GIF89a\x01\x00\x01\x00\x00\x00\x00",
    "flac (audio we do not accept)": b"fLaC\x00\x00\x00\x22" + bytes(34),
    "shell script": b"#!/bin/sh\nrm -rf /\n",
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg"></svg>',
    "zeros": bytes(4096),
}


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_refused(name: str) -> None:
    assert sniff_media_type(NEGATIVES[name]) is None


def test_constants() -> None:
    assert SNIFF_BYTES == 65536
    assert set(ALLOWED_MEDIA_TYPES.values()) == {"video", "image", "audio", "document"}
    for mime in (
        "video/mp4", "video/quicktime", "video/3gpp", "video/webm", "video/x-matroska",
        "image/jpeg", "image/png", "image/heic", "image/heif", "image/webp", "audio/mp4",
        "audio/aac", "audio/mpeg", "audio/wav", "audio/ogg", "audio/opus", "audio/amr",
        "application/pdf",
    ):  # fmt: skip
        assert mime in ALLOWED_MEDIA_TYPES


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    result = sniff_media_type(data)
    assert result is None or result in ALLOWED_MEDIA_TYPES


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(sorted(HEADERS)),
    st.integers(min_value=0, max_value=200),
    st.binary(max_size=64),
)
def test_truncated_or_extended_headers_never_raise(name: str, cut: int, tail: bytes) -> None:
    data = HEADERS[name][0][:cut] + tail
    result = sniff_media_type(data)
    assert result is None or result in ALLOWED_MEDIA_TYPES
