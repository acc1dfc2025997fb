"""Public complaint statistics: allegations by category, findings, sanctions, time to close
and overdue counts, per force and overall, from the case records.

Why this may be public. The case records belong to many organisations (and include imported
public releases), and each organisation sees only its own cases in full. What is published
here is aggregate counts only, never a record: no names, ids, narratives, places, officers,
reporters or organisations, and nothing below two thresholds:

- a force with fewer than ``min_complaints`` complaints (K, default 10; setting
  ``stats_min_cases``, env ``OPENWITNESS_STATS_MIN_CASES``) is left out entirely and listed
  only under ``withheld`` ("withheld: fewer than K complaints"); the overall figures cover
  the published forces only, so a withheld force's counts cannot be had by subtraction;
- a cell with a count from 1 to 4 (below ``MIN_CELL``) is published as
  ``{"count": null, "suppressed": true}``. Where a breakdown's total is published, one more
  cell (the smallest) is suppressed until at least two are and they add up to ``MIN_CELL`` or
  more, so a small cell cannot be had as the total minus the others. An overall cell is
  suppressed whenever that cell is suppressed for any published force, so it cannot be had as
  the overall minus the other forces either. Breakdowns list values in a fixed order (the
  vocabulary's), never by count, so the order gives nothing away; values with no allegation
  are left out. A median is shown only over ``MIN_CELL`` or more allegations.

Definitions (see also ``docs/statistics.md``):

- allegations are counted once each; a complaint counts towards its incident's force;
- ``by_category``: the top-level IOPC category (subcategories folded in; ``not-assessed``
  when none is recorded yet); ``by_final_finding`` and ``by_final_result``: the final (not
  the recommended) finding and result, ``none`` when not recorded;
- ``status``: ``open`` (any status but closed) and ``closed``; ``overdue``: open allegations
  whose due date is before ``as_of`` (today, UTC, unless given), the definition of
  ``openwitness.cases.allegations.overdue_condition``;
- ``adverse``: allegations whose final finding is one of ``ADVERSE_FINDINGS`` (upheld,
  sustained, or a case to answer for misconduct or gross misconduct, after which a
  disciplinary outcome follows in England and Wales); ``sanctions_after_adverse`` splits them
  by the final result on ``SANCTION_SCALE``: ``written-warning-or-less`` (levels 0 to 2),
  ``more-than-written-warning`` (levels 3 and up) and ``unranked-or-none`` (a result not on
  the scale, such as resigned or retired, or none recorded);
- ``days_to_close``: per allegation, days from the complaint's receipt (its UTC date) to the
  allegation's ``closed_on``; allegations without a received date (some imports) or closed
  before it (inconsistent source data) are left out; ``allegations`` is how many were used.

JSON keys (``ComplaintReport.to_dict``), stable::

    {"as_of": "YYYY-MM-DD", "min_complaints": K, "min_cell": 5,
     "sanction_scale": [{"level": 0, "name": "no-sanction", "results": [...]}, ...],
     "forces": [FORCE, ...], "withheld": [{"force": id, "reason": "withheld: ..."}],
     "overall": FIGURES or null (null when one force was asked for)}
    FORCE = {"force": id, "name": name, **FIGURES}
    FIGURES = {"complaints": CELL, "allegations": CELL, "status": [VCELL], "overdue": CELL,
               "by_category": [VCELL], "by_final_finding": [VCELL],
               "by_final_result": [VCELL], "adverse": CELL,
               "sanctions_after_adverse": [VCELL],
               "days_to_close": {"allegations": CELL, "median": number or null}}
    CELL = {"count": int or null, "suppressed": bool};  VCELL = {"value": str, **CELL}
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Date, Integer, and_, case, cast, func, select

from openwitness.cases.outcomes import FINDINGS, RESULTS
from openwitness.cases.taxonomy import IOPC_CATEGORIES
from openwitness.core.clock import today
from openwitness.core.errors import InvalidRequestError
from openwitness.storage.db import Database
from openwitness.storage.models import Allegation as AllegationRow
from openwitness.storage.models import Complaint as ComplaintRow
from openwitness.storage.models import Force as ForceRow

#: Counts from 1 to MIN_CELL - 1 are never published.
MIN_CELL = 5
DEFAULT_MIN_COMPLAINTS = 10
MAX_FORCE_ID = 64

#: Final findings after which a sanction is decided.
ADVERSE_FINDINGS = (
    "upheld",
    "sustained",
    "case-to-answer-misconduct",
    "case-to-answer-gross-misconduct",
)

#: The results of ``openwitness.cases.outcomes.RESULTS``, least to most severe. OpenWitness's
#: own ordering, made so records from England and Wales, Chicago and New York can be read on
#: one scale: a Chicago reprimand sits with a written warning, New York's command discipline
#: (which may forfeit leave) with a final written warning, and a separation with dismissal.
SANCTION_SCALE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("no-sanction", ("no-further-action",)),
    (
        "learning",
        ("reflective-practice", "practice-requiring-improvement", "instructions-or-training"),
    ),
    ("warning", ("written-warning", "reprimand")),
    ("final-warning", ("final-written-warning", "command-discipline")),
    ("suspension-or-demotion", ("suspension", "reduction-in-rank")),
    ("charges", ("charges",)),  # New York: charges brought to a departmental trial
    ("dismissal", ("dismissal-without-notice", "separation", "barred-list")),
)
#: Results that are not a sanction of the officer, so not on the scale.
UNRANKED_RESULTS = ("resigned-or-retired", "advisory-list", "other")
#: The highest level that counts as "a written warning or less".
WRITTEN_WARNING_LEVEL = 2
LEVEL_OF_RESULT = {r: level for level, (_, rs) in enumerate(SANCTION_SCALE) for r in rs}
SANCTION_GROUPS = ("written-warning-or-less", "more-than-written-warning", "unranked-or-none")

NONE = "none"
NOT_ASSESSED = "not-assessed"
#: breakdown -> the scalar cell that is its total
BREAKDOWNS = {
    "status": "allegations",
    "by_category": "allegations",
    "by_final_finding": "allegations",
    "by_final_result": "allegations",
    "sanctions_after_adverse": "adverse",
}
SCALARS = ("complaints", "allegations", "overdue", "adverse", "closed_with_dates")
_ORDER: dict[str, tuple[str, ...]] = {
    "status": ("open", "closed"),
    "by_category": (*(c.id for c in IOPC_CATEGORIES), NOT_ASSESSED),
    "by_final_finding": (*FINDINGS, NONE),
    "by_final_result": (*RESULTS, NONE),
    "sanctions_after_adverse": SANCTION_GROUPS,
}

Key = tuple[str, str | None]  # (section, value); value None for a scalar


def sanction_group(result: str | None) -> str:
    level = LEVEL_OF_RESULT.get(result or "")
    if level is None:
        return "unranked-or-none"
    if level <= WRITTEN_WARNING_LEVEL:
        return "written-warning-or-less"
    return "more-than-written-warning"


def median_of(days: Counter[int]) -> float | None:
    """The median of a frequency table (None when it is empty)."""
    n = sum(days.values())
    if n == 0:
        return None
    wanted = {(n - 1) // 2, n // 2}
    found: list[int] = []
    seen = 0
    for value in sorted(days):
        count = days[value]
        found.extend(value for i in wanted if seen <= i < seen + count)
        seen += count
    return sum(found) / len(found)


@dataclass
class _Raw:
    """A force's true counts: never leaves this module before suppression."""

    counts: Counter[Key] = field(default_factory=Counter)
    days: Counter[int] = field(default_factory=Counter)


