"""Lodge a chat export as evidence and keep what screening reads from it.

The export file goes through the vault like any evidence (logged, with a receipt), but only
after the screening parser has read the very bytes being logged (the staged copy, not the
file on disk, which could change in between). Every photo, video, voice note and document in
an export zip is lodged too and linked to the message that sent it; photos get perceptual
hashes so the same picture is found again in other chats after re-compression or resizing.
Participants' names and numbers are sealed like complainants' details.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, cast

from sqlalchemy import insert, select

from openwitness.cases.personal_data import Sealer
from openwitness.evidence.blobstore import StagingFile
from openwitness.evidence.service import UnsupportedMediaType, Vault
from openwitness.screening import ChatExportError, ChatMessage
from openwitness.screening.classifier import ScreeningModel, load, model_path
from openwitness.screening.exports import ChatExport, check_members, open_export
from openwitness.screening.photos import perceptual_hashes
from openwitness.screening.rank import score_chat
from openwitness.storage.db import Database
from openwitness.storage.screening_models import (
    ScreeningAttachment,
    ScreeningExport,
    ScreeningMessage,
    ScreeningParticipant,
)

_MEDIA_TYPES = {"zip": "application/zip", "txt": "text/plain", "json": "application/json"}
_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Lodged:
    """What ``add`` did: the export's id, its vault item and log entry, and counts."""

    export_id: int
    sha256: str
    log_index: int
    created: bool
    messages: int
    flagged: int
    attachments_lodged: int
    attachments_kept_in_export: int
    notes: list[str]
    #: the export's tlog-proof receipt, to keep with the file and check with witness verify
    receipt: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "export": self.export_id,
            "sha256": self.sha256,
            "log_index": self.log_index,
            "messages": self.messages,
            "flagged": self.flagged,
            "attachments_lodged": self.attachments_lodged,
            "attachments_kept_in_export": self.attachments_kept_in_export,
            "notes": self.notes,
            "receipt": self.receipt,
        }


