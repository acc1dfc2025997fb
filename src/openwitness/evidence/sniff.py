"""Decide what an upload is from its first bytes alone.

File names and client ``Content-Type`` headers are chosen by whoever sends the file, so they are
never consulted: the vault accepts a file only when its leading bytes are one of
:data:`ALLOWED_MEDIA_TYPES`. The well-kept ``filetype`` library does the simple magic-number
checks. Small parsers below handle the containers where ``filetype`` cannot tell the
allowed types apart (each says why), and they read only the bytes they are given.
"""

from __future__ import annotations

import filetype

#: How many leading bytes the caller passes to :func:`sniff_media_type`. 64 KiB holds every
#: header we look at (an ISO-BMFF ``ftyp`` box, an EBML header, the first Ogg pages, an ID3 tag
#: header) with room to spare.
SNIFF_BYTES: int = 65536

#: MIME type -> kind, for every type the vault accepts. Anything else is refused.
ALLOWED_MEDIA_TYPES: dict[str, str] = {
    "video/mp4": "video",
    "video/quicktime": "video",
    "video/3gpp": "video",
    "video/webm": "video",
    "video/x-matroska": "video",
    "image/jpeg": "image",
    "image/png": "image",
    "image/heic": "image",
    "image/heif": "image",
    "image/webp": "image",
    "audio/mp4": "audio",
    "audio/aac": "audio",
    "audio/mpeg": "audio",
    "audio/wav": "audio",
    "audio/ogg": "audio",
    "audio/opus": "audio",
    "audio/amr": "audio",
    "application/pdf": "document",
}

# filetype names a few allowed types differently; everything not here or in the allowed set is
# refused.
_FILETYPE_ALIASES = {
    "audio/x-wav": "audio/wav",
    "image/apng": "image/png",  # animated PNG is still a PNG file
}

# --- ISO base media file format (MP4, QuickTime, 3GP, M4A, HEIC/HEIF) -----------------------
# filetype cannot separate these: its MP4 matcher accepts any file listing 'isom'/'mp41'/'mp42'
# (so an M4A or 3GP that lists them becomes video/mp4), it has no image/heif, and it checks
# video before audio. The brands in the ftyp box (ISO/IEC 14496-12 §4.3, registered brands at
# mp4ra.org) say which specification the file follows, so we decide from them.