@dataclass(frozen=True)
class Figures:
    """Published figures: every count already checked against the thresholds."""

    counts: dict[Key, int]
    suppressed: frozenset[Key]
    median_days: float | None

    def cell(self, key: Key) -> dict[str, Any]:
        hidden = key in self.suppressed
        return {"count": None if hidden else self.counts.get(key, 0), "suppressed": hidden}

    def to_dict(self) -> dict[str, Any]:
        shown: dict[str, Any] = {}
        for section in ("complaints", "allegations"):
            shown[section] = self.cell((section, None))
        shown["status"] = self._breakdown("status")
        shown["overdue"] = self.cell(("overdue", None))
        for section in ("by_category", "by_final_finding", "by_final_result"):
            shown[section] = self._breakdown(section)
        shown["adverse"] = self.cell(("adverse", None))
        shown["sanctions_after_adverse"] = self._breakdown("sanctions_after_adverse")
        shown["days_to_close"] = {
            "allegations": self.cell(("closed_with_dates", None)),
            "median": self.median_days,
        }
        return shown

    def _breakdown(self, section: str) -> list[dict[str, Any]]:
        present = {v for (s, v) in self.counts if s == section and v is not None}
        known = _ORDER[section]
        ordered = [v for v in known if v in present] + sorted(present - set(known))
        return [{"value": v, **self.cell((section, v))} for v in ordered]


