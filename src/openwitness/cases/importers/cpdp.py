"""Chicago: the Citizens Police Data Project's 2018 unified release (Invisible Institute).

Reads the release's folder as published (gzip CSVs with header rows): officer profiles with
their unit history, complaints, and one accused row per officer and complaint. Source ids are
kept: officers by ``UID``, complaints by ``cr_id``, allegations by ``cr_id/UID``. The files
are described in ``docs/importing.md``; categories, findings and penalties are mapped by
``mappings`` and their original text is kept in each allegation's ``source_detail``.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from openwitness.cases.importers.bulk import AllegationIn, ComplaintIn, ImportReport, OfficerIn
from openwitness.cases.importers.files import at_midnight, parse_date, read_csv
from openwitness.cases.importers.mappings import cpdp_category, cpdp_finding, cpdp_result
from openwitness.cases.officers import normalise
from openwitness.core.clock import today
from openwitness.core.errors import InvalidRequestError

SOURCE = "cpdp"
FORCE = ("us-chicago-pd", "Chicago Police Department", "US")
PROFILES = "final-profiles.csv.gz"
UNITS = "unit-history.csv.gz"
UNIT_NAMES = "unit_reference.csv"
COMPLAINTS = "complaints-complaints.csv.gz"
ACCUSED = "complaints-accused.csv.gz"
#: Imported allegations with no finding were open when the release was cut (March 2018).
OPEN_ACTION = "imported without a final finding: confirm the outcome with the source"
CONFIRM_WITHIN_DAYS = 28


def _uid(value: str) -> str:
    """UIDs are ``100001`` in the profiles and ``100001.0`` elsewhere."""
    return str(int(float(value)))


def _date(report: ImportReport, file: str, row: object, column: str, value: str) -> date | None:
    try:
        return parse_date(value)
    except ValueError:
        report.reject(file, row, f"{column}: {value!r} is not a date (kept blank)")
        return None


def _identifier(
    report: ImportReport, row: object, kind: str, value: str
) -> list[tuple[str, str, date | None, date | None]]:
    if not value.strip():
        return []
    try:
        return [(kind, normalise(kind, value), None, None)]
    except InvalidRequestError as exc:
        report.reject(PROFILES, row, f"{kind}: {exc} (identifier left out)")
        return []


def _unit_names(folder: Path) -> dict[str, str]:
    path = folder / UNIT_NAMES
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        return {row[0].strip(): row[1].strip() for row in reader if len(row) > 1 and row[1].strip()}


def _unit(number: str, names: dict[str, str]) -> str:
    unit = str(int(float(number)))
    return names.get(unit, f"unit {unit.zfill(3)}")


def read_officers(folder: Path, report: ImportReport) -> list[OfficerIn]:
    names = _unit_names(folder)
    postings: dict[str, list[tuple[str, str, date | None, date | None]]] = {}
    for n, row in enumerate(
        read_csv(folder / UNITS, ("UID", "unit", "unit_start_date", "unit_end_date")), start=2
    ):
        report.rows_read[UNITS] += 1
        if not row["UID"] or not row["unit"]:
            report.reject(UNITS, n, "UID or unit is blank")
            continue
        start = _date(report, UNITS, n, "unit_start_date", row["unit_start_date"])
        end = _date(report, UNITS, n, "unit_end_date", row["unit_end_date"])
        postings.setdefault(_uid(row["UID"]), []).append(
            ("unit", _unit(row["unit"], names), start, end)
        )
    officers = []
    required = (
        "UID",
        "first_name",
        "last_name",
        "middle_initial",
        "suffix_name",
        "current_star",
        "cleaned_rank",
        "current_rank",
        "current_unit",
    )
    for n, row in enumerate(read_csv(folder / PROFILES, required), start=2):
        report.rows_read[PROFILES] += 1
        if not row["UID"]:
            report.reject(PROFILES, n, "UID is blank")
            continue
        uid = _uid(row["UID"])
        name = " ".join(
            part
            for part in (
                row["first_name"],
                row["middle_initial"],
                row["last_name"],
                row["suffix_name"],
            )
            if part
        )
        star = row["current_star"]
        identifiers = [
            *_identifier(report, n, "name", name),
            *_identifier(report, n, "collar", str(int(float(star))) if star else ""),
            *_identifier(report, n, "rank", row["cleaned_rank"] or row["current_rank"]),
        ]
        units = sorted(postings.get(uid, []), key=lambda p: p[2] or date.min)
        if units:
            identifiers += units
        elif row["current_unit"]:
            identifiers.append(("unit", _unit(row["current_unit"], names), None, None))
        # stored under OpenWitness's own attribute names (those of the roster CSV), so that
        # what reads them (openwitness.patterns) knows no source's column names
        attributes = {
            ours: row.get(theirs) or None
            for theirs, ours in (
                ("appointed_date", "employment_date"),
                ("resignation_date", "resign_date"),
                ("birth_year", "birth_year"),
                ("race", "race"),
                ("gender", "gender"),
                ("current_status", "current_status"),
            )
        }
        officers.append(OfficerIn(uid, tuple(identifiers), attributes))
    return officers


def _place(row: dict[str, str]) -> str:
    if row.get("full_address"):
        return row["full_address"]
    street = " ".join(part for part in (row.get("add1", ""), row.get("add2", "")) if part)
    return ", ".join(part for part in (street, row.get("city", "")) if part)


def read_complaints(folder: Path, report: ImportReport) -> tuple[list[ComplaintIn], dict[str, Any]]:
    """Complaints, and each one's closing date (the allegations' decision date)."""
    complaints = []
    closed: dict[str, Any] = {}
    required = ("cr_id", "incident_date", "complaint_date", "closed_date", "add1", "add2", "city")
    for n, row in enumerate(read_csv(folder / COMPLAINTS, required), start=2):
        report.rows_read[COMPLAINTS] += 1
        if not row["cr_id"]:
            report.reject(COMPLAINTS, n, "cr_id is blank")
            continue
        occurred = _date(report, COMPLAINTS, n, "incident_date", row["incident_date"])
        received = _date(report, COMPLAINTS, n, "complaint_date", row["complaint_date"])
        closed[row["cr_id"]] = _date(report, COMPLAINTS, n, "closed_date", row["closed_date"])
        complaints.append(
            ComplaintIn(row["cr_id"], at_midnight(occurred), at_midnight(received), _place(row))
        )
    return complaints, closed


def read_allegations(
    folder: Path, report: ImportReport, closed: dict[str, Any]
) -> list[AllegationIn]:
    allegations = []
    required = (
        "UID",
        "cr_id",
        "complaint_category",
        "complaint_code",
        "final_finding",
        "final_outcome",
        "recc_finding",
        "recc_outcome",
    )
    confirm_by = today() + timedelta(days=CONFIRM_WITHIN_DAYS)
    for n, row in enumerate(read_csv(folder / ACCUSED, required), start=2):
        report.rows_read[ACCUSED] += 1
        if not row["UID"] or not row["cr_id"]:
            report.reject(ACCUSED, n, "UID or cr_id is blank")
            continue
        uid = _uid(row["UID"])
        final = cpdp_finding(row["final_finding"])
        closed_on = closed.get(row["cr_id"])
        is_closed = final is not None or closed_on is not None
        allegations.append(
            AllegationIn(
                source_id=f"{row['cr_id']}/{uid}",
                complaint_id=row["cr_id"],
                officer_id=uid,
                category=cpdp_category(row["complaint_category"], row["complaint_code"]),
                status="closed" if is_closed else "under-investigation",
                recommended_finding=cpdp_finding(row["recc_finding"]),
                final_finding=final,
                recommended_result=cpdp_result(row["recc_outcome"]),
                final_result=cpdp_result(row["final_outcome"]),
                decided_on=closed_on if final is not None else None,
                closed_on=closed_on if is_closed else None,
                next_action=None if is_closed else OPEN_ACTION,
                due_on=None if is_closed else confirm_by,
                detail={
                    "category": row["complaint_category"],
                    "code": row["complaint_code"],
                    "recc_finding": row["recc_finding"],
                    "recc_outcome": row["recc_outcome"],
                    "final_finding": row["final_finding"],
                    "final_outcome": row["final_outcome"],
                    "cv": row.get("cv"),
                },
                search_words=row["complaint_category"],
            )
        )
    return allegations


def read_release(
    folder: Path, report: ImportReport
) -> tuple[list[OfficerIn], list[ComplaintIn], list[AllegationIn]]:
    if not folder.is_dir():
        raise InvalidRequestError(f"{folder}: not a folder (give the CPDP release's folder)")
    officers = read_officers(folder, report)
    complaints, closed = read_complaints(folder, report)
    return officers, complaints, read_allegations(folder, report, closed)
