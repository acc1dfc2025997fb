"""Export files as handed over: zips with media, nested zips and macOS folders, and the zips an
attacker would make (bombs, paths outside the folder, symlinks); the CLI that reads them."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from openwitness.screening import ChatExportError
from openwitness.screening.exports import open_export
from tests.support import SHARED, require_shared

SAMPLES = SHARED / "data" / "chat-exports"
CHAT = "[13/01/2024, 10:00:00] Kim: \u200e<attached: 00000001-PHOTO-2024-01-13.jpg>\n"
CHAT += "[13/01/2024, 10:00:05] Lee: nice\n"


def make_zip(path: Path, members: dict[str, bytes], **info: int) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            entry = zipfile.ZipInfo(name, date_time=(2024, 1, 13, 10, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            for key, value in info.items():
                setattr(entry, key, value)
            archive.writestr(entry, data)
    return path


def test_the_real_zip_samples_read_like_their_text(tmp_path: Path) -> None:
    zipped = open_export(
        require_shared(SAMPLES / "mlomb__chat-analytics/tests/samples/whatsapp/4A_11M.zip")
    )
    text = open_export(SAMPLES / "mlomb__chat-analytics/tests/samples/whatsapp/4A_11M.txt")
    assert zipped.container == "zip" and zipped.chat_member == "_chat.txt"  # CRLF inside
    assert [m.to_dict() for m in zipped.parsed.messages] == [
        m.to_dict() for m in text.parsed.messages
    ]
    rw = open_export(SAMPLES / "JBGruber__rwhatsapp/inst/extdata/sample.zip")
    assert len(rw.parsed.messages) == 9


def test_media_nested_zip_and_macos_folder(tmp_path: Path) -> None:
    export = make_zip(
        tmp_path / "WhatsApp Chat - Shift B.zip",
        {
            "_chat.txt": CHAT.encode(),
            "00000001-PHOTO-2024-01-13.jpg": b"\xff\xd8\xff\xe0 not really a jpeg",
            "inner.zip": make_zip(tmp_path / "inner.zip", {"a.txt": b"x"}).read_bytes(),
            "__MACOSX/._00000001-PHOTO-2024-01-13.jpg": b"resource fork",
        },
    )
    opened = open_export(export)
    assert opened.attachments == ["00000001-PHOTO-2024-01-13.jpg", "inner.zip"]
    assert opened.parsed.messages[0].attachment == "00000001-PHOTO-2024-01-13.jpg"


def test_android_and_telegram_names_inside_a_zip(tmp_path: Path) -> None:
    android = make_zip(
        tmp_path / "a.zip",
        {"WhatsApp Chat with Alice.txt": b"13/01/2024, 10:00 - Alice: hi\n", "notes.txt": b"x"},
    )
    assert open_export(android).chat_member == "WhatsApp Chat with Alice.txt"
    telegram = make_zip(
        tmp_path / "t.zip",
        {"ChatExport/result.json": json.dumps({"messages": []}).encode()},
    )
    assert open_export(telegram).parsed.format == "telegram"


@pytest.mark.parametrize(
    ("members", "info", "words"),
    [
        ({"_chat.txt": CHAT.encode(), "/etc/cron.d/x": b"x"}, {}, "outside the export"),
        ({"_chat.txt": CHAT.encode(), "../../x.jpg": b"x"}, {}, "outside the export"),
        ({"_chat.txt": CHAT.encode(), "media\\..\\..\\x.jpg": b"x"}, {}, "outside the export"),
        ({"_chat.txt": CHAT.encode(), "C:/x.jpg": b"x"}, {}, "outside the export"),
        (
            {"_chat.txt": CHAT.encode()},
            {"external_attr": (stat.S_IFLNK | 0o777) << 16},
            "symbolic link",
        ),
        ({"_chat.txt": CHAT.encode(), "bomb.jpg": bytes(50 * 1024 * 1024)}, {}, "zip bomb"),
        ({"photo.jpg": b"x"}, {}, "holds no chat text"),
    ],
    ids=[
        "absolute",
        "dotdot",
        "backslash dotdot",
        "drive",
        "symlink",
        "bomb",
        "no chat",
    ],
)
def test_unsafe_zips_are_refused_before_anything_is_read(
    tmp_path: Path, members: dict[str, bytes], info: dict[str, int], words: str
) -> None:
    export = make_zip(tmp_path / "export.zip", members, **info)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(ChatExportError) as caught:
        open_export(export)
    assert words in str(caught.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written
    assert not (tmp_path.parent / "x.jpg").exists()


def test_an_encrypted_member_is_refused(tmp_path: Path) -> None:
    export = make_zip(tmp_path / "export.zip", {"_chat.txt": CHAT.encode()})
    raw = bytearray(export.read_bytes())
    # zipfile cannot write encrypted members; set the 'encrypted' bit in the central directory
    central = raw.index(b"PK\x01\x02")
    raw[central + 8] |= 0x1
    export.write_bytes(bytes(raw))
    with pytest.raises(ChatExportError, match="encrypted"):
        open_export(export)


def test_a_member_larger_than_it_claims_is_cut_off(tmp_path: Path) -> None:
    export = make_zip(tmp_path / "export.zip", {"_chat.txt": CHAT.encode()})
    raw = bytearray(export.read_bytes())
    # the local and central headers both record 'uncompressed size'; shrink both to 10 bytes
    with zipfile.ZipFile(export) as archive:
        real = archive.getinfo("_chat.txt").file_size
    needle = real.to_bytes(4, "little")
    assert raw.count(needle) >= 2
    patched = bytes(raw).replace(needle, (10).to_bytes(4, "little"))
    export.write_bytes(patched)
    with pytest.raises(ChatExportError) as caught:
        open_export(export)
    assert "_chat.txt" in str(caught.value)


def test_a_broken_zip_and_a_binary_file_are_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    with pytest.raises(ChatExportError, match="not a readable zip"):
        open_export(broken)
    junk = tmp_path / "junk.txt"
    junk.write_bytes(bytes(range(256)) * 16)
    with pytest.raises(ChatExportError, match=r"junk\.txt"):
        open_export(junk)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    witness = Path(sys.executable).with_name("witness")
    return subprocess.run([str(witness), *args], capture_output=True, text=True, timeout=60)


def test_cli_parse_prints_the_documented_json(tmp_path: Path) -> None:
    chat = tmp_path / "chat.txt"
    chat.write_text(
        "01/02/2024, 10:00 - Ann: one\nline two\n01/02/2024, 10:01 - Bo: <Media omitted>\n"
    )
    result = run_cli("screening", "parse", str(chat), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        {
            "time": "2024-02-01T10:00:00",
            "author": "Ann",
            "text": "one\nline two",
            "kind": "message",
        },
        {"time": "2024-02-01T10:01:00", "author": "Bo", "text": "<Media omitted>", "kind": "media"},
    ]
    assert "day/month/year" in result.stderr  # what was assumed is said, not hidden


def test_cli_parse_refuses_with_the_line_and_no_traceback(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("Shopping list\n- milk\n")
    result = run_cli("screening", "parse", str(notes), "--json")
    assert result.returncode == 1 and result.stdout == ""
    assert "notes.txt, line 1: is not a WhatsApp message line" in result.stderr
    assert "Traceback" not in result.stderr
