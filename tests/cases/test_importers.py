"""The real Chicago and New York releases load whole, idempotently, keeping their source ids.

These read ../shared/data/complaints in place; each runs once, on SQLite (the subset tests in
tests/cli/test_cli_import.py run on both databases)."""

from __future__ import annotations

from sqlalchemy import func, select

from openwitness.cases.access import Viewer
from openwitness.cases.listing import Filters
from openwitness.services import Services
from openwitness.storage.models import Allegation, Complaint, Officer
from tests.support import SHARED, require_shared

COMPLAINTS = SHARED / "data" / "complaints"
CPDP = COMPLAINTS / "chicago-cpdp-2018"
CCRB = COMPLAINTS / "nyc-ccrb-mos-2021" / "2021-03-20.zip"
OPERATOR = Viewer.operator("tester")


def counts(services: Services, source: str) -> tuple[int, int, int, int]:
    with services.db.read() as conn:
        return (
            conn.execute(select(func.count()).where(Officer.source == source)).scalar_one(),
            conn.execute(select(func.count()).where(Complaint.source == source)).scalar_one(),
            conn.execute(select(func.count()).where(Allegation.source == source)).scalar_one(),
            conn.execute(
                select(func.count(Allegation.officer_id.distinct())).where(
                    Allegation.source == source
                )
            ).scalar_one(),
        )


def test_the_chicago_release_loads_whole_and_only_once(sqlite_services: Services) -> None:
    require_shared(CPDP / "complaints-accused.csv.gz")
    report = sqlite_services.importers.cpdp(CPDP, "tester")
    # The figures ../shared/data/complaints/README.md gives for this release.
    assert counts(sqlite_services, "cpdp") == (33_693, 181_412, 244_436, 22_813)
    assert report.rejected == [] and report.added["allegations"] == 244_436

    again = sqlite_services.importers.cpdp(CPDP, "tester")
    assert sum(again.added.values()) == 0
    assert again.already_there["allegations"] == 244_436
    assert counts(sqlite_services, "cpdp") == (33_693, 181_412, 244_436, 22_813)

    with sqlite_services.db.read() as conn:
        findings = dict(
            conn.execute(
                select(Allegation.final_finding, func.count())
                .where(Allegation.source == "cpdp")
                .group_by(Allegation.final_finding)
            ).all()
        )
        officer_id = conn.execute(
            select(Officer.id).where(Officer.source == "cpdp", Officer.source_id == "100006")
        ).scalar_one()
        first = conn.execute(
            select(Allegation).where(Allegation.source_id == "C170981/130469")
        ).one()
        still_open = conn.execute(
            select(func.count()).where(Allegation.source == "cpdp", Allegation.status != "closed")
        ).scalar_one()
    # README: SU 21,427; NS 113,388; UN 52,379; EX 17,064; NAF 32,741; blank 7,378.
    assert findings["sustained"] == 21_427 and findings["not-sustained"] == 113_388
    assert findings["unfounded"] == 52_379 and findings["exonerated"] == 17_064
    assert findings["closed-without-finding"] == 32_741 and findings[None] == 7_378
    assert findings["other"] == 59  # NC 47, DIS 12
    # docs/importing.md: of the 7,378 without a final finding, 1,865 have no closing date.
    assert still_open == 1_865
    assert first.source_detail["final_finding"] == "NS" and first.final_finding == "not-sustained"
    assert first.source_detail["code"] == "12D"

    # Officer 100006's unit history (unit-history.csv.gz): two postings, each with its dates.
    officer = sqlite_services.officers.get(officer_id)
    units = [
        (i.value, str(i.valid_from), str(i.valid_to))
        for i in officer.identifiers
        if i.kind == "unit"
    ]
    assert units == [
        ("DISTRICT 008", "1971-10-25", "1993-02-03"),
        ("unit 274", "1993-02-04", "2003-07-23"),  # not in unit_reference.csv
        ("DISTRICT 008", "2003-07-24", "2018-06-01"),
    ]
    record = sqlite_services.listings.officer_record(officer_id)
    assert record["counts"]["allegations"] == len(record["allegations"])

    page = sqlite_services.listings.cases(Filters(force="us-chicago-pd", status="closed"), OPERATOR)
    assert len(page.items) == 50 and page.has_more
    searched = sqlite_services.listings.cases(Filters(query="excessive force"), OPERATOR)
    assert searched.items and all(item["force"] == "us-chicago-pd" for item in searched.items)


def test_the_new_york_release_loads_whole_and_only_once(sqlite_services: Services) -> None:
    require_shared(CCRB)
    report = sqlite_services.importers.ccrb(CCRB, "tester")
    # README: 83,036 officer rows with 83,029 distinct ids, 59,222 complaints, 175,505
    # allegations (5 rows exact duplicates, kept as rows), 35,420 distinct accused officers.
    assert counts(sqlite_services, "ccrb") == (83_029, 59_222, 175_505, 35_420)
    assert report.already_there["officers"] == 7  # the repeated ids, first row kept
    again = sqlite_services.importers.ccrb(CCRB, "tester")
    assert sum(again.added.values()) == 0
    with sqlite_services.db.read() as conn:
        substantiated = conn.execute(
            select(func.count()).where(
                Allegation.source == "ccrb", Allegation.recommended_finding == "sustained"
            )
        ).scalar_one()
        undated = conn.execute(
            select(func.count()).where(Complaint.source == "ccrb", Complaint.dated_at.is_(None))
        ).scalar_one()
    assert substantiated == 12_381  # README: "substantiated 12,381 (7.1%)"
    assert 0 < undated < 86  # 86 rows have no date; their complaints may be dated by others