@dataclass(frozen=True)
class ForceFigures:
    force: str
    name: str
    figures: Figures

    def to_dict(self) -> dict[str, Any]:
        return {"force": self.force, "name": self.name, **self.figures.to_dict()}


@dataclass(frozen=True)
class ComplaintReport:
    as_of: date
    min_complaints: int
    forces: tuple[ForceFigures, ...]
    withheld: tuple[str, ...]
    overall: Figures | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "min_complaints": self.min_complaints,
            "min_cell": MIN_CELL,
            "sanction_scale": [
                {"level": level, "name": name, "results": list(results)}
                for level, (name, results) in enumerate(SANCTION_SCALE)
            ],
            "forces": [f.to_dict() for f in self.forces],
            "withheld": [
                {"force": f, "reason": f"withheld: fewer than {self.min_complaints} complaints"}
                for f in self.withheld
            ],
            "overall": self.overall.to_dict() if self.overall is not None else None,
        }


def _small(count: int) -> bool:
    return 0 < count < MIN_CELL


def _suppress(counts: Counter[Key]) -> set[Key]:
    """Primary suppression of small cells, then secondary within each breakdown whose total
    is published (see the module docstring)."""
    hidden = {key for key, count in counts.items() if _small(count)}
    for section, total in BREAKDOWNS.items():
        cells = {k: n for k, n in counts.items() if k[0] == section and n > 0}
        if (total, None) in hidden:
            continue  # its cells are all below MIN_CELL, so hidden already
        while True:
            gone = [k for k in cells if k in hidden]
            if not gone or (len(gone) >= 2 and sum(cells[k] for k in gone) >= MIN_CELL):
                break
            left = sorted((k for k in cells if k not in hidden), key=lambda k: (cells[k], k))
            if not left:
                break
            hidden.add(left[0])
    return hidden


def _publish(raw: _Raw) -> Figures:
    counts = Counter({k: n for k, n in raw.counts.items() if n > 0})
    n = counts[("closed_with_dates", None)]
    return Figures(dict(counts), frozenset(_suppress(counts)), _median(raw.days, n))


def _median(days: Counter[int], n: int) -> float | None:
    return median_of(days) if n >= MIN_CELL else None


def _overall(published: list[tuple[_Raw, Figures]]) -> Figures:
    """The published forces together; a cell hidden for any of them is hidden here too."""
    counts: Counter[Key] = Counter()
    days: Counter[int] = Counter()
    hidden: set[Key] = set()
    for raw, figures in published:
        counts.update({k: n for k, n in raw.counts.items() if n > 0})
        days.update(raw.days)
        hidden |= figures.suppressed
    hidden |= {key for key, count in counts.items() if _small(count)}
    n = counts[("closed_with_dates", None)]
    return Figures(dict(counts), frozenset(hidden), _median(days, n))


def _top_category(category: str | None) -> str:
    return category.partition("/")[0] if category else NOT_ASSESSED