_HEIC_BRANDS = frozenset({"heic", "heix", "heim", "heis", "hevc", "hevx"})
# Structural brands of HEIF image files (ISO/IEC 23008-12) and MIAF; alone they mean "HEIF".
_HEIF_BRANDS = frozenset({"mif1", "msf1", "mif2", "miaf"})
# HEIF-structured images in codecs we do not accept (AVIF, JPEG XL and JPEG 2000 in HEIF, ...).
_OTHER_IMAGE_BRANDS = frozenset({"avif", "avis", "avio", "jxl ", "j2ki", "j2is", "jpeg", "jpgs"})
_MP4_BRANDS = frozenset(
    {
        "isom", "iso2", "iso3", "iso4", "iso5", "iso6", "iso7", "iso8", "iso9",
        "mp41", "mp42", "mp71", "avc1", "dash", "mmp4", "msnv", "ndas", "m4v ", "m4vh",
        "m4vp", "f4v ", "xavc",
    }
)  # fmt: skip
_M4A_BRANDS = frozenset({"m4a ", "m4b "})
# 3GPP (ETSI TS 126 244) brands: 3gp4..3gp9, 3gg6/3gg9 (general), 3gr*, 3gs*, 3ge*, 3gh*...
# 3GPP2 ('3g2a'...) is a different format we do not accept.
_3GP_PREFIXES = ("3gp", "3gg", "3gr", "3gs", "3ge", "3gh")
# Top-level atoms an old QuickTime file may start with when it has no ftyp box at all.
_QT_LEADING_ATOMS = frozenset({b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"})


def _brand(raw: bytes) -> str:
    return raw.decode("latin-1").lower()


def _is_3gp(brand: str) -> bool:
    return brand.startswith(_3GP_PREFIXES)


def _heif_image(brands: list[str]) -> str | None:
    if any(b in _HEIC_BRANDS for b in brands):
        return "image/heic"
    if any(b in _OTHER_IMAGE_BRANDS for b in brands):
        return None
    return "image/heif"


def _sniff_isobmff(head: bytes) -> str | None:
    """Classify an ISO-BMFF file by its ftyp major brand, then its compatible brands."""
    box_size = int.from_bytes(head[0:4], "big")
    if box_size < 16 or len(head) < 16:
        return None
    end = min(box_size, len(head))
    major = _brand(head[8:12])
    compatible = [_brand(head[i : i + 4]) for i in range(16, end - 3, 4)]
    compatible = [b for b in compatible if b != "\x00" * 4]
    if major in _HEIC_BRANDS:
        return "image/heic"
    if major == "qt  ":
        return "video/quicktime"
    if major.startswith("3g2"):
        return None
    if _is_3gp(major):
        return "video/3gpp"
    if major in _M4A_BRANDS:
        return "audio/mp4"
    if major in _MP4_BRANDS:
        return "video/mp4"
    if major in _HEIF_BRANDS:
        return _heif_image([major, *compatible])
    if major in _OTHER_IMAGE_BRANDS:
        return None
    # Unregistered or vendor major brand: the compatible brands still say what a reader needs.
    if any(b in _HEIF_BRANDS or b in _HEIC_BRANDS for b in compatible):
        return _heif_image(compatible)
    if "qt  " in compatible:
        return "video/quicktime"
    if any(_is_3gp(b) for b in compatible):
        return "video/3gpp"
    if any(b in _M4A_BRANDS for b in compatible):
        return "audio/mp4"
    if any(b in _MP4_BRANDS for b in compatible):
        return "video/mp4"
    return None


def _sniff_legacy_quicktime(head: bytes) -> str | None:
    """QuickTime files written before ftyp existed start directly with a known atom."""
    if len(head) < 8 or head[4:8] not in _QT_LEADING_ATOMS:
        return None
    size = int.from_bytes(head[0:4], "big")
    # 0 = "to end of file", 1 = 64-bit size follows; otherwise a real atom is at least 8 bytes.
    if size in (0, 1) or size >= 8:
        return "video/quicktime"
    return None


# --- EBML (Matroska / WebM) -------------------------------------------------------------------
# filetype looks for fixed byte strings such as b"\x42\x82\x84webm" anywhere in the buffer, which
# misses a DocType whose size is written with a longer (still valid) EBML varint and can match
# bytes that are not the header at all. We read the DocType element (ID 0x4282) of the EBML
# header itself (RFC 8794 §11.2.6 and RFC 9559 §5.1).


def _read_vint(data: bytes, pos: int, keep_marker: bool) -> tuple[int, int] | None:
    """Read an EBML variable-size integer at ``pos``; return (value, next position)."""
    if pos >= len(data):
        return None
    first = data[pos]
    if first == 0:
        return None
    length = 8 - first.bit_length() + 1
    if pos + length > len(data):
        return None
    value = first if keep_marker else first & ((1 << (8 - length)) - 1)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    return value, pos + length


def _sniff_ebml(head: bytes) -> str | None:
    header = _read_vint(head, 0, keep_marker=True)
    if header is None or header[0] != 0x1A45DFA3:
        return None
    size = _read_vint(head, header[1], keep_marker=False)
    if size is None:
        return None
    pos, end = size[1], min(len(head), size[1] + size[0])
    while pos < end:
        element = _read_vint(head, pos, keep_marker=True)
        if element is None:
            return None
        length = _read_vint(head, element[1], keep_marker=False)
        if length is None:
            return None
        start, stop = length[1], length[1] + length[0]
        if element[0] == 0x4282:  # DocType
            doctype = head[start:stop].rstrip(b"\x00")
            if doctype == b"webm":
                return "video/webm"
            if doctype == b"matroska":
                return "video/x-matroska"
            return None
        pos = stop
    return None


# --- Ogg ----------------------------------------------------------------------------------------
# filetype reports every Ogg file as audio/ogg. Opus (RFC 7845) must be told apart, and Ogg can
# also carry video (Theora), which we refuse, so we look at the first packet of each
# beginning-of-stream page (RFC 3533 §6).

_OGG_AUDIO = (
    (b"OpusHead", "audio/opus"),
    (b"\x01vorbis", "audio/ogg"),
    (b"\x7fFLAC", "audio/ogg"),
    (b"Speex   ", "audio/ogg"),
)
_OGG_SKELETON = (b"fishead\x00", b"fisbone\x00")


def _sniff_ogg(head: bytes) -> str | None:
    pos = 0
    while pos + 27 <= len(head) and head[pos : pos + 4] == b"OggS" and head[pos + 4] == 0:
        if not head[pos + 5] & 0x02:  # no longer a beginning-of-stream page
            return None
        segments = head[pos + 26]
        lacing = head[pos + 27 : pos + 27 + segments]
        packet = pos + 27 + segments
        payload = head[packet : packet + sum(lacing)]
        if not payload.startswith(_OGG_SKELETON):
            for magic, media_type in _OGG_AUDIO:
                if payload.startswith(magic):
                    return media_type
            return None  # Theora, Daala or another stream type we do not accept
        pos = packet + sum(lacing)
    return None


# --- MPEG audio behind an ID3v2 tag -------------------------------------------------------------
# filetype calls anything starting with "ID3" an MP3, but ID3v2 tags also precede ADTS AAC and
# even FLAC. The tag's size is in its header (ID3v2.4 §3.1), so we look at what follows it.


def _is_adts(data: bytes) -> bool:
    # 12-bit sync 0xFFF, then layer bits 00 (ISO/IEC 13818-7 §6.2).
    return len(data) >= 2 and data[0] == 0xFF and data[1] & 0xF6 == 0xF0


def _is_mpeg_audio_frame(data: bytes) -> bool:
    # 11-bit sync, a defined version and layer, and a usable bitrate and sample-rate index.
    if len(data) < 4 or data[0] != 0xFF or data[1] & 0xE0 != 0xE0:
        return False
    version, layer = (data[1] >> 3) & 0x3, (data[1] >> 1) & 0x3
    bitrate, sample_rate = data[2] >> 4, (data[2] >> 2) & 0x3
    return version != 1 and layer != 0 and bitrate != 0xF and sample_rate != 0x3


def _sniff_id3(head: bytes) -> str | None:
    if len(head) < 10:
        return None
    size_bytes = head[6:10]
    if any(b & 0x80 for b in size_bytes):  # sizes are "syncsafe": the top bit is always 0
        return None
    size = 0
    for byte in size_bytes:
        size = (size << 7) | byte
    pos = 10 + size + (10 if head[5] & 0x10 else 0)  # flag 0x10: a footer follows the tag
    if pos >= len(head):
        return "audio/mpeg"  # a tag larger than what we were given: ID3 is MPEG audio's tag
    while pos < len(head) and head[pos] == 0:  # some writers pad after the declared size
        pos += 1
    rest = head[pos:]
    if _is_adts(rest):
        return "audio/aac"
    if _is_mpeg_audio_frame(rest):
        return "audio/mpeg"
    return None


def sniff_media_type(head: bytes) -> str | None:
    """Return the allowed MIME type that the leading bytes ``head`` prove, else None.

    ``head`` should be the first :data:`SNIFF_BYTES` bytes of the file (or all of it when it is
    shorter). Only the bytes count; nothing about the upload's name or headers is used.
    """
    if not head:
        return None
    if head[4:8] == b"ftyp":
        return _sniff_isobmff(head)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return _sniff_ebml(head)
    if head.startswith(b"OggS"):
        return _sniff_ogg(head)
    if head.startswith(b"ID3"):
        return _sniff_id3(head)
    legacy = _sniff_legacy_quicktime(head)
    if legacy is not None:
        return legacy
    # What is left has a plain magic number (JPEG, PNG, WebP/WAV by their RIFF form type, PDF,
    # ADTS AAC, MP3 frames, AMR): filetype checks these correctly. Its bare-MP3 check knows the
    # common frame headers only (FF FB/F3/F2); rarer ones (CRC-protected MPEG-1, MPEG-2.5) are
    # refused unless an ID3 tag comes first, which is how nearly all MP3 files start.
    kind = filetype.guess(head)
    if kind is None:
        return None
    mime = str(kind.mime)
    mime = _FILETYPE_ALIASES.get(mime, mime)
    return mime if mime in ALLOWED_MEDIA_TYPES else None
