"""OpenWitness's own CSV layouts: officer rosters and complaint histories (``docs/importing.md``).

Rosters also accept OpenOversight's bulk-upload layout (``unique_internal_identifier``,
``first_name``, ``last_name``, ``star_no``, ``job_title``, ``unit_id``, ``employment_date``,
…), so a roster prepared for OpenOversight loads unchanged. Every row is checked before
anything is written; a row that fails is reported with the reason and the whole file is
refused, so a file is never half-imported (``--dry-run`` shows every such row).
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

from openwitness.cases.allegations import ASSESSMENT_DAYS, FIRST_ACTION
from openwitness.cases.importers.bulk import AllegationIn, ComplaintIn, ImportReport, OfficerIn
from openwitness.cases.importers.files import at_midnight, parse_date, read_csv
from openwitness.cases.incidents import ENCOUNTER_TYPES
from openwitness.cases.officers import normalise
from openwitness.cases.outcomes import FINDINGS, HANDLING_ROUTES, RESULTS, STATUSES, check
from openwitness.cases.taxonomy import LEGACY_CODES, check_category, from_legacy_code
from openwitness.core.clock import today
from openwitness.core.errors import InvalidRequestError

#: roster column -> the OpenOversight bulk-upload column accepted in its place
ROSTER_ALIASES = {
    "officer_id": "unique_internal_identifier",
    "collar": "star_no",
    "rank": "job_title",
    "unit": "unit_id",
    "since": "start_date",
}
ROSTER_IDENTIFIERS = ("name", "collar", "warrant", "rank", "unit", "alias")
ROSTER_ATTRIBUTES = ("gender", "race", "birth_year", "employment_date", "resign_date")
COMPLAINT_COLUMNS = ("complaint_id", "received_on")
ALLEGATION_FIELDS = (
    "status",
    "handling",
    "recommended_finding",
    "final_finding",
    "recommended_result",
    "final_result",
)


class RowError(ValueError):
    """One row's problem, named by its column."""


def _get(row: dict[str, str], column: str) -> str:
    value = row.get(column) or row.get(ROSTER_ALIASES.get(column, ""), "")
    return value.strip()


def _date(row: dict[str, str], column: str, future_ok: bool = False) -> date | None:
    value = _get(row, column)
    try:
        day = parse_date(value)
    except ValueError:
        raise RowError(f"{column}: {value!r} is not a date (YYYY-MM-DD)") from None
    if day is not None and not future_ok and day > today():
        raise RowError(f"{column}: {day.isoformat()} is in the future")
    return day


def _roster_row(row: dict[str, str]) -> OfficerIn:
    officer_id = _get(row, "officer_id") or _get(row, "collar")
    if not officer_id:
        raise RowError("officer_id: give officer_id (or unique_internal_identifier) or a collar")
    name = _get(row, "name") or " ".join(
        part
        for part in (_get(row, c) for c in ("first_name", "middle_initial", "last_name", "suffix"))
        if part
    )
    since = _date(row, "since")
    identifiers = []
    for kind in ROSTER_IDENTIFIERS:
        value = name if kind == "name" else _get(row, kind)
        if value:
            try:
                identifiers.append((kind, normalise(kind, value), since, None))
            except InvalidRequestError as exc:
                raise RowError(str(exc)) from None
    if not {"name", "collar", "warrant"} & {kind for kind, *_ in identifiers}:
        raise RowError("name/collar/warrant: an officer needs at least one of them")
    attributes = {key: _get(row, key) for key in ROSTER_ATTRIBUTES if _get(row, key)}
    return OfficerIn(officer_id, tuple(identifiers), attributes)