class ComplaintStats:
    """Aggregate complaint figures for publication (see the module docstring)."""

    def __init__(self, db: Database, min_complaints: int = DEFAULT_MIN_COMPLAINTS) -> None:
        if min_complaints < MIN_CELL:
            raise ValueError(f"min_complaints: at least {MIN_CELL} (the smallest cell shown)")
        self.db = db
        self.min_complaints = min_complaints

    def report(self, force: str | None = None, as_of: date | None = None) -> ComplaintReport:
        """Figures for every force with complaints, or for one; ``as_of`` dates the overdue
        count (default today, UTC)."""
        as_of = as_of or today()
        with self.db.read() as conn:
            if force is not None:
                _check_force(force)
                if conn.execute(select(ForceRow.id).where(ForceRow.id == force)).first() is None:
                    raise InvalidRequestError(f"force: unknown force {force!r}")
            where = [ComplaintRow.force_id == force] if force is not None else []
            complaints: dict[str, int] = {
                row[0]: row[1]
                for row in conn.execute(
                    select(ComplaintRow.force_id, func.count())
                    .where(*where)
                    .group_by(ComplaintRow.force_id)
                )
            }
            shown = sorted(f for f, n in complaints.items() if n >= self.min_complaints)
            withheld = sorted(set(complaints) - set(shown))
            if force is not None and not complaints:
                withheld = [force]
            raw = {f: _Raw() for f in shown}
            for f in shown:
                raw[f].counts[("complaints", None)] = complaints[f]
            if shown:
                self._count_allegations(conn, shown, raw, as_of)
                self._count_days(conn, shown, raw)
                names: dict[str, str] = {
                    row.id: row.name
                    for row in conn.execute(
                        select(ForceRow.id, ForceRow.name).where(ForceRow.id.in_(shown))
                    )
                }
        published = [(raw[f], _publish(raw[f])) for f in shown]
        return ComplaintReport(
            as_of=as_of,
            min_complaints=self.min_complaints,
            forces=tuple(
                ForceFigures(f, names[f], figures)
                for f, (_, figures) in zip(shown, published, strict=True)
            ),
            withheld=tuple(withheld),
            overall=_overall(published) if force is None else None,
        )

    def _count_allegations(
        self, conn: Any, forces: list[str], raw: dict[str, _Raw], as_of: date
    ) -> None:
        """One grouped scan of the forces' allegations; the marginals are folded from it.
        The flags are computed in a subquery so that the GROUP BY names plain columns."""
        is_open = AllegationRow.status != "closed"
        flags = (
            select(
                ComplaintRow.force_id.label("force"),
                AllegationRow.category.label("category"),
                AllegationRow.final_finding.label("finding"),
                AllegationRow.final_result.label("result"),
                case((is_open, 1), else_=0).label("open"),
                case((and_(is_open, AllegationRow.due_on < as_of), 1), else_=0).label("overdue"),
            )
            .join(ComplaintRow, ComplaintRow.id == AllegationRow.complaint_id)
            .where(ComplaintRow.force_id.in_(forces))
            .subquery()
        )
        grouped = select(
            flags.c.force,
            flags.c.category,
            flags.c.finding,
            flags.c.result,
            flags.c.open,
            flags.c.overdue,
            func.count(),
        ).group_by(
            flags.c.force,
            flags.c.category,
            flags.c.finding,
            flags.c.result,
            flags.c.open,
            flags.c.overdue,
        )
        for row in conn.execute(grouped):
            counts = raw[row.force].counts
            n: int = row[6]
            finding = row.finding or NONE
            counts.update(
                {
                    ("allegations", None): n,
                    ("status", "open" if row.open else "closed"): n,
                    ("overdue", None): n if row.overdue else 0,
                    ("by_category", _top_category(row.category)): n,
                    ("by_final_finding", finding): n,
                    ("by_final_result", row.result or NONE): n,
                }
            )
            if finding in ADVERSE_FINDINGS:
                counts[("adverse", None)] += n
                counts[("sanctions_after_adverse", sanction_group(row.result))] += n

    def _count_days(self, conn: Any, forces: list[str], raw: dict[str, _Raw]) -> None:
        """Days to close, as a frequency table per force (the median is taken from it)."""
        inner = (
            select(ComplaintRow.force_id.label("force"), self._days().label("days"))
            .join(ComplaintRow, ComplaintRow.id == AllegationRow.complaint_id)
            .where(
                ComplaintRow.force_id.in_(forces),
                AllegationRow.closed_on.is_not(None),
                ComplaintRow.received_at.is_not(None),
            )
            .subquery()
        )
        query = (
            select(inner.c.force, inner.c.days, func.count())
            .where(inner.c.days >= 0)
            .group_by(inner.c.force, inner.c.days)
        )
        for force, days, n in conn.execute(query):
            raw[force].days[int(days)] += n
            raw[force].counts[("closed_with_dates", None)] += n

    def _days(self) -> ColumnElement[Any]:
        """Whole days from the complaint's receipt (its UTC date) to the allegation's close."""
        if self.db.is_sqlite:  # datetimes are stored as UTC text
            return cast(
                func.julianday(AllegationRow.closed_on)
                - func.julianday(func.date(ComplaintRow.received_at)),
                Integer,
            )
        received = cast(func.timezone("UTC", ComplaintRow.received_at), Date)
        return AllegationRow.closed_on - received


def _check_force(force: str) -> None:
    if not 0 < len(force) <= MAX_FORCE_ID or "\x00" in force:
        raise InvalidRequestError(f"force: 1 to {MAX_FORCE_ID} characters")
