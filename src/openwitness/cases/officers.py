"""Officers and their identifiers over time; merging two records of the same officer.

An officer is often known first only as "unidentified officer, collar 1234, Met". Names,
collar and warrant numbers, ranks, units and postings change, so each is an identifier with a
validity period, and a change closes the old value instead of overwriting it. Every change is
also written to the append-only change history (``openwitness.cases.history``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, delete, func, insert, select, update

from openwitness.cases.history import record_change
from openwitness.core.errors import InvalidRequestError, NotFoundError
from openwitness.evidence.custody import Entitlement, check_may_link
from openwitness.storage.db import Database
from openwitness.storage.models import Allegation, Evidence, OfficerIdentifier, OfficerPhoto
from openwitness.storage.models import Force as ForceRow
from openwitness.storage.models import Officer as OfficerRow

KINDS = ("name", "collar", "warrant", "rank", "unit", "alias")
#: Kinds an officer has one current value of at a time (aliases accumulate).
SINGLE_VALUED = ("name", "collar", "warrant", "rank", "unit")
_COLLAR = re.compile(r"[A-Z]{0,4}[0-9]{1,6}[A-Z]{0,4}")
#: "PC 1234", "Sgt. 12": a rank written before the collar number, as people say it.
_RANK_WORD = re.compile(r"[A-Za-z]{1,8}\.?\s+(?P<rest>\S.*)")
#: "#12", "id 12", "officer 12": an officer's record number, said explicitly.
_RECORD_NUMBER = re.compile(r"(?:#|id\s*|officer\s*#?\s*)(?P<id>[0-9]{1,10})", re.IGNORECASE)
MAX_ID = 2**31 - 1
#: How ranks are written before a collar number ("PC 1234").
RANK_ABBREVIATIONS = {
    "police constable": "PC",
    "constable": "PC",
    "pc": "PC",
    "special constable": "SC",
    "police sergeant": "PS",
    "sergeant": "PS",
    "ps": "PS",
    "detective constable": "DC",
    "dc": "DC",
    "detective sergeant": "DS",
    "ds": "DS",
    "inspector": "Insp",
    "police community support officer": "PCSO",
    "pcso": "PCSO",
}


def normalise(kind: str, value: str) -> str:
    """Validate one identifier value; collar numbers are compared upper-case, unspaced."""
    if kind not in KINDS:
        raise InvalidRequestError(f"identifier kind must be one of {', '.join(KINDS)}")
    value = " ".join(value.split())
    if kind == "collar":
        value = value.replace(" ", "").upper()
        if not _COLLAR.fullmatch(value):
            raise InvalidRequestError(
                f"collar number {value!r} is malformed: up to 4 letters, 1-6 digits, "
                "up to 4 letters (e.g. 1234, AB123, 456CD)"
            )
    if not value or len(value) > 200:
        raise InvalidRequestError(f"{kind}: 1 to 200 characters")
    return value


@dataclass(frozen=True)
class Identifier:
    kind: str
    value: str
    valid_from: date | None
    valid_to: date | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "value": self.value,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
        }


@dataclass(frozen=True)
class Officer:
    id: int
    force_id: str
    merged_into: int | None
    identifiers: tuple[Identifier, ...] = field(default=())
    photos: tuple[str, ...] = field(default=())  # sha256 of images in the vault

    def current(self, kind: str) -> str | None:
        values = [i.value for i in self.identifiers if i.kind == kind and i.valid_to is None]
        return values[-1] if values else None

    @property
    def label(self) -> str:
        name = self.current("name")
        collar = self.current("collar")
        who = name or "unidentified officer"
        return f"{who}, collar {collar}, {self.force_id}" if collar else f"{who}, {self.force_id}"

    def display(self, force_name: str) -> str:
        """How people know the officer: "PC 1234 Jane Example (Metropolitan Police Service)".

        Rank (abbreviated) and collar number, the name if known, the force's name; never a
        bare record number."""
        collar, name = self.current("collar"), self.current("name")
        rank = RANK_ABBREVIATIONS.get((self.current("rank") or "").lower())
        parts = []
        if collar:
            parts.append(f"{rank} {collar}" if rank else f"collar {collar}")
        if name:
            parts.append(name)
        if not parts:
            warrant = self.current("warrant")
            parts.append(f"warrant {warrant}" if warrant else "unidentified officer")
        who = (" " if rank else ", ").join(parts)
        return f"{who} ({force_name})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "force": self.force_id,
            "label": self.label,
            "merged_into": self.merged_into,
            "current": {kind: self.current(kind) for kind in SINGLE_VALUED},
            "aliases": [i.value for i in self.identifiers if i.kind == "alias"],
            "history": [i.to_dict() for i in self.identifiers],
            "photos": list(self.photos),
        }


def _today() -> date:
    return datetime.now(UTC).date()


def _now() -> datetime:
    return datetime.now(UTC)


class Officers:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add(
        self, force_id: str, identifiers: dict[str, str], actor: str, since: date | None = None
    ) -> Officer:
        """A new officer record; at least a collar number, warrant number or name."""
        clean = {kind: normalise(kind, value) for kind, value in identifiers.items() if value}
        if not {"collar", "warrant", "name"} & set(clean):
            raise InvalidRequestError("an officer needs at least a collar number, warrant or name")
        _check_date(since)
        with self.db.write() as conn:
            if not conn.execute(select(ForceRow.id).where(ForceRow.id == force_id)).first():
                raise InvalidRequestError(f"force: unknown force {force_id!r}")
            officer_id = conn.execute(
                insert(OfficerRow)
                .values(force_id=force_id, created_at=_now())
                .returning(OfficerRow.id)
            ).scalar_one()
            for kind, value in clean.items():
                _insert_identifier(conn, officer_id, kind, value, since, actor)
            record_change(
                conn, "officer", officer_id, "create", actor, None, {"force": force_id, **clean}
            )
        return self.get(officer_id)

    def update(
        self, officer_id: int, kind: str, value: str, actor: str, since: date | None = None
    ) -> Officer:
        """Record a new value (e.g. a new collar number from ``since``); the old one is closed."""
        value = normalise(kind, value)
        _check_date(since)
        before = self.get(officer_id)
        if before.merged_into is not None:
            raise InvalidRequestError(f"officer {officer_id} was merged into {before.merged_into}")
        with self.db.write() as conn:
            if kind in SINGLE_VALUED:
                conn.execute(
                    update(OfficerIdentifier)
                    .where(
                        OfficerIdentifier.officer_id == officer_id,
                        OfficerIdentifier.kind == kind,
                        OfficerIdentifier.valid_to.is_(None),
                    )
                    .values(valid_to=since or _today())
                )
            _insert_identifier(conn, officer_id, kind, value, since, actor)
            record_change(
                conn,
                "officer",
                officer_id,
                f"set {kind}",
                actor,
                {kind: before.current(kind)},
                {kind: value},
            )
        return self.get(officer_id)

    def merge(self, keep_id: int, other_id: int, actor: str) -> Officer:
        """Fold ``other`` into ``keep``: both histories kept, ``other`` points at ``keep``."""
        if keep_id == other_id:
            raise InvalidRequestError("cannot merge an officer into itself")
        keep, other = self.get(keep_id), self.get(other_id)
        for officer in (keep, other):
            if officer.merged_into is not None:
                raise InvalidRequestError(f"officer {officer.id} is already merged")
        with self.db.write() as conn:
            conn.execute(
                update(OfficerIdentifier)
                .where(OfficerIdentifier.officer_id == other_id)
                .values(officer_id=keep_id)
            )
            conn.execute(
                update(OfficerRow).where(OfficerRow.id == other_id).values(merged_into=keep_id)
            )
            moved = conn.execute(
                update(Allegation)
                .where(Allegation.officer_id == other_id)
                .values(officer_id=keep_id)
                .returning(Allegation.id)
            ).scalars()
            moved_ids = sorted(moved)
            conn.execute(  # photos both records had stay once, on the kept record
                delete(OfficerPhoto).where(
                    OfficerPhoto.officer_id == other_id,
                    OfficerPhoto.sha256.in_(
                        select(OfficerPhoto.sha256).where(OfficerPhoto.officer_id == keep_id)
                    ),
                )
            )
            conn.execute(
                update(OfficerPhoto)
                .where(OfficerPhoto.officer_id == other_id)
                .values(officer_id=keep_id)
            )
            record_change(
                conn,
                "officer",
                keep_id,
                "merge",
                actor,
                {"kept": keep.to_dict(), "merged": other.to_dict()},
                {"merged_from": other_id, "allegations_moved": moved_ids},
            )
        return self.get(keep_id)

    def get(self, officer_id: int) -> Officer:
        found = self._load(OfficerRow.id == officer_id)
        if not found:
            raise NotFoundError(f"no officer {officer_id}")
        return found[0]

    def find(self, force_id: str | None = None, collar: str | None = None) -> list[Officer]:
        """Officers (not merged away), optionally by force and any collar number ever held."""
        conditions: list[ColumnElement[bool]] = [OfficerRow.merged_into.is_(None)]
        if force_id is not None:
            conditions.append(OfficerRow.force_id == force_id)
        if collar is not None:
            holders = select(OfficerIdentifier.officer_id).where(
                OfficerIdentifier.kind == "collar",
                OfficerIdentifier.value == normalise("collar", collar),
            )
            conditions.append(OfficerRow.id.in_(holders))
        return self._load(*conditions)

    def find_by_identifier(self, force_id: str | None, text: str) -> Officer:
        """The one officer that ``text`` names, as a caseworker would type it: a collar number
        ("1234", "PC 1234"), a name or alias, or a record number ("#12", or bare digits when
        no collar number matches). Within ``force_id`` when given, else in any force when only
        one force's officer matches. Errors start "officer:" and say what to give instead."""
        given = " ".join(text.split())
        hint = "give a collar number (e.g. 1234 or PC 1234), a name or an officer number"
        if not given or len(given) > 200 or "\x00" in given:
            raise InvalidRequestError(f"officer: {hint}")
        explicit = _RECORD_NUMBER.fullmatch(given)
        if explicit:
            return self._record(int(explicit["id"]), force_id, hint)
        matches = self._by_collar(force_id, given) or self._by_name(force_id, given)
        where = f" in {self.force_names([force_id])[force_id]}" if force_id else ""
        if not matches and given.isdigit():
            return self._record(int(given), force_id, hint, f"no officer {given}{where}")
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise InvalidRequestError(f"officer: no officer {given}{where}: {hint}")
        names = self.force_names(sorted({m.force_id for m in matches}))
        if len(names) > 1:
            raise InvalidRequestError(
                f"officer: {given} matches officers in {len(names)} forces "
                f"({', '.join(names.values())}): choose the force too"
            )
        # Collar numbers are reissued: the officer holding it now is the one meant.
        current = [m for m in matches if _holds_now(m, given)]
        if len(current) == 1:
            return current[0]
        shown = "; ".join(f"#{m.id} {m.display(names[m.force_id])}" for m in matches[:5])
        raise InvalidRequestError(
            f"officer: {len(matches)} officers match {given}{where} ({shown}): "
            "give the name or the record number (e.g. #12)"
        )

    def _record(
        self, officer_id: int, force_id: str | None, hint: str, missing: str = ""
    ) -> Officer:
        """An officer by record number, if in ``force_id`` (when given) and not merged away."""
        found = self._load(OfficerRow.id == officer_id) if 1 <= officer_id <= MAX_ID else []
        if not found or (force_id is not None and found[0].force_id != force_id):
            where = f" in {self.force_names([force_id])[force_id]}" if force_id else ""
            missing = missing or f"no officer #{officer_id}{where}"
            raise InvalidRequestError(f"officer: {missing}: {hint}")
        if found[0].merged_into is not None:
            raise InvalidRequestError(
                f"officer: #{officer_id} was merged into #{found[0].merged_into}"
            )
        return found[0]

    def _by_collar(self, force_id: str | None, text: str) -> list[Officer]:
        """Officers who held the collar number ever; "PC 1234" is also tried as "1234"."""
        candidates = [text]
        if (ranked := _RANK_WORD.fullmatch(text)) is not None:
            candidates.append(ranked["rest"])
        found: dict[int, Officer] = {}
        for candidate in candidates:
            try:
                collar = normalise("collar", candidate)
            except InvalidRequestError:
                continue
            found.update((o.id, o) for o in self.find(force_id, collar))
        return [found[k] for k in sorted(found)]

    def _by_name(self, force_id: str | None, text: str) -> list[Officer]:
        """Officers with this name or alias (any time, letter case ignored)."""
        holders = select(OfficerIdentifier.officer_id).where(
            OfficerIdentifier.kind.in_(("name", "alias")),
            func.lower(OfficerIdentifier.value) == text.lower(),
        )
        conditions: list[ColumnElement[bool]] = [
            OfficerRow.merged_into.is_(None),
            OfficerRow.id.in_(holders),
        ]
        if force_id is not None:
            conditions.append(OfficerRow.force_id == force_id)
        return self._load(*conditions)

    def force_names(self, force_ids: Iterable[str]) -> dict[str, str]:
        """Force id to its name (the id itself for one not found)."""
        ids = list(force_ids)
        with self.db.read() as conn:
            rows = conn.execute(select(ForceRow.id, ForceRow.name).where(ForceRow.id.in_(ids)))
            names = {row.id: row.name for row in rows}
        return {f: names.get(f, f) for f in ids}

    def labels(self, officer_ids: set[int] | list[int]) -> dict[int, str]:
        """Each officer's ``display`` label, in three queries whatever the number."""
        officers = self._load(OfficerRow.id.in_(sorted(set(officer_ids)))) if officer_ids else []
        names = self.force_names(sorted({o.force_id for o in officers}))
        return {o.id: o.display(names[o.force_id]) for o in officers}

    def _load(self, *conditions: ColumnElement[bool]) -> list[Officer]:
        """Officers matching the conditions with their identifiers: two queries in all."""
        with self.db.read() as conn:
            rows = list(conn.execute(select(OfficerRow).where(*conditions).order_by(OfficerRow.id)))
            identifiers: dict[int, list[Identifier]] = {row.id: [] for row in rows}
            for i in conn.execute(
                select(OfficerIdentifier)
                .where(OfficerIdentifier.officer_id.in_(select(OfficerRow.id).where(*conditions)))
                .order_by(OfficerIdentifier.valid_from.is_(None).desc(), OfficerIdentifier.id)
            ):
                identifiers[i.officer_id].append(
                    Identifier(i.kind, i.value, i.valid_from, i.valid_to)
                )
            photos: dict[int, list[str]] = {row.id: [] for row in rows}
            for photo in conn.execute(
                select(OfficerPhoto.officer_id, OfficerPhoto.sha256)
                .where(OfficerPhoto.officer_id.in_(select(OfficerRow.id).where(*conditions)))
                .order_by(OfficerPhoto.added_at, OfficerPhoto.sha256)
            ):
                photos[photo.officer_id].append(photo.sha256)
        return [
            Officer(
                row.id,
                row.force_id,
                row.merged_into,
                tuple(identifiers[row.id]),
                tuple(photos[row.id]),
            )
            for row in rows
        ]

    def add_photo(self, officer_id: int, sha256: str, actor: str, who: Entitlement) -> Officer:
        """Link a photo of the officer: an image already lodged in the vault, which ``who``
        must be entitled to (their organisation holds it, or they bring its claim)."""
        officer = self.get(officer_id)
        if officer.merged_into is not None:
            raise InvalidRequestError(f"officer {officer_id} was merged into {officer.merged_into}")
        with self.db.write() as conn:
            media_type = conn.execute(
                select(Evidence.media_type).where(Evidence.sha256 == sha256)
            ).scalar()
            if media_type is None:
                raise InvalidRequestError(f"photo: {sha256!r} is not in the vault")
            if not media_type.startswith("image/"):
                raise InvalidRequestError(f"photo: {sha256[:12]}… is {media_type}, not an image")
            check_may_link(conn, "photo", [sha256], who)
            if sha256 not in officer.photos:
                conn.execute(
                    insert(OfficerPhoto).values(
                        officer_id=officer_id, sha256=sha256, added_at=_now(), added_by=actor
                    )
                )
                record_change(
                    conn, "officer", officer_id, "add photo", actor, None, {"photo": sha256}
                )
        return self.get(officer_id)


def _holds_now(officer: Officer, typed: str) -> bool:
    """Whether the officer's current collar number is the one typed (with or without rank)."""
    collar = officer.current("collar")
    ranked = _RANK_WORD.fullmatch(typed)
    typed_forms = {typed, ranked["rest"]} if ranked else {typed}
    return collar is not None and collar in {"".join(t.split()).upper() for t in typed_forms}


def _check_date(value: date | None) -> None:
    if value is not None and value > _today():
        raise InvalidRequestError(f"date {value.isoformat()} is in the future")


def _insert_identifier(
    conn: Connection, officer_id: int, kind: str, value: str, since: date | None, actor: str
) -> None:
    conn.execute(
        insert(OfficerIdentifier).values(
            officer_id=officer_id,
            kind=kind,
            value=value,
            valid_from=since,
            valid_to=None,
            recorded_at=_now(),
            recorded_by=actor,
        )
    )
