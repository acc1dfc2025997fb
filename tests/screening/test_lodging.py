"""Lodging an export as evidence: logged only once read, media lodged and linked, photos
found again after re-compression, participants sealed, unsafe input leaving nothing behind."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from openwitness.cases.access import Viewer
from openwitness.cases.personal_data import PersonalDataKeyError
from openwitness.core.config import Settings
from openwitness.ledger.verify import verify_receipt
from openwitness.screening import ChatExportError
from openwitness.services import Services, open_services
from openwitness.storage.screening_models import (
    ScreeningAttachment,
    ScreeningMessage,
    ScreeningParticipant,
)
from tests.support import MEDIA, require_shared

OPERATOR = Viewer.operator("cli:test")
PHOTO_NAME = "00000002-PHOTO-2024-01-13-10-00-05.jpg"
CHAT = (
    "[13/01/2024, 10:00:00] PC Hill: anyone got the keys to the van?\n"
    f"[13/01/2024, 10:00:05] PC Rowe: \u200e<attached: {PHOTO_NAME}>\n"
    "[13/01/2024, 10:01:00] PC Rowe: all muslims are terrorists and should be deported\n"
    "[13/01/2024, 10:02:00] +44 7700 900123: see you at the briefing\n"
)


def photo() -> Path:
    return require_shared(MEDIA / "ianare__exif-samples/jpg/gps/DSCN0010.jpg")


def make_export(folder: Path, chat: str = CHAT) -> Path:
    path = folder / "WhatsApp Chat - Shift B.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("_chat.txt", chat)
        archive.write(photo(), PHOTO_NAME)
        archive.writestr("inner.zip", b"PK\x05\x06" + bytes(18))  # an empty zip, kept whole
        archive.writestr("__MACOSX/._" + PHOTO_NAME, b"resource fork")
    return path


def test_an_export_is_lodged_logged_and_linked(services: Services, tmp_path: Path) -> None:
    lodged = services.screening.add(make_export(tmp_path), "cli:test")
    assert lodged.messages == 4 and lodged.flagged == 1
    assert (lodged.attachments_lodged, lodged.attachments_kept_in_export) == (1, 1)
    # the export itself is evidence with a receipt that verifies offline
    record = services.vault.get(lodged.sha256)
    assert record.media_type == "application/zip" and record.log_index == lodged.log_index
    export = tmp_path / "WhatsApp Chat - Shift B.zip"
    verified = verify_receipt(
        services.log.receipt(record.log_index), services.log.signer.verifier, export
    )
    assert verified.entry.sha256 == lodged.sha256
    with services.db.read() as conn:
        attachments = {
            row.member: row
            for row in conn.execute(
                select(ScreeningAttachment).where(ScreeningAttachment.export_id == lodged.export_id)
            ).all()
        }
        sent = conn.execute(
            select(ScreeningMessage).where(
                ScreeningMessage.export_id == lodged.export_id, ScreeningMessage.position == 1
            )
        ).one()
    assert set(attachments) == {PHOTO_NAME, "inner.zip"}  # __MACOSX/ is not evidence
    assert (
        attachments["inner.zip"].sha256 is None
        and "not extracted" in attachments["inner.zip"].not_lodged
    )
    lodged_photo = attachments[PHOTO_NAME]
    assert sent.kind == "media" and sent.attachment_sha256 == lodged_photo.sha256
    assert services.vault.get(lodged_photo.sha256).media_type == "image/jpeg"
    assert len(lodged_photo.phash) == 16
    ranked = services.screening_review.ranked(lodged.export_id, OPERATOR, top=10)
    assert ranked[0]["position"] == 2 and "racist" in ranked[0]["flagged"]
    assert all(m["kind"] == "message" for m in ranked)  # media and system lines not scored


def test_participants_are_sealed_and_numbered(services: Services, tmp_path: Path) -> None:
    lodged = services.screening.add(make_export(tmp_path), "cli:test")
    with services.db.read() as conn:
        sealed = (
            conn.execute(
                select(ScreeningParticipant.sealed_name).where(
                    ScreeningParticipant.export_id == lodged.export_id
                )
            )
            .scalars()
            .all()
        )
    assert len(sealed) == 3
    assert not any(b"Rowe" in s or b"7700" in s for s in sealed)
    summary = services.screening_review.export(lodged.export_id, OPERATOR)
    assert [(p["participant"], p["name"]) for p in summary["participants"]] == [
        (1, "PC Hill"),
        (2, "PC Rowe"),
        (3, "+44 7700 900123"),
    ]


def test_lodging_the_same_export_again_is_the_same_screening(
    services: Services, tmp_path: Path
) -> None:
    export = make_export(tmp_path)
    first = services.screening.add(export, "cli:test")
    again = services.screening.add(export, "cli:test")
    assert again.export_id == first.export_id and again.sha256 == first.sha256
    assert not again.created and len(services.screening_review.exports(OPERATOR)) == 1


@pytest.mark.parametrize("kind", ["prose", "zip with ..", "bomb"])
def test_what_is_refused_leaves_nothing_logged_or_staged(
    services: Services, tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "bad.zip"
    if kind == "prose":
        path = tmp_path / "notes.txt"
        path.write_text("Shopping list\n")
    else:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("_chat.txt", CHAT)
            if kind == "zip with ..":
                archive.writestr("../../escape.jpg", b"x")
            else:
                archive.writestr("bomb.jpg", bytes(40 * 1024 * 1024))
    size = services.log.size()
    with pytest.raises(ChatExportError):
        services.screening.add(path, "cli:test")
    assert services.log.size() == size
    assert services.screening_review.exports(OPERATOR) == []
    assert not [p for p in services.settings.staging_dir.iterdir() if p.is_file()]
    assert not (tmp_path.parent / "escape.jpg").exists()


def test_a_photo_is_found_again_after_resizing_recompression_and_a_crop(
    services: Services, tmp_path: Path
) -> None:
    services.screening.add(make_export(tmp_path), "cli:test")
    with Image.open(photo()) as original:
        width, height = original.size
        changed = original.crop(
            (width // 25, height // 25, width - width // 25, height - height // 25)
        )
        changed = changed.resize((width // 3, height // 3))
        changed.save(tmp_path / "shared-again.jpg", quality=35)
    found = services.screening_review.find_photo(tmp_path / "shared-again.jpg", OPERATOR)
    assert [f["member"] for f in found] == [PHOTO_NAME]
    other = require_shared(MEDIA / "jmathai__elodie/elodie/tests/files/with-location.jpg")
    assert services.screening_review.find_photo(other, OPERATOR) == []


def test_sealed_participants_keep_the_key_from_being_replaced(
    sqlite_services: Services, sqlite_settings: Settings, tmp_path: Path
) -> None:
    """With participants sealed and no complainant yet, a lost key must be reported, not
    silently replaced by a new one that can open nothing."""
    sqlite_services.screening.add(make_export(tmp_path), "cli:test")
    sqlite_services.close()
    sqlite_settings.personal_data_key_path.unlink()
    with pytest.raises(PersonalDataKeyError, match="restore it from backup"):
        open_services(sqlite_settings)
