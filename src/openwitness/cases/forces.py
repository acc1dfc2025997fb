"""Police forces: the UK's, seeded on start-up, and other countries' departments added by hand.

Ids are data.police.uk's force slugs where one exists (``metropolitan``, ``avon-and-somerset``,
``btp``), so the public statistics and the case records name a force the same way. Ids are
stable: a force is never renamed by changing its id, and never deleted (records point at it).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, insert, select

from openwitness.core.errors import InvalidRequestError, NotFoundError
from openwitness.storage.db import Database
from openwitness.storage.models import Force as ForceRow

_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_COUNTRY = re.compile(r"[A-Z]{2}")
JURISDICTIONS = ("england-wales", "scotland", "northern-ireland", "uk", "other")
#: Who takes complaints against each UK jurisdiction's police (BTP: IOPC in England and Wales,
#: PIRC in Scotland; the national forces: IOPC).
COMPLAINTS_BODY = {
    "england-wales": "IOPC",
    "scotland": "PIRC",
    "northern-ireland": "PONI",
    "uk": "IOPC",
}


@dataclass(frozen=True)
class Force:
    id: str
    name: str
    country: str  # ISO 3166-1 alpha-2
    jurisdiction: str
    kind: str  # "territorial", "national" or "department" (another country's)

    @property
    def complaints_body(self) -> str | None:
        return COMPLAINTS_BODY.get(self.jurisdiction) if self.country == "GB" else None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "complaints_body": self.complaints_body}


def _territorial(jurisdiction: str, *names: tuple[str, str]) -> list[Force]:
    return [Force(slug, name, "GB", jurisdiction, "territorial") for slug, name in names]


UK_FORCES: tuple[Force, ...] = (
    *_territorial(
        "england-wales",
        ("avon-and-somerset", "Avon and Somerset Constabulary"),
        ("bedfordshire", "Bedfordshire Police"),
        ("cambridgeshire", "Cambridgeshire Constabulary"),
        ("cheshire", "Cheshire Constabulary"),
        ("city-of-london", "City of London Police"),
        ("cleveland", "Cleveland Police"),
        ("cumbria", "Cumbria Constabulary"),
        ("derbyshire", "Derbyshire Constabulary"),
        ("devon-and-cornwall", "Devon and Cornwall Police"),
        ("dorset", "Dorset Police"),
        ("durham", "Durham Constabulary"),
        ("dyfed-powys", "Dyfed-Powys Police"),
        ("essex", "Essex Police"),
        ("gloucestershire", "Gloucestershire Constabulary"),
        ("greater-manchester", "Greater Manchester Police"),
        ("gwent", "Gwent Police"),
        ("hampshire", "Hampshire and Isle of Wight Constabulary"),
        ("hertfordshire", "Hertfordshire Constabulary"),
        ("humberside", "Humberside Police"),
        ("kent", "Kent Police"),
        ("lancashire", "Lancashire Constabulary"),
        ("leicestershire", "Leicestershire Police"),
        ("lincolnshire", "Lincolnshire Police"),
        ("merseyside", "Merseyside Police"),
        ("metropolitan", "Metropolitan Police Service"),
        ("norfolk", "Norfolk Constabulary"),
        ("north-wales", "North Wales Police"),
        ("north-yorkshire", "North Yorkshire Police"),
        ("northamptonshire", "Northamptonshire Police"),
        ("northumbria", "Northumbria Police"),
        ("nottinghamshire", "Nottinghamshire Police"),
        ("south-wales", "South Wales Police"),
        ("south-yorkshire", "South Yorkshire Police"),
        ("staffordshire", "Staffordshire Police"),
        ("suffolk", "Suffolk Constabulary"),
        ("surrey", "Surrey Police"),
        ("sussex", "Sussex Police"),
        ("thames-valley", "Thames Valley Police"),
        ("warwickshire", "Warwickshire Police"),
        ("west-mercia", "West Mercia Police"),
        ("west-midlands", "West Midlands Police"),
        ("west-yorkshire", "West Yorkshire Police"),
        ("wiltshire", "Wiltshire Police"),
    ),
    Force("police-scotland", "Police Scotland", "GB", "scotland", "territorial"),
    Force("psni", "Police Service of Northern Ireland", "GB", "northern-ireland", "territorial"),
    Force("btp", "British Transport Police", "GB", "uk", "national"),
    Force("civil-nuclear", "Civil Nuclear Constabulary", "GB", "uk", "national"),
    Force("ministry-of-defence", "Ministry of Defence Police", "GB", "uk", "national"),
)


def _from_row(row: Any) -> Force:
    return Force(row.id, row.name, row.country, row.jurisdiction, row.kind)


def seed_uk_forces(conn: Connection) -> int:
    """Insert the UK forces that are missing (safe to repeat); returns how many were added."""
    present = set(conn.execute(select(ForceRow.id)).scalars())
    missing = [asdict(f) for f in UK_FORCES if f.id not in present]
    if missing:
        conn.execute(insert(ForceRow), missing)
    return len(missing)


def ensure_department(conn: Connection, force_id: str, name: str, country: str) -> Force:
    """Another country's department, added in the caller's transaction if it is missing."""
    force = Force(force_id, name, country, "other" if country != "GB" else "uk", "department")
    if not conn.execute(select(ForceRow.id).where(ForceRow.id == force_id)).first():
        conn.execute(insert(ForceRow).values(**asdict(force)))
    return force


class Forces:
    """The force registry, shared by officers, incidents and the statistics."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def list(self, country: str | None = None) -> list[Force]:
        query = select(ForceRow).order_by(ForceRow.country, ForceRow.name)
        if country is not None:
            query = query.where(ForceRow.country == country.upper())
        with self.db.read() as conn:
            return [_from_row(row) for row in conn.execute(query)]

    def get(self, force_id: str) -> Force:
        with self.db.read() as conn:
            row = conn.execute(select(ForceRow).where(ForceRow.id == force_id)).first()
        if row is None:
            raise NotFoundError(f"unknown force {force_id!r}: see 'witness force list'")
        return _from_row(row)

    def add(self, force_id: str, name: str, country: str) -> Force:
        """Add another country's department (UK forces are seeded and cannot be added twice)."""
        if not _ID.fullmatch(force_id) or len(force_id) > 64:
            raise InvalidRequestError(
                "force id: use lower-case letters, digits and single hyphens (e.g. us-chicago-pd)"
            )
        name = name.strip()
        if not name or len(name) > 200:
            raise InvalidRequestError("force name: 1 to 200 characters")
        if not _COUNTRY.fullmatch(country):
            raise InvalidRequestError("force country: a two-letter ISO 3166 code such as US")
        with self.db.write() as conn:
            if conn.execute(select(ForceRow.id).where(ForceRow.id == force_id)).first():
                raise InvalidRequestError(f"force id {force_id!r} already exists")
            return ensure_department(conn, force_id, name, country)