class Screening:
    def __init__(self, db: Database, vault: Vault, sealer: Sealer, home: Path) -> None:
        self.db = db
        self.vault = vault
        self.sealer = sealer
        self.home = home
        self._model: ScreeningModel | None = None

    def model(self) -> ScreeningModel:
        """The classifier, loaded once per process (loading takes about a second)."""
        if self._model is None:
            self._model = load(model_path(self.home))
        return self._model

    def add(
        self,
        path: Path,
        lodged_by: str,
        organisation_id: str | None = None,
        complaint_id: int | None = None,
        progress: Callable[[str], None] = lambda _: None,
    ) -> Lodged:
        """Lodge the export at ``path``; refuses (ChatExportError) before anything is logged
        if the bytes are not an export this can read, or a zip is unsafe."""
        progress(f"reading and lodging {path.name}…")
        with path.open("rb") as source:
            sha256, export = self.log_stream(source, path.name, organisation_id)
        return self.screen(
            sha256, path.name, lodged_by, organisation_id, complaint_id, progress, export
        )

    def log_stream(
        self, source: BinaryIO, file_name: str, organisation_id: str | None = None
    ) -> tuple[str, ChatExport]:
        """Log the export read from ``source`` (a file, or a form's uploaded file): staged in
        the vault, bounded by its upload limit as it is read, then as :meth:`log_staged`."""
        with self.vault.upload() as staged:
            while chunk := source.read(_CHUNK):
                self.vault.write(staged, chunk)
            return self.log_staged(staged, file_name, organisation_id)

    def lodge_staged(
        self,
        staged: StagingFile,
        file_name: str,
        lodged_by: str,
        organisation_id: str | None = None,
        complaint_id: int | None = None,
        progress: Callable[[str], None] = lambda _: None,
    ) -> Lodged:
        """Lodge an export already streamed into the vault's staging (``Vault.upload``), so
        an upload is written once and a crash leaves only what the vault cleans up: logged
        (:meth:`log_staged`), then screened (:meth:`screen`) in this call."""
        sha256, export = self.log_staged(staged, file_name, organisation_id)
        return self.screen(
            sha256, file_name, lodged_by, organisation_id, complaint_id, progress, export
        )

    def log_staged(
        self, staged: StagingFile, file_name: str, organisation_id: str | None = None
    ) -> tuple[str, ChatExport]:
        """Log the staged export and give its organisation custody of it; the staged bytes
        themselves are parsed first, so what is not an export is refused before it is logged.
        Quick next to :meth:`screen`, which a web request leaves to a background job."""
        read: list[ChatExport] = []

        def accept(staged_path: Path) -> str | None:
            read.append(open_export(staged_path, name=file_name))
            return _MEDIA_TYPES[read[-1].container]

        sha256 = self.vault.complete(staged, accept=accept).record.sha256
        self.vault.hold(sha256, organisation_id)
        return sha256, read[0]

    def screen(
        self,
        sha256: str,
        file_name: str,
        lodged_by: str,
        organisation_id: str | None = None,
        complaint_id: int | None = None,
        progress: Callable[[str], None] = lambda _: None,
        export: ChatExport | None = None,
    ) -> Lodged:
        """Lodge the logged export's attachments, score its messages and keep the screening.
        Safe to run again after a crash: attachments already in the vault are found again,
        and the screening's rows are written in one transaction at the end."""
        already = self._lodged(sha256, organisation_id)
        if already is not None:
            return already
        if export is None:  # a background job: read the logged bytes again
            with self.vault.local_blob(sha256) as path:
                export = open_export(path, name=file_name)
        record = self.vault.get(sha256)
        attachments = self._lodge_members(sha256, export, organisation_id, progress)
        progress(f"scoring {len(export.parsed.messages):,} messages…")
        model = self.model()
        ranked = {s.index: s for s in score_chat(model, export.parsed.messages)}
        flagged = sum(1 for s in ranked.values() if "hateful" in s.flagged)
        by_member = {PurePosixPath(a["member"]).name: a.get("sha256") for a in attachments}
        messages = export.parsed.messages
        participants = _participants(messages)
        with self.db.write() as conn:
            raced = conn.execute(
                select(ScreeningExport.id).where(_same_export(sha256, organisation_id))
            ).first()
            if raced is None:
                export_id = conn.execute(
                    insert(ScreeningExport)
                    .values(
                        sha256=sha256,
                        organisation_id=organisation_id,
                        complaint_id=complaint_id,
                        file_name=file_name[:300],
                        format=export.parsed.format,
                        container=export.container,
                        notes=export.parsed.notes,
                        lodged_at=datetime.now(UTC).replace(microsecond=0),
                        lodged_by=lodged_by,
                        model={
                            "file_sha256": _model_sha256(model_path(self.home)),
                            "thresholds": model.thresholds,
                        },
                        messages=len(messages),
                        flagged=flagged,
                    )
                    .returning(ScreeningExport.id)
                ).scalar_one()
                if participants:
                    conn.execute(
                        insert(ScreeningParticipant),
                        [
                            {
                                "export_id": export_id,
                                "number": number,
                                "sealed_name": self.sealer.seal({"name": name}),
                            }
                            for name, number in participants.items()
                        ],
                    )
                conn.execute(
                    insert(ScreeningMessage),
                    [
                        _message_row(export_id, position, message, participants, ranked, by_member)
                        for position, message in enumerate(messages)
                    ],
                )
                if attachments:
                    conn.execute(
                        insert(ScreeningAttachment),
                        [{"export_id": export_id, **a} for a in attachments],
                    )
        if raced is not None:  # screened meanwhile (the form sent twice): that screening
            lodged = self._lodged(sha256, organisation_id)
            assert lodged is not None
            return lodged
        return Lodged(
            export_id,
            sha256,
            record.log_index,
            True,
            len(messages),
            flagged,
            sum(1 for a in attachments if a["sha256"]),
            sum(1 for a in attachments if not a["sha256"]),
            export.parsed.notes,
            self.vault.log.receipt(record.log_index).to_text(),
        )

    def _lodged(self, sha256: str, organisation_id: str | None) -> Lodged | None:
        """The same export lodged again by the same organisation is the same screening."""
        with self.db.read() as conn:
            row = conn.execute(
                select(ScreeningExport).where(_same_export(sha256, organisation_id))
            ).first()
            if row is None:
                return None
            attachments = conn.execute(
                select(ScreeningAttachment.sha256).where(ScreeningAttachment.export_id == row.id)
            ).all()
        log_index = self.vault.get(sha256).log_index
        lodged = sum(1 for a in attachments if a.sha256)
        return Lodged(
            row.id, sha256, log_index, False, row.messages, row.flagged, lodged,
            len(attachments) - lodged, row.notes, self.vault.log.receipt(log_index).to_text(),
        )  # fmt: skip

    def _lodge_members(
        self,
        sha256: str,
        export: ChatExport,
        organisation_id: str | None,
        progress: Callable[[str], None],
    ) -> list[dict[str, Any]]:
        """Each member of the lodged zip (read from the vault's copy) streamed into the
        vault; members the vault does not keep (a zip inside, a contact card) stay in the
        export, which is itself lodged, and are never extracted."""
        if export.container != "zip":
            return []
        found: list[dict[str, Any]] = []
        with self.vault.local_blob(sha256) as path, zipfile.ZipFile(path) as archive:
            members = {m.filename: m for m in archive.infolist()}
            check_members(list(members.values()), sha256[:12])
            for number, name in enumerate(export.attachments, start=1):
                member = members[name]
                progress(f"attachment {number:,} of {len(export.attachments):,}: {name}")
                row: dict[str, Any] = {
                    "member": name[:500],
                    "sha256": None,
                    "size": member.file_size,
                    "not_lodged": None,
                    "phash": None,
                    "dhash": None,
                }
                if name.lower().endswith(".zip"):
                    row["not_lodged"] = "a zip inside the export: kept whole in it, not extracted"
                    found.append(row)
                    continue
                try:
                    with archive.open(member) as stream:
                        bounded = cast(BinaryIO, _Bounded(stream, member.file_size))
                        item = self.vault.ingest_stream(bounded)
                except UnsupportedMediaType:
                    row["not_lodged"] = "not a type the vault keeps: kept in the export"
                    found.append(row)
                    continue
                except (zipfile.BadZipFile, OSError, EOFError) as error:
                    raise ChatExportError(
                        export.parsed.format, f"member {name!r} cannot be read: {error}"
                    ) from None
                self.vault.hold(item.record.sha256, organisation_id)
                row["sha256"] = item.record.sha256
                if item.record.media_type.startswith("image/"):
                    with self.vault.local_blob(item.record.sha256) as photo:
                        hashes = perceptual_hashes(photo)
                    if hashes is not None:
                        row["phash"], row["dhash"] = hashes
                found.append(row)
        return found


