"""The allegation records the early-warning features are built from, read once from the cases
data into arrays: one row per allegation against an officer, dated, with what became of it and
when that became known.

Only OpenWitness's own fields are read (allegation categories and findings in the project's
vocabulary, the officer attributes every importer writes under the roster CSV's names), so the
same code runs on any jurisdiction loaded through the importers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func, select

from openwitness.patterns import EPOCH
from openwitness.storage.db import Database
from openwitness.storage.models import Allegation, Complaint, Incident, Officer

#: findings that mean the allegation was found proven (or that there is a case to answer)
ADVERSE_FINDINGS = frozenset(
    {"sustained", "upheld", "case-to-answer-misconduct", "case-to-answer-gross-misconduct"}
)
#: results that are no sanction at all
NO_SANCTION = frozenset({"no-further-action", "none", "other"})
#: when a record has no decision or closing date, its outcome is taken as known this long after
#: the complaint (so it is never used before it could have been known)
OUTCOME_LAG_DAYS = 365
#: a complaint naming more officers than this (a mass complaint) adds nothing to the co-accusal
#: network: it would tie together officers who merely worked the same event
MAX_COACCUSED = 20
UNKNOWN_DAY = -1


def day_number(value: date | datetime | None) -> int:
    if value is None:
        return UNKNOWN_DAY
    if isinstance(value, datetime):
        value = value.date()
    return max((value - EPOCH).days, 0)


@dataclass(frozen=True)
class AllegationRecords:
    """Parallel arrays; officers are numbered 0..n-1 (``officer_ids`` gives their ids)."""

    officer_ids: NDArray[np.int64]  # per officer
    force: NDArray[np.int64]  # per officer: index into ``forces``
    forces: tuple[str, ...]
    employed_from: NDArray[np.int64]  # per officer: day number, UNKNOWN_DAY if not known
    employed_to: NDArray[np.int64]  # per officer: day number, UNKNOWN_DAY if still serving
    gender: tuple[str | None, ...]  # per officer
    race: tuple[str | None, ...]  # per officer
    officer: NDArray[np.int64]  # per allegation: index into the officer arrays
    complaint: NDArray[np.int64]  # per allegation
    day: NDArray[np.int64]  # per allegation: when the complaint was made (or the incident)
    known: NDArray[np.int64]  # per allegation: when its outcome was known
    group: NDArray[np.int64]  # per allegation: index into ``groups`` (category's first part)
    groups: tuple[str, ...]
    adverse: NDArray[np.bool_]  # per allegation: found proven (final, else recommended)
    downgraded: NDArray[np.bool_]  # recommended adverse, final not
    sanctioned: NDArray[np.bool_]  # a sanction was given

    @property
    def last_day(self) -> int:
        return int(self.day.max()) if len(self.day) else UNKNOWN_DAY

    @property
    def first_day(self) -> int:
        return int(self.day.min()) if len(self.day) else UNKNOWN_DAY


def _attribute_day(attributes: dict[str, object] | None, key: str) -> int:
    text = str((attributes or {}).get(key) or "")[:10]
    try:
        return day_number(date.fromisoformat(text))
    except ValueError:
        return UNKNOWN_DAY


def _attribute(attributes: dict[str, object] | None, key: str) -> str | None:
    value = (attributes or {}).get(key)
    return str(value).strip().lower() or None if value not in (None, "") else None


def load_records(db: Database) -> AllegationRecords:
    """Every allegation naming an officer, with a date, as arrays (merged records followed)."""
    when = func.coalesce(Complaint.received_at, Complaint.dated_at, Incident.occurred_at)
    query = (
        select(
            Allegation.officer_id, Allegation.complaint_id, when, Allegation.category,
            Allegation.final_finding, Allegation.recommended_finding, Allegation.final_result,
            Allegation.recommended_result, Allegation.decided_on, Allegation.closed_on,
        )
        .join(Complaint, Complaint.id == Allegation.complaint_id)
        .join(Incident, Incident.id == Complaint.incident_id)
        .where(Allegation.officer_id.is_not(None))
    )  # fmt: skip
    with db.read() as conn:
        rows = conn.execute(query).all()
        officers = conn.execute(
            select(Officer.id, Officer.force_id, Officer.merged_into, Officer.attributes)
        ).all()
    merged = {o.id: o.merged_into for o in officers if o.merged_into}

    def survivor(officer_id: int | None) -> int:  # the query excludes None
        assert officer_id is not None
        seen = set()
        while officer_id in merged and officer_id not in seen:
            seen.add(officer_id)
            officer_id = merged[officer_id]
        return officer_id

    kept = [o for o in officers if not o.merged_into]
    index = {o.id: i for i, o in enumerate(kept)}
    forces = tuple(sorted({o.force_id for o in kept}))
    force_index = {f: i for i, f in enumerate(forces)}
    events = [
        r for r in rows if r[0] is not None and r[2] is not None and survivor(int(r[0])) in index
    ]
    groups = tuple(sorted({(r[3] or "uncategorised").split("/")[0] for r in events}))
    group_index = {g: i for i, g in enumerate(groups)}
    n = len(events)
    day = np.empty(n, np.int64)
    known = np.empty(n, np.int64)
    adverse = np.zeros(n, np.bool_)
    downgraded = np.zeros(n, np.bool_)
    sanctioned = np.zeros(n, np.bool_)
    for i, row in enumerate(events):
        final, recommended = row[4], row[5]
        day[i] = day_number(row[2])
        decided = day_number(row[8] or row[9])
        known[i] = decided if decided >= day[i] else day[i] + OUTCOME_LAG_DAYS
        adverse[i] = (final or recommended) in ADVERSE_FINDINGS
        downgraded[i] = recommended in ADVERSE_FINDINGS and final is not None and not adverse[i]
        result = row[6] or row[7]
        sanctioned[i] = result is not None and result not in NO_SANCTION
    return AllegationRecords(
        officer_ids=np.array([o.id for o in kept], np.int64),
        force=np.array([force_index[o.force_id] for o in kept], np.int64),
        forces=forces,
        employed_from=np.array([_attribute_day(o.attributes, "employment_date") for o in kept]),
        employed_to=np.array([_attribute_day(o.attributes, "resign_date") for o in kept]),
        gender=tuple(_attribute(o.attributes, "gender") for o in kept),
        race=tuple(_attribute(o.attributes, "race") for o in kept),
        officer=np.array([index[survivor(r[0])] for r in events], np.int64),
        complaint=np.array([r[1] for r in events], np.int64),
        day=day,
        known=known,
        group=np.array([group_index[(r[3] or "uncategorised").split("/")[0]] for r in events]),
        groups=groups,
        adverse=adverse,
        downgraded=downgraded,
        sanctioned=sanctioned,
    )
