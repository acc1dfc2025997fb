"""New York: the CCRB's member-of-service histories (release of 2021-03-20).

Reads the zip as published: four CSV files without header rows (active and inactive
officers, active and inactive officers' allegations). Source ids are kept: officers by the
CCRB member-of-service id, complaints by complaint number, and allegations by
``complaint/officer/n`` (the n-th row of that officer in that complaint, in file order, since
the release gives allegations no id of their own). The board's disposition is the
recommended finding; NYPD's own disposition and penalty are kept only in ``source_detail``,
because the scrape that made this release corrupted them (see ``docs/importing.md``).
"""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

from openwitness.cases.importers.bulk import AllegationIn, ComplaintIn, ImportReport, OfficerIn
from openwitness.cases.importers.files import (
    ImportFileError,
    at_midnight,
    parse_date,
    read_csv_stream,
)
from openwitness.cases.importers.mappings import ccrb_category, ccrb_disposition
from openwitness.cases.officers import normalise
from openwitness.core.errors import InvalidRequestError

SOURCE = "ccrb"
FORCE = ("us-nypd", "New York City Police Department", "US")
OFFICER_COLUMNS = ["id", "command", "lastname", "firstname", "rank", "badge_no"]
ALLEGATION_COLUMNS = [
    "officer_id",
    "complaint_id",
    "date",
    "fado_type",
    "allegation",
    "board_disposition",
    "nypd_disposition",
    "penalty",
]


def _members(archive: zipfile.ZipFile, suffix: str) -> list[str]:
    names = sorted(n for n in archive.namelist() if n.endswith(suffix))
    if not names:
        raise ImportFileError(f"the zip holds no *{suffix} file (is it the CCRB MOS release?)")
    return names


def read_release(
    path: Path, report: ImportReport
) -> tuple[list[OfficerIn], list[ComplaintIn], list[AllegationIn]]:
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file (give the CCRB release's zip)")
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ImportFileError(f"{path}: not a zip file") from None
    with archive:
        officers = []
        for member in _members(archive, "_officer.csv"):
            with archive.open(member) as handle:
                rows = read_csv_stream(handle, member, tuple(OFFICER_COLUMNS), OFFICER_COLUMNS)
                for n, row in enumerate(rows, start=1):
                    report.rows_read[member] += 1
                    officer = _officer(report, member, n, row)
                    if officer is not None:
                        officers.append(officer)
        complaints: dict[str, ComplaintIn] = {}
        allegations = []
        ordinal: Counter[tuple[str, str]] = Counter()
        for member in _members(archive, "_complaint.csv"):
            with archive.open(member) as handle:
                rows = read_csv_stream(
                    handle, member, tuple(ALLEGATION_COLUMNS), ALLEGATION_COLUMNS
                )
                for n, row in enumerate(rows, start=1):
                    report.rows_read[member] += 1
                    if not row["complaint_id"] or not row["officer_id"]:
                        report.reject(member, n, "complaint_id or officer_id is blank")
                        continue
                    try:
                        day = parse_date(row["date"])
                    except ValueError:
                        report.reject(member, n, f"date: {row['date']!r} is not a date (blank)")
                        day = None
                    key = (row["complaint_id"], row["officer_id"])
                    ordinal[key] += 1
                    # The release gives only the incident date; received is unknown.
                    complaints.setdefault(
                        row["complaint_id"],
                        ComplaintIn(row["complaint_id"], at_midnight(day), None, ""),
                    )
                    finding, recommended = ccrb_disposition(row["board_disposition"])
                    allegations.append(
                        AllegationIn(
                            source_id=f"{key[0]}/{key[1]}/{ordinal[key]}",
                            complaint_id=key[0],
                            officer_id=key[1],
                            category=ccrb_category(row["fado_type"], row["allegation"]),
                            status="closed",  # the release holds closed allegations only
                            recommended_finding=finding,
                            recommended_result=recommended,
                            detail={k: row[k] for k in ALLEGATION_COLUMNS[3:]},
                            search_words=f"{row['fado_type']} {row['allegation']}",
                        )
                    )
    return officers, list(complaints.values()), allegations


def _officer(report: ImportReport, member: str, n: int, row: dict[str, str]) -> OfficerIn | None:
    if not row["id"]:
        report.reject(member, n, "id is blank")
        return None
    identifiers = []
    name = " ".join(part for part in (row["firstname"], row["lastname"]) if part)
    for kind, value in (
        ("name", name),
        ("collar", row["badge_no"]),
        ("rank", row["rank"]),
        ("unit", row["command"]),
    ):
        if not value:
            continue
        try:
            identifiers.append((kind, normalise(kind, value), None, None))
        except InvalidRequestError as exc:
            report.reject(member, n, f"{kind}: {exc} (identifier left out)")
    return OfficerIn(row["id"], tuple(identifiers))
