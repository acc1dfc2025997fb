"""Cases, people, allegations, outcomes and the follow-up clock, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from openwitness.cases import listing
from openwitness.cases.access import Viewer
from openwitness.cases.allegations import NewAllegation
from openwitness.cases.complaints import NewCase, NewPerson, ReportedTo
from openwitness.cases.incidents import NewIncident
from openwitness.cases.listing import Filters
from openwitness.core.errors import ForbiddenError, InvalidRequestError, NotFoundError
from openwitness.services import Services
from openwitness.storage import search
from openwitness.storage.models import ChangeRecord, Person
from tests.support import ENTITLED

OPERATOR = Viewer.operator("tester")
ANALYST = Viewer("ana", "analyst")
ADMIN = Viewer("root", "admin")


def caseworker(org: str = "law-centre") -> Viewer:
    return Viewer(f"cw-{org}", "caseworker", org)


def incident(**changes: object) -> NewIncident:
    fields: dict[str, object] = {
        "force_id": "metropolitan",
        "occurred_at": datetime(2025, 6, 1, 14, 30, tzinfo=UTC),
        "place": "Outside Brixton station",
        "encounter_type": "stop-and-search",
        "narrative": "Pushed against a wall and searched; no grounds were given.",
    }
    return NewIncident(**{**fields, **changes})  # type: ignore[arg-type]


def named_case(officer_id: int | None = None, **changes: object) -> NewCase:
    fields: dict[str, object] = {
        "incident": incident(),
        "reporter_kind": "named",
        "people": (
            NewPerson("complainant", {"name": "Adaeze Okafor", "phone": "07700 900123"}),
            NewPerson("witness", {"name": "Sam Reid"}),
        ),
        "reported_to": (ReportedTo("force-psd", "PSD/2025/0042", date(2025, 6, 2)),),
        "allegations": (NewAllegation(officer_id, "use-of-force"),),
    }
    return NewCase(**{**fields, **changes})  # type: ignore[arg-type]


@pytest.fixture
def orgs(services: Services) -> Services:
    services.accounts.add_organisation("law-centre", "Law Centre")
    services.accounts.add_organisation("other-group", "Other Group")
    return services


def test_a_case_keeps_people_sealed_and_shows_them_only_to_its_caseworkers(orgs: Services) -> None:
    officer = orgs.officers.add("metropolitan", {"collar": "1234"}, "tester")
    case, token = orgs.cases.add(named_case(officer.id), "tester", "law-centre", ENTITLED)
    assert token is None and len(case.people) == 2
    # At rest the details are ciphertext: the name is nowhere in the row.
    with orgs.db.read() as conn:
        sealed = conn.execute(select(Person.sealed)).scalars().all()
        changes = conn.execute(select(ChangeRecord.before, ChangeRecord.after)).all()
    assert all(b"Okafor" not in blob for blob in sealed)
    assert "Okafor" not in str(changes) and "07700" not in str(changes)

    full = orgs.cases.view(case.id, caseworker())
    assert full["people"][0]["details"] == {"name": "Adaeze Okafor", "phone": "07700 900123"}
    assert full["reported_to"] == [{"body": "force-psd", "reference": "PSD/2025/0042",
                                    "on": "2025-06-02"}]  # fmt: skip
    as_admin = orgs.cases.view(case.id, ADMIN)
    assert "Okafor" not in str(as_admin) and as_admin["incident"]["narrative"]
    hidden = orgs.cases.view(case.id, ANALYST)
    assert "Okafor" not in str(hidden) and "Brixton" not in str(hidden)
    assert "narrative" not in hidden["incident"] and hidden["people"] == [
        {"role": "complainant"}, {"role": "witness"}]  # fmt: skip
    with pytest.raises(NotFoundError):
        orgs.cases.view(case.id, caseworker("other-group"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reporter_kind": "secret"}, "reporter_kind: one of"),
        ({"reporter_kind": "pseudonymous"}, "pseudonym: a pseudonymous report needs"),
        ({"people": ()}, "people: a named report needs a complainant"),
        ({"people": (NewPerson("suspect", {"name": "X"}),)}, "people.role: one of"),
        ({"people": (NewPerson("complainant", {"name": "A", "ssn": "1"}),)}, "unknown field"),
        ({"reported_to": (ReportedTo("the-press"),)}, "reported_to.body: one of"),
        ({"reported_to": (ReportedTo("iopc", "R1", date(2999, 1, 1)),)}, "reported_to.on"),
        ({"received_at": datetime(2999, 1, 1, tzinfo=UTC)}, "received_at: the time is in"),
        ({"incident": incident(force_id="atlantis")}, "force: unknown force"),
        ({"allegations": (NewAllegation(None, "rudeness"),)}, "category: unknown allegation"),
        ({"allegations": (NewAllegation(999, "use-of-force"),)}, "officer: no officer 999"),
    ],
)
def test_a_bad_case_names_the_field_and_writes_nothing(
    orgs: Services, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        orgs.cases.add(named_case(**changes), "tester", "law-centre", ENTITLED)
    with orgs.db.read() as conn:
        for table in ("incident", "complaint", "person", "allegation", "change_record"):
            assert conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one() == 0, table


def test_outcomes_keep_recommended_and_final_apart_and_the_clock_runs(orgs: Services) -> None:
    officer = orgs.officers.add("metropolitan", {"collar": "1234"}, "tester")
    case, _ = orgs.cases.add(named_case(officer.id), "tester", "law-centre", ENTITLED)
    first = case.allegations[0]
    assert first.status == "received" and first.next_action and first.due_on is not None
    assert first.due_on == case.received_at.date() + timedelta(days=14)

    worker = caseworker()
    with pytest.raises(InvalidRequestError, match="an open allegation needs a next action"):
        orgs.cases.update_allegation(first.id, {"next_action": None}, worker)
    with pytest.raises(InvalidRequestError, match="final_finding: 'guilty' is not one of"):
        orgs.cases.update_allegation(first.id, {"final_finding": "guilty"}, worker)
    with pytest.raises(InvalidRequestError, match="decided_on: 2999-01-01 is in the future"):
        orgs.cases.update_allegation(first.id, {"decided_on": date(2999, 1, 1)}, worker)
    with pytest.raises(ForbiddenError):
        orgs.cases.update_allegation(first.id, {"status": "assessed"}, ANALYST)

    orgs.cases.update_allegation(
        first.id,
        {"status": "under-investigation", "handling": "schedule-3",
         "next_action": "interview the officer", "due_on": date(2025, 7, 1)},
        worker,
    )  # fmt: skip
    overdue = orgs.listings.overdue_counts(worker)
    assert overdue["overdue"] == 1 and overdue["by_force"] == [{"force": "metropolitan",
                                                                "overdue": 1}]  # fmt: skip
    assert overdue["by_officer"] == [{"officer": officer.id, "overdue": 1}]
    assert orgs.listings.overdue_counts(caseworker("other-group"))["overdue"] == 0

    closed = orgs.cases.update_allegation(
        first.id,
        {"status": "closed", "recommended_finding": "case-to-answer-gross-misconduct",
         "recommended_result": "dismissal-without-notice", "recommended_on": date(2025, 9, 1),
         "final_finding": "case-to-answer-misconduct", "final_result": "written-warning",
         "decided_on": date(2025, 10, 1), "outcome_notified_on": date(2025, 10, 3)},
        worker,
    )  # fmt: skip
    assert closed.recommended_result == "dismissal-without-notice"
    assert closed.final_result == "written-warning"
    assert closed.next_action is None and closed.due_on is None and closed.closed_on
    assert closed.review_deadline == date(2025, 10, 31)
    assert orgs.listings.overdue_counts(worker)["overdue"] == 0

    changes = [c for c in orgs.cases.history(case.id) if c["action"] == "update"]
    assert changes[-1]["before"]["status"] == "under-investigation"
    assert changes[-1]["after"]["final_result"] == "written-warning"
    assert changes[0]["after"]["due_on"] == "2025-07-01"


def test_an_officer_with_earlier_unresolved_allegations_is_flagged(orgs: Services) -> None:
    officer = orgs.officers.add("metropolitan", {"collar": "1234"}, "tester")
    first, _ = orgs.cases.add(named_case(officer.id), "tester", "other-group", ENTITLED)
    second, _ = orgs.cases.add(named_case(allegations=()), "tester", "law-centre", ENTITLED)
    allegation, earlier = orgs.cases.add_allegation(
        second.id, NewAllegation(officer.id, "individual-behaviours/impolite-language"),
        caseworker(),
    )  # fmt: skip
    assert [a.id for a in earlier] == [first.allegations[0].id]  # across organisations
    record = orgs.listings.officer_record(officer.id)
    assert record["counts"] == {"allegations": 2, "cases": 2, "unresolved": 2, "overdue": 0,
                                "sustained_or_upheld": 0}  # fmt: skip
    assert "Brixton" not in str(record) and allegation.id in [a["id"] for a in
                                                               record["allegations"]]  # fmt: skip


def test_co_accused_officers_and_merging_moves_allegations(orgs: Services) -> None:
    one = orgs.officers.add("metropolitan", {"collar": "1234"}, "tester")
    two = orgs.officers.add("metropolitan", {"collar": "5678"}, "tester")
    again = orgs.officers.add("metropolitan", {"name": "PC Jones"}, "tester")
    both = named_case(allegations=(NewAllegation(one.id, "use-of-force"),
                                   NewAllegation(two.id, "use-of-force")))  # fmt: skip
    orgs.cases.add(both, "tester", "law-centre", ENTITLED)
    orgs.cases.add(named_case(again.id), "tester", "law-centre", ENTITLED)
    assert orgs.listings.officer_record(one.id)["co_accused"] == [{"officer": two.id, "cases": 1}]
    orgs.officers.merge(one.id, again.id, "tester")
    assert orgs.listings.officer_record(one.id)["counts"]["allegations"] == 2


@pytest.mark.parametrize("phrasing", ["sparse", "dense"])
def test_filters_pagination_and_full_text_search(
    orgs: Services, phrasing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if phrasing == "dense":  # every filter and search phrased as for thousands of matches
        monkeypatch.setattr(listing, "DENSE_FROM", 1)
        monkeypatch.setattr(search, "SORT_MATCHES_UP_TO", 1)
    officer = orgs.officers.add("kent", {"collar": "77"}, "tester")
    for n in range(5):
        orgs.cases.add(
            named_case(
                incident=incident(force_id="kent" if n % 2 else "metropolitan",
                                  narrative=f"Handcuffed too tightly, case number {n}"),
                received_at=datetime(2025, 1, 1 + n, tzinfo=UTC),
                allegations=(NewAllegation(officer.id if n == 3 else None,
                                           "use-of-force" if n < 4 else "property"),),
            ),
            "tester", "law-centre", ENTITLED,
        )  # fmt: skip
    worker = caseworker()

    def ids(**filters: object) -> list[int]:
        page = orgs.listings.cases(Filters(**filters), worker)  # type: ignore[arg-type]
        return [item["id"] for item in page.items]

    assert ids() == [5, 4, 3, 2, 1]  # newest first
    assert ids(force="kent") == [4, 2]
    assert ids(officer=officer.id) == [4]
    assert ids(category="use-of-force") == [4, 3, 2, 1]
    assert ids(category="property") == [5]
    assert ids(received_from=date(2025, 1, 2), received_to=date(2025, 1, 3)) == [3, 2]
    assert ids(query="handcuffed tightly") == [5, 4, 3, 2, 1]
    assert ids(query="HANDCUFFING") == [5, 4, 3, 2, 1]  # stemmed, any case
    assert ids(query="number 3") == [4]
    assert ids(query='tightly" OR "x') == []  # operators are words, not syntax
    assert ids(query="property") == [5]  # categories are searchable
    assert orgs.listings.cases(Filters(), caseworker("other-group")).items == []
    page = orgs.listings.cases(Filters(), worker, limit=2, offset=2)
    assert [i["id"] for i in page.items] == [3, 2] and page.has_more
    assert not orgs.listings.cases(Filters(), worker, limit=2, offset=4).has_more
    for bad, message in [
        (Filters(category="nonsense"), "category"),
        (Filters(status="pending"), "status"),
        (Filters(query="!!!"), "q: give at least one word"),
        (Filters(received_from=date(2025, 2, 1), received_to=date(2025, 1, 1)), "received_from"),
    ]:
        with pytest.raises(InvalidRequestError, match=message):
            orgs.listings.cases(bad, worker)
    analyst_page = orgs.listings.allegations(Filters(officer=officer.id), ANALYST)
    assert [a["case"] for a in analyst_page.items] == [4]
    assert "next_action" not in analyst_page.items[0]


def test_erasure_is_separate_audited_and_final(orgs: Services) -> None:
    case, _ = orgs.cases.add(named_case(), "tester", "law-centre", ENTITLED)
    person_id = case.people[0].id
    with pytest.raises(InvalidRequestError, match="reason: say why"):
        orgs.cases.erase_person(person_id, "root", " ")
    orgs.cases.erase_person(person_id, "root", "UK GDPR art. 17 request of 2025-11-01")
    shown = orgs.cases.view(case.id, caseworker())
    assert shown["people"][0]["details"] is None and shown["people"][0]["erased_at"]
    assert shown["people"][1]["details"] == {"name": "Sam Reid"}
    with orgs.db.read() as conn:
        assert conn.execute(select(Person.sealed).where(Person.id == person_id)).scalar() is None
        audit = conn.execute(select(ChangeRecord).where(ChangeRecord.action == "erase")).one()
    assert audit.actor == "root" and "GDPR" in audit.after["reason"]
    with pytest.raises(InvalidRequestError, match="already erased"):
        orgs.cases.erase_person(person_id, "root", "again")


def test_a_follow_up_token_finds_only_its_report(orgs: Services) -> None:
    anonymous = NewCase(incident(), "anonymous",
                        allegations=(NewAllegation(next_action="assess the report"),))  # fmt: skip
    case, token = orgs.cases.add(anonymous, "public", None, ENTITLED, follow_up=True)
    assert token and token.startswith("owf_")
    assert orgs.cases.by_follow_up(token).id == case.id
    with pytest.raises(NotFoundError):
        orgs.cases.by_follow_up(token + "x")
    with orgs.db.read() as conn:
        assert token not in str(conn.exec_driver_sql("SELECT * FROM complaint").all())