class _Bounded:
    """A zip member read no further than its declared size, whatever it inflates to."""

    def __init__(self, stream: Any, limit: int) -> None:
        self.stream, self.left = stream, limit

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            if self.stream.read(1):
                raise ChatExportError("export", "a member is larger than its header says")
            return b""
        want = self.left if size < 0 else min(size, self.left)
        chunk: bytes = self.stream.read(want)
        self.left -= len(chunk)
        return chunk


def _same_export(sha256: str, organisation_id: str | None) -> Any:
    """The same export lodged by the same organisation (or by the operator, with none)."""
    same_organisation = (
        ScreeningExport.organisation_id.is_(None)
        if organisation_id is None
        else ScreeningExport.organisation_id == organisation_id
    )
    return (ScreeningExport.sha256 == sha256) & same_organisation


def _participants(messages: list[ChatMessage]) -> dict[str, int]:
    numbers: dict[str, int] = {}
    for message in messages:
        if message.author is not None and message.author not in numbers:
            numbers[message.author] = len(numbers) + 1
    return numbers


def _message_row(
    export_id: int,
    position: int,
    message: ChatMessage,
    participants: dict[str, int],
    ranked: dict[int, Any],
    by_member: dict[str, str | None],
) -> dict[str, Any]:
    scored = ranked.get(position)
    attachment = (
        by_member.get(PurePosixPath(message.attachment).name) if message.attachment else None
    )
    return {
        "export_id": export_id,
        "position": position,
        "time": message.time,
        "participant": participants.get(message.author) if message.author else None,
        "kind": message.kind,
        "text": message.text,
        "chat": message.chat[:300] if message.chat else None,
        "score": scored.score if scored else None,
        "scores": scored.scores if scored else None,
        "flagged": scored.flagged if scored else None,
        "by_context": bool(scored and scored.by_context),
        "attachment_sha256": attachment,
    }


def _model_sha256(path: Path) -> str:
    import hashlib

    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()