def read_roster(path: Path, report: ImportReport) -> list[OfficerIn]:
    officers = []
    seen: Counter[str] = Counter()
    for n, row in enumerate(read_csv(path, ()), start=2):
        report.rows_read[path.name] += 1
        if n == 2 and not ({"name", "first_name", "last_name", "collar", "star_no"} & set(row)):
            raise InvalidRequestError(
                f"{path.name}: a roster needs a name (or first_name/last_name) or collar "
                f"(or star_no) column; found {', '.join(row)}"
            )
        try:
            officer = _roster_row(row)
        except RowError as exc:
            report.reject(path.name, n, str(exc))
            continue
        seen[officer.source_id] += 1
        if seen[officer.source_id] > 1:
            report.reject(path.name, n, f"officer_id: {officer.source_id!r} appears twice")
            continue
        officers.append(officer)
    return officers


def _category(value: str) -> str | None:
    if not value:
        return None
    if value.upper() in LEGACY_CODES:
        return from_legacy_code(value)
    return check_category(value)


def _allegation_row(
    row: dict[str, str], n: int, ordinal: Counter[tuple[str, str]]
) -> tuple[ComplaintIn, AllegationIn]:
    complaint_id = _get(row, "complaint_id")
    if not complaint_id:
        raise RowError("complaint_id: missing")
    received = _date(row, "received_on")
    if received is None:
        raise RowError("received_on: missing")
    occurred = _date(row, "occurred_on")
    encounter = _get(row, "encounter_type") or "other"
    if encounter not in ENCOUNTER_TYPES:
        raise RowError(f"encounter_type: one of {', '.join(ENCOUNTER_TYPES)}")
    values = {name: _get(row, name) or None for name in ALLEGATION_FIELDS}
    values["status"] = values["status"] or "received"
    vocabularies = (STATUSES, HANDLING_ROUTES, FINDINGS, FINDINGS, RESULTS, RESULTS)
    try:
        for name, allowed in zip(ALLEGATION_FIELDS, vocabularies, strict=True):
            check(name, values[name], allowed)
        category = _category(_get(row, "category"))
    except InvalidRequestError as exc:
        raise RowError(str(exc)) from None
    officer = _get(row, "officer_id") or None
    key = (complaint_id, officer or "")
    ordinal[key] += 1
    is_open = values["status"] != "closed"
    due = _date(row, "due_on", future_ok=True)
    if is_open and due is None:
        due = date.fromordinal(received.toordinal() + ASSESSMENT_DAYS)
    complaint = ComplaintIn(
        complaint_id,
        at_midnight(occurred),
        at_midnight(received),
        _get(row, "place")[:300],
        encounter,
    )
    allegation = AllegationIn(
        source_id=_get(row, "allegation_id") or f"{complaint_id}/{officer or '-'}/{ordinal[key]}",
        complaint_id=complaint_id,
        officer_id=officer,
        category=category,
        status=str(values["status"]),
        recommended_finding=values["recommended_finding"],
        final_finding=values["final_finding"],
        recommended_result=values["recommended_result"],
        final_result=values["final_result"],
        decided_on=_date(row, "decided_on"),
        closed_on=_date(row, "closed_on") if not is_open else None,
        next_action=(_get(row, "next_action") or FIRST_ACTION)[:300] if is_open else None,
        due_on=due if is_open else None,
        detail={"row": n, "category": _get(row, "category")},
        search_words=_get(row, "category"),
    )
    return complaint, allegation


def read_complaints(
    path: Path, report: ImportReport
) -> tuple[list[ComplaintIn], list[AllegationIn]]:
    complaints: dict[str, ComplaintIn] = {}
    allegations = []
    ordinal: Counter[tuple[str, str]] = Counter()
    for n, row in enumerate(read_csv(path, COMPLAINT_COLUMNS), start=2):
        report.rows_read[path.name] += 1
        try:
            complaint, allegation = _allegation_row(row, n, ordinal)
        except RowError as exc:
            report.reject(path.name, n, str(exc))
            continue
        complaints.setdefault(complaint.source_id, complaint)
        allegations.append(allegation)
    return list(complaints.values()), allegations
