"""Open an export as a person hands it over: a WhatsApp ``.txt``, a WhatsApp "export with
media" ``.zip``, or a Telegram ``result.json``; check it is safe before reading anything.

A zip is never extracted to disk: members are read from it, bounded as they stream, and one
whose name or type could write outside a folder (absolute, ``..``, a symlink) makes the whole
export refused, because a tampered export is itself something a reviewer must be told about.
"""

from __future__ import annotations

import codecs
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from openwitness.screening import ChatExportError, ParsedChat
from openwitness.screening.telegram import looks_like_telegram, parse_telegram
from openwitness.screening.whatsapp import parse_whatsapp

#: the chat's own text; 100,000 messages are ~15 MB, so this is far beyond any real chat
MAX_TEXT_BYTES = 256 * 1024 * 1024
#: members of one zip, and what they may add up to once inflated
MAX_MEMBERS = 50_000
MAX_TOTAL_BYTES = 16 * 1024**3
#: photos and videos barely compress; text compresses ~10x; a ratio past this is a bomb
MAX_RATIO = 200
_RATIO_FLOOR = 1024 * 1024

_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP = b"PK\x05\x06"


@dataclass(frozen=True, slots=True)
class ChatExport:
    """What was read from one export file: its messages, and the zip's other members (the
    media the messages refer to, nested zips kept whole), by their names in the zip."""

    parsed: ParsedChat
    container: str
    chat_member: str | None
    attachments: list[str]


def open_export(path: Path, name: str | None = None) -> ChatExport:
    """Read the export at ``path``; raises ChatExportError naming what is wrong (as
    ``name``, the file's own name by default)."""
    name = name or path.name
    try:
        with path.open("rb") as file:
            head = file.read(4)
    except OSError as error:
        raise ChatExportError(name, f"cannot be read: {error.strerror}") from None
    if head in (_ZIP_MAGIC, _EMPTY_ZIP):
        return _open_zip(path, name)
    if path.stat().st_size > MAX_TEXT_BYTES:
        raise ChatExportError(name, f"is larger than {MAX_TEXT_BYTES // 1024**2} MB of text")
    text = decode(path.read_bytes(), name)
    return ChatExport(
        parse_text(text, name), "json" if looks_like_telegram(text) else "txt", None, []
    )


def parse_text(text: str, name: str) -> ParsedChat:
    """A decoded export: Telegram's JSON starts with ``{``, anything else must be WhatsApp."""
    if looks_like_telegram(text):
        return parse_telegram(text, name)
    return parse_whatsapp(text, name)


def decode(data: bytes, name: str) -> str:
    """UTF-8 (what WhatsApp and Telegram write), with or without a BOM, or UTF-16 with one;
    anything else is refused with the line it fails on rather than read as the wrong letters."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ChatExportError(name, "starts as UTF-16 text but is not") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ChatExportError(
            name,
            f"is not UTF-8 text (byte 0x{data[error.start]:02x} cannot be read); chat apps "
            "export UTF-8, so this file was changed or is not an export: export the chat again",
            line,
        ) from None


def _open_zip(path: Path, name: str) -> ChatExport:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise ChatExportError(name, f"is not a readable zip: {error}") from None
    with archive:
        members = archive.infolist()
        check_members(members, name)
        chat = _chat_member(members, name)
        data = read_member(archive, chat, MAX_TEXT_BYTES, name)
        parsed = parse_text(decode(data, f"{name}:{chat.filename}"), f"{name}:{chat.filename}")
        attachments = [
            m.filename
            for m in members
            if m is not chat and not m.is_dir() and not _is_mac_metadata(m.filename)
        ]
    return ChatExport(parsed, "zip", chat.filename, attachments)


def check_members(members: list[zipfile.ZipInfo], name: str) -> None:
    """Refuse the zip if any member could escape a folder, is encrypted, or inflates past
    the limits, before any member is read."""
    if len(members) > MAX_MEMBERS:
        raise ChatExportError(name, f"holds more than {MAX_MEMBERS:,} files")
    total = 0
    for member in members:
        where = f"member {member.filename!r}"
        posix = PurePosixPath(member.filename.replace("\\", "/"))
        if posix.is_absolute() or ".." in posix.parts or ":" in (posix.parts or ("",))[0]:
            raise ChatExportError(name, f"{where} has a path outside the export; refused")
        if stat.S_ISLNK(member.external_attr >> 16):
            raise ChatExportError(name, f"{where} is a symbolic link; refused")
        if member.flag_bits & 0x1:
            raise ChatExportError(name, f"{where} is encrypted and cannot be read")
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > _RATIO_FLOOR and ratio > MAX_RATIO:
            raise ChatExportError(
                name, f"{where} inflates {ratio:,.0f} times, which no export does (a zip bomb)"
            )
        total += member.file_size
    if total > MAX_TOTAL_BYTES:
        raise ChatExportError(name, f"inflates to more than {MAX_TOTAL_BYTES // 1024**3} GB")


def read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limit: int, name: str) -> bytes:
    """The member's bytes, stopping at ``limit`` whatever its header claims."""
    chunks: list[bytes] = []
    size = 0
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(1024 * 1024):
                size += len(chunk)
                if size > limit or size > max(member.file_size, 0):
                    raise ChatExportError(
                        name, f"member {member.filename!r} is larger than it says or allowed"
                    )
                chunks.append(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as error:
        raise ChatExportError(name, f"member {member.filename!r} cannot be read: {error}") from None
    return b"".join(chunks)


def _is_mac_metadata(filename: str) -> bool:
    # macOS's Archive Utility adds resource forks under __MACOSX/ and ._ files; not evidence
    parts = PurePosixPath(filename).parts
    return bool(parts) and (parts[0] == "__MACOSX" or parts[-1].startswith("._"))


def _chat_member(members: list[zipfile.ZipInfo], name: str) -> zipfile.ZipInfo:
    """The chat's text in an export zip: iOS names it ``_chat.txt``, Android ``WhatsApp Chat
    with ….txt``; a zipped Telegram export holds ``result.json``."""
    candidates = [
        m
        for m in members
        if not m.is_dir()
        and not _is_mac_metadata(m.filename)
        and m.filename.lower().endswith((".txt", ".json"))
    ]

    def base(member: zipfile.ZipInfo) -> str:
        return PurePosixPath(member.filename).name.lower()

    preferences: list[Callable[[str], bool]] = [
        lambda b: b == "_chat.txt",
        lambda b: b.startswith("whatsapp") and b.endswith(".txt"),
        lambda b: b == "result.json",
    ]
    for wanted in preferences:
        found = [m for m in candidates if wanted(base(m))]
        if found:
            return found[0]
    texts = [m for m in candidates if base(m).endswith(".txt")]
    if len(texts) == 1:
        return texts[0]
    raise ChatExportError(
        name,
        "holds no chat text: an export zip has '_chat.txt' (iOS), 'WhatsApp Chat with ….txt' "
        "(Android) or 'result.json' (Telegram)",
    )
