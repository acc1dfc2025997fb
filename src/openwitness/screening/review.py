"""Reviewing a screened chat: the exports a person may know of, a summary of who sent the
flagged messages and when, the messages highest score first with the ones around them, and
reviewers' decisions, kept append-only. Every read goes through ``screening.access``."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from openwitness.cases.access import Viewer
from openwitness.cases.personal_data import Sealer
from openwitness.core.errors import InvalidRequestError, NotFoundError
from openwitness.screening import ChatExportError, access
from openwitness.screening.photos import perceptual_hashes
from openwitness.storage.db import Database
from openwitness.storage.models import Evidence
from openwitness.storage.screening_models import (
    ScreeningAttachment,
    ScreeningDecision,
    ScreeningExport,
    ScreeningMessage,
    ScreeningParticipant,
)

DECISIONS = ("confirmed", "dismissed")
MAX_NOTE = 2000
#: messages shown before and after each ranked one
AROUND = 2
#: a phone number as chats write them: "+44 7700 900123", "07700-900123", "(0161) 496 0000"
PHONE_NUMBER = re.compile(r"\+?\(?\d[\d ()\-\u00a0\u202f]{7,}\d")
#: the server itself, for masking names it never shows
OPERATOR = Viewer.operator("openwitness")


class Review:
    def __init__(self, db: Database, sealer: Sealer) -> None:
        self.db = db
        self.sealer = sealer

    # -- exports ---------------------------------------------------------------------------

    def exports(self, viewer: Viewer) -> list[dict[str, Any]]:
        """The exports this viewer may know of, newest first."""
        query = select(ScreeningExport).order_by(ScreeningExport.id.desc())
        if viewer.role in ("screener", "caseworker"):
            query = query.where(ScreeningExport.organisation_id == viewer.organisation_id)
        elif viewer.role not in ("operator", "admin", "analyst"):
            return []
        with self.db.read() as conn:
            rows = conn.execute(query).all()
        return [_export_dict(row, viewer, self._masker(row, viewer)) for row in rows]

    def _row(self, export_id: int, viewer: Viewer) -> Any:
        with self.db.read() as conn:
            row = conn.execute(
                select(ScreeningExport).where(ScreeningExport.id == export_id)
            ).first()
        if row is None:
            raise NotFoundError(f"no screened export {export_id}")
        access.check_known(viewer, export_id, row.organisation_id)
        return row

    def export(self, export_id: int, viewer: Viewer) -> dict[str, Any]:
        """The export's facts and a summary: each participant's share of the flagged
        messages, and flagged messages by month. Names only for those who may see them."""
        row = self._row(export_id, viewer)
        names = self._names(export_id, row.organisation_id, viewer)
        with self.db.read() as conn:
            per_person = conn.execute(
                select(
                    ScreeningMessage.participant,
                    func.count(),
                    func.count(ScreeningMessage.score),
                )
                .where(ScreeningMessage.export_id == export_id)
                .group_by(ScreeningMessage.participant)
            ).all()
            flagged_rows = conn.execute(
                select(
                    ScreeningMessage.participant, ScreeningMessage.time, ScreeningMessage.flagged
                ).where(
                    ScreeningMessage.export_id == export_id, ScreeningMessage.score.is_not(None)
                )
            ).all()
        flagged_by: dict[int | None, int] = {}
        by_month: dict[str, int] = {}
        for participant, time, flags in flagged_rows:
            if flags and "hateful" in flags:
                flagged_by[participant] = flagged_by.get(participant, 0) + 1
                by_month[time[:7]] = by_month.get(time[:7], 0) + 1
        people = [
            {
                "participant": number,
                "name": names.get(number, _mask(number)),
                "lines": lines,
                "messages": scored,
                "flagged": flagged_by.get(number, 0),
                "share_of_flagged": round(flagged_by.get(number, 0) / row.flagged, 4)
                if row.flagged
                else 0.0,
            }
            for number, lines, scored in sorted(per_person, key=lambda r: (r[0] is None, r[0] or 0))
            if number is not None
        ]
        return _export_dict(row, viewer, self._masker(row, viewer)) | {
            "participants": people,
            "flagged_by_month": dict(sorted(by_month.items())),
        }

    def _names(self, export_id: int, organisation_id: str | None, viewer: Viewer) -> dict[int, str]:
        if not access.may_see_names(viewer, organisation_id):
            return {}
        with self.db.read() as conn:
            rows = conn.execute(
                select(ScreeningParticipant).where(ScreeningParticipant.export_id == export_id)
            ).all()
        return {row.number: self.sealer.open(row.sealed_name)["name"] for row in rows}

    def _masker(self, row: Any, viewer: Viewer) -> Masker | None:
        """What masks the participants in text shown to this viewer (None: shown as written)."""
        if access.may_see_names(viewer, row.organisation_id):
            return None
        return Masker(self._names(row.id, row.organisation_id, OPERATOR))

    def log_index(self, sha256: str) -> int:
        """The log entry of a lodged file (an export's, for its report)."""
        with self.db.read() as conn:
            index = conn.execute(
                select(Evidence.log_index).where(Evidence.sha256 == sha256)
            ).scalar()
        if index is None:
            raise NotFoundError(f"no evidence {sha256}")
        return int(index)

    # -- messages --------------------------------------------------------------------------

    def ranked(
        self, export_id: int, viewer: Viewer, top: int = 50, offset: int = 0
    ) -> list[dict[str, Any]]:
        """The messages people wrote, highest score first (ties in file order), each with
        the messages around it and its latest decision."""
        row = self._row(export_id, viewer)
        access.check(
            access.may_read_messages(viewer, row.organisation_id),
            "reading a screened chat's messages needs the role screener, caseworker or admin",
        )
        if not 1 <= top <= 500 or offset < 0:
            raise InvalidRequestError("top must be 1-500 and offset 0 or more")
        names = self._names(export_id, row.organisation_id, viewer)
        hide = self._masker(row, viewer)
        with self.db.read() as conn:
            ranked = conn.execute(
                select(ScreeningMessage)
                .where(ScreeningMessage.export_id == export_id, ScreeningMessage.score.is_not(None))
                .order_by(ScreeningMessage.score.desc(), ScreeningMessage.position)
                .offset(offset)
                .limit(top)
            ).all()
            wanted = {
                p for m in ranked for p in range(m.position - AROUND, m.position + AROUND + 1)
            }
            around = {
                m.position: m
                for m in conn.execute(
                    select(ScreeningMessage).where(
                        ScreeningMessage.export_id == export_id,
                        ScreeningMessage.position.in_(sorted(wanted)),
                    )
                ).all()
            }
            decisions = self._latest_decisions(conn, export_id)
        return [
            _message_dict(m, names, hide)
            | {
                "before": [
                    _message_dict(around[p], names, hide)
                    for p in range(m.position - AROUND, m.position)
                    if p in around
                ],
                "after": [
                    _message_dict(around[p], names, hide)
                    for p in range(m.position + 1, m.position + AROUND + 1)
                    if p in around
                ],
                "decision": decisions.get(m.position),
            }
            for m in ranked
        ]

    @staticmethod
    def _latest_decisions(conn: Any, export_id: int) -> dict[int, dict[str, Any]]:
        latest = (
            select(ScreeningDecision.position, func.max(ScreeningDecision.id).label("last"))
            .where(ScreeningDecision.export_id == export_id)
            .group_by(ScreeningDecision.position)
            .subquery()
        )
        rows = conn.execute(
            select(ScreeningDecision).join(latest, ScreeningDecision.id == latest.c.last)
        ).all()
        return {row.position: _decision_dict(row) for row in rows}

    # -- decisions -------------------------------------------------------------------------

    def decide(
        self, export_id: int, position: int, decision: str, note: str | None, viewer: Viewer
    ) -> dict[str, Any]:
        """Record a reviewer's decision on a message; earlier ones stay in the history."""
        row = self._row(export_id, viewer)
        access.check(
            access.may_decide(viewer, row.organisation_id),
            "deciding on a screened message needs the role screener in its organisation",
        )
        if decision not in DECISIONS:
            raise InvalidRequestError(f"decision must be one of {', '.join(DECISIONS)}")
        note = (note or "").strip() or None
        if note is not None and len(note) > MAX_NOTE:
            raise InvalidRequestError(f"note: at most {MAX_NOTE:,} characters")
        with self.db.write() as conn:
            scored = conn.execute(
                select(ScreeningMessage.position).where(
                    ScreeningMessage.export_id == export_id,
                    ScreeningMessage.position == position,
                    ScreeningMessage.score.is_not(None),
                )
            ).first()
            if scored is None:
                raise NotFoundError(f"export {export_id} has no screened message {position}")
            values = {
                "export_id": export_id,
                "position": position,
                "decision": decision,
                "note": note,
                "decided_at": datetime.now(UTC).replace(microsecond=0),
                "decided_by": viewer.name[:64],
            }
            conn.execute(insert(ScreeningDecision).values(**values))
        return _decision_dict(values)

    def history(self, export_id: int, viewer: Viewer) -> list[dict[str, Any]]:
        """Every decision on the export, oldest first."""
        row = self._row(export_id, viewer)
        access.check(
            access.may_read_messages(viewer, row.organisation_id),
            "a screened chat's decisions: this needs the role screener, caseworker or admin",
        )
        with self.db.read() as conn:
            rows = conn.execute(
                select(ScreeningDecision)
                .where(ScreeningDecision.export_id == export_id)
                .order_by(ScreeningDecision.id)
            ).all()
        return [_decision_dict(r) for r in rows]

    # -- photos ----------------------------------------------------------------------------

    def find_photo(
        self, image: Path, viewer: Viewer, max_distance: int = 10
    ) -> list[dict[str, Any]]:
        """Lodged photos that look like ``image`` (perceptual hashes within ``max_distance``
        bits of 64, on both), in exports this viewer may read, closest first."""
        hashes = perceptual_hashes(image)
        if hashes is None:
            raise ChatExportError(image.name, "is not an image that can be read")
        query = (
            select(
                ScreeningAttachment.export_id,
                ScreeningAttachment.member,
                ScreeningAttachment.sha256,
                ScreeningAttachment.phash,
                ScreeningAttachment.dhash,
                ScreeningExport.organisation_id,
            )
            .join(ScreeningExport, ScreeningExport.id == ScreeningAttachment.export_id)
            .where(ScreeningAttachment.phash.is_not(None))
        )
        with self.db.read() as conn:
            rows = conn.execute(query).all()
        found = []
        for attachment in rows:
            if not access.may_read_messages(viewer, attachment.organisation_id):
                continue
            apart = (_bits(hashes[0], attachment.phash), _bits(hashes[1], attachment.dhash))
            if max(apart) <= max_distance:
                found.append(
                    {
                        "export": attachment.export_id,
                        "member": attachment.member,
                        "sha256": attachment.sha256,
                        "distance": sum(apart),
                    }
                )
        return sorted(found, key=lambda f: (f["distance"], f["export"]))


def _mask(number: int | None) -> str | None:
    return None if number is None else f"Participant {number}"


def _export_dict(row: Any, viewer: Viewer, hide: Masker | None) -> dict[str, Any]:
    shown = {
        "id": row.id,
        "sha256": row.sha256,
        "organisation": row.organisation_id,
        "format": row.format,
        "container": row.container,
        "lodged_at": row.lodged_at.isoformat(),
        "messages": row.messages,
        "flagged": row.flagged,
        "notes": row.notes,
        "model": row.model,
    }
    if viewer.role != "analyst":  # a file name can name the people in the chat
        shown |= {
            "file_name": hide(row.file_name) if hide else row.file_name,  # "Chat with …"
            "complaint": row.complaint_id,
            "lodged_by": row.lodged_by,
        }
    return shown


class Masker:
    """Participants' names and phone numbers masked inside messages' text, for those who
    read the messages but may not see who is in the chat ("PC Hill added +44 7700 900123"
    is a system line). Only names written exactly as the export gives its participants are
    found; a nickname or first name alone is not."""

    def __init__(self, names: dict[int, str]) -> None:
        by_length = sorted(names.items(), key=lambda item: -len(item[1]))
        self.masks = {name: f"Participant {number}" for number, name in by_length if name}
        alternatives = [re.escape(name) for name in self.masks]
        self.names = re.compile("|".join(alternatives)) if alternatives else None

    def __call__(self, text: str) -> str:
        if self.names is not None:
            text = self.names.sub(lambda m: self.masks[m.group()], text)
        return PHONE_NUMBER.sub("[phone number]", text)


def _message_dict(row: Any, names: dict[int, str], hide: Masker | None = None) -> dict[str, Any]:
    return {
        "position": row.position,
        "time": row.time,
        "participant": row.participant,
        "author": names.get(row.participant, _mask(row.participant)),
        "kind": row.kind,
        "text": hide(row.text) if hide and row.text else row.text,
        "score": row.score,
        "scores": row.scores,
        "flagged": row.flagged,
        "by_context": row.by_context,
        "attachment_sha256": row.attachment_sha256,
    }


def _decision_dict(row: Any) -> dict[str, Any]:
    values: dict[str, Any] = row if isinstance(row, dict) else dict(row._mapping)
    decided_at: datetime = values["decided_at"]
    if decided_at.tzinfo is None:  # SQLite keeps naive datetimes; only UTC is written
        decided_at = decided_at.replace(tzinfo=UTC)
    return {
        "position": values["position"],
        "decision": values["decision"],
        "note": values["note"],
        "decided_at": decided_at.isoformat(),
        "decided_by": values["decided_by"],
    }


def _bits(a: str, b: str | None) -> int:
    if b is None:
        return 64
    return bin(int(a, 16) ^ int(b, 16)).count("1")
