"""Public complaint statistics (openwitness.stats.complaints), on SQLite and PostgreSQL.

Cases are made through the Cases service; every figure is checked against counts made here
from the plan the cases were made from (collections.Counter, statistics.median)."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from openwitness.app import create_app
from openwitness.cases.access import Viewer
from openwitness.cases.allegations import NewAllegation
from openwitness.cases.complaints import NewCase, NewPerson
from openwitness.cases.incidents import NewIncident
from openwitness.cases.outcomes import RESULTS
from openwitness.cli.main import app as cli
from openwitness.core.errors import InvalidRequestError
from openwitness.services import Services
from openwitness.stats.complaints import (
    LEVEL_OF_RESULT,
    MIN_CELL,
    UNRANKED_RESULTS,
    ComplaintStats,
)
from tests.support import ENTITLED, env_for

OPERATOR = Viewer.operator("tester")
AS_OF = date(2025, 9, 1)
#: personal details put into every case; none may appear in any published figure
SECRETS = (
    "Perpetua Quillfeather",
    "07700 900555",
    "Quillfeather Lane",
    "Inspector Grimsditch",
    "PC 4471",
    "kicked the door of flat 9",
)


@dataclass(frozen=True)
class Planned:
    """One allegation as the test makes it: the truth the figures are checked against."""

    force: str
    complaint: int  # index within its force
    category: str | None
    finding: str | None  # None: left open
    result: str | None
    days: int  # days to close if closed; else due date relative to AS_OF (negative: overdue)


def _force(
    force: str,
    complaints: int,
    categories: list[str | None],
    outcomes: list[tuple[str | None, str | None]],
    days: list[int],
) -> list[Planned]:
    """Allegations i = 0, 1, … go to complaint i mod ``complaints``; outcomes (with their
    days) are rotated against categories so the two are not aligned."""
    assert len(categories) == len(outcomes) == len(days)
    shift = len(outcomes) // 3
    rotated = list(zip(outcomes, days, strict=True))
    rotated = rotated[shift:] + rotated[:shift]
    return [
        Planned(force, i % complaints, cat, finding, result, d)
        for i, (cat, ((finding, result), d)) in enumerate(zip(categories, rotated, strict=True))
    ]


#: days to close for the closed allegations; for the open ones, the due date relative to
#: AS_OF (metropolitan: 6 overdue, one due on AS_OF, 2 later; kent's below: 3 overdue, 2 not)
MET_DAYS = [3, 40, 41, 90, 12, 7, 200, 55, 63, 63, 18, 120, 31, 5, 77, 140, 22, 9, 100, 44,
            61, -1, -30, -200, -5, -2, -9, 0, 10, 3]  # fmt: skip


METROPOLITAN = _force(
    "metropolitan",
    25,
    ["use-of-force"] * 12
    + ["police-powers/premises-searches-and-seizure"] * 10
    + ["discriminatory-behaviour/race"] * 5
    + [None] * 3,
    [("sustained", "written-warning")] * 5
    + [("sustained", "reprimand")] * 3
    + [("sustained", "no-further-action")]
    + [("sustained", "suspension")] * 3
    + [("case-to-answer-misconduct", "suspension")]
    + [("case-to-answer-misconduct", "resigned-or-retired")] * 2
    + [("not-sustained", None)] * 6
    + [(None, None)] * 9,
    MET_DAYS,
)
KENT = _force(
    "kent",
    14,
    ["use-of-force"] * 8 + ["individual-behaviours/impolite-language"] * 6 + ["detention"] * 2,
    [("upheld", "written-warning")] * 3
    + [("upheld", "reflective-practice")]
    + [("upheld", "final-written-warning")] * 2
    + [("not-upheld", None)] * 5
    + [(None, None)] * 5,
    [30, 60, 45, 15, 88, 120, 11, 70, 33, 19, 50, -3, -40, -1, 5, 1],
)
ESSEX = _force(
    "essex", 3, ["use-of-force"] * 3, [("upheld", "dismissal-without-notice")] * 3, [10, 20, 30]
)
PLAN = METROPOLITAN + KENT + ESSEX
COMPLAINTS = {"metropolitan": 25, "kent": 14, "essex": 3}


def received(force: str, complaint: int) -> datetime:
    """Late in the UTC day, so a day taken in another zone would be off by one."""
    return datetime(2025, 1, 2, 23, 30, tzinfo=UTC) + timedelta(days=3 * complaint)


def build(services: Services) -> None:
    services.accounts.add_organisation("law-centre", "Law Centre")
    services.accounts.add_organisation("other-group", "Other Group")
    officers = {
        force: services.officers.add(force, {"name": SECRETS[3], "collar": SECRETS[4]}, "t").id
        for force in COMPLAINTS
    }
    for force, complaints in COMPLAINTS.items():
        for n in range(complaints):
            planned = [p for p in PLAN if p.force == force and p.complaint == n]
            when = received(force, n)
            new = NewCase(
                incident=NewIncident(
                    force_id=force,
                    occurred_at=when - timedelta(days=1),
                    place=SECRETS[2],
                    encounter_type="stop-and-search",
                    narrative=f"{SECRETS[0]} says an officer {SECRETS[5]}.",
                ),
                reporter_kind="named",
                people=(NewPerson("complainant", {"name": SECRETS[0], "phone": SECRETS[1]}),),
                allegations=tuple(
                    NewAllegation(
                        officers[force],
                        p.category,
                        due_on=AS_OF + timedelta(days=p.days) if p.finding is None else None,
                    )
                    for p in planned
                ),
                received_at=when,
            )
            org = "law-centre" if n % 2 else "other-group"  # both organisations' records
            case, _ = services.cases.add(new, "tester", org, ENTITLED)
            for allegation, p in zip(case.allegations, planned, strict=True):
                if p.finding is None:
                    continue
                closed = when.date() + timedelta(days=p.days)
                services.cases.update_allegation(
                    allegation.id,
                    {
                        "status": "closed",
                        "final_finding": p.finding,
                        "final_result": p.result,
                        "decided_on": closed,
                        "closed_on": closed,
                    },
                    OPERATOR,
                )


@pytest.fixture
def built(services: Services) -> Services:
    build(services)
    return services


# -- the truth, counted here -------------------------------------------------------------------

ADVERSE = ("upheld", "sustained", "case-to-answer-misconduct", "case-to-answer-gross-misconduct")


def truth(plan: list[Planned]) -> dict[str, Counter[str]]:
    """Each breakdown's true counts for these allegations."""
    adverse = [p for p in plan if p.finding in ADVERSE]
    return {
        "by_category": Counter(
            p.category.split("/")[0] if p.category else "not-assessed" for p in plan
        ),
        "by_final_finding": Counter(p.finding or "none" for p in plan),
        "by_final_result": Counter(p.result or "none" for p in plan),
        "status": Counter("open" if p.finding is None else "closed" for p in plan),
        "sanctions_after_adverse": Counter(_group(p.result) for p in adverse),
    }


def _group(result: str | None) -> str:
    # written warning or less, by hand: the results the scale puts at or below a warning
    if result in (
        "no-further-action",
        "reflective-practice",
        "practice-requiring-improvement",
        "instructions-or-training",
        "written-warning",
        "reprimand",
    ):
        return "written-warning-or-less"
    if result in (
        "final-written-warning",
        "command-discipline",
        "suspension",
        "reduction-in-rank",
        "charges",
        "dismissal-without-notice",
        "separation",
        "barred-list",
    ):
        return "more-than-written-warning"
    return "unranked-or-none"


def true_median(plan: list[Planned]) -> float:
    return statistics.median(p.days for p in plan if p.finding is not None)


def cells(figures: dict[str, Any], section: str) -> dict[str, dict[str, Any]]:
    return {c["value"]: c for c in figures[section]}


def check_published(figures: dict[str, Any], plan: list[Planned]) -> None:
    """Every shown count is the true one; every true count from 1 to 4 is hidden; hidden
    cells of a breakdown with a shown total are none, or two or more adding up to 5 or more."""
    totals = {"allegations": len(plan), "adverse": sum(p.finding in ADVERSE for p in plan)}
    for name, total in totals.items():
        cell = figures[name]
        assert cell == (
            {"count": None, "suppressed": True}
            if 0 < total < MIN_CELL
            else {"count": total, "suppressed": False}
        ), name
    for section, counts in truth(plan).items():
        shown = cells(figures, section)
        assert set(shown) == set(counts), section  # values with no allegation are left out
        for value, cell in shown.items():
            if cell["suppressed"]:
                assert cell["count"] is None
            else:
                assert cell["count"] == counts[value] >= MIN_CELL, (section, value)
        hidden = [v for v, c in shown.items() if c["suppressed"]]
        total = "adverse" if section == "sanctions_after_adverse" else "allegations"
        if hidden and not figures[total]["suppressed"]:
            assert len(hidden) >= 2 and sum(counts[v] for v in hidden) >= MIN_CELL, section


# -- tests ---------------------------------------------------------------------------------------


def test_the_sanction_scale_places_every_result() -> None:
    assert set(LEVEL_OF_RESULT) | set(UNRANKED_RESULTS) == set(RESULTS)
    assert not set(LEVEL_OF_RESULT) & set(UNRANKED_RESULTS)
    for result in RESULTS:  # the scale agrees with the grouping written out by hand above
        level = LEVEL_OF_RESULT.get(result)
        group = _group(result)
        if level is None:
            assert group == "unranked-or-none"
        else:
            assert (group == "written-warning-or-less") == (level <= 2), result


def test_figures_per_force_and_overall(built: Services) -> None:
    report = ComplaintStats(built.db).report(as_of=AS_OF).to_dict()
    assert report["as_of"] == AS_OF.isoformat() and report["min_complaints"] == 10
    assert [f["force"] for f in report["forces"]] == ["kent", "metropolitan"]
    assert report["withheld"] == [
        {"force": "essex", "reason": "withheld: fewer than 10 complaints"}
    ]
    forces = {f["force"]: f for f in report["forces"]}
    assert forces["kent"]["name"] == "Kent Police"

    for force, plan in (("metropolitan", METROPOLITAN), ("kent", KENT)):
        figures = forces[force]
        assert figures["complaints"] == {"count": COMPLAINTS[force], "suppressed": False}
        check_published(figures, plan)
        closed = [p for p in plan if p.finding is not None]
        assert figures["days_to_close"] == {
            "allegations": {"count": len(closed), "suppressed": False},
            "median": true_median(plan),
        }
        overdue = sum(p.finding is None and p.days < 0 for p in plan)
        assert figures["overdue"] == (
            {"count": overdue, "suppressed": False}
            if overdue >= 5
            else {"count": None, "suppressed": True}
        )

    met = forces["metropolitan"]
    assert met["overdue"]["count"] == 6  # due before AS_OF; one due on AS_OF is not overdue
    # 3 not assessed (hidden), so the next smallest, 5 discriminatory, is hidden with it
    assert cells(met, "by_category") == {
        "use-of-force": {"value": "use-of-force", "count": 12, "suppressed": False},
        "police-powers": {"value": "police-powers", "count": 10, "suppressed": False},
        "discriminatory-behaviour": {
            "value": "discriminatory-behaviour",
            "count": None,
            "suppressed": True,
        },
        "not-assessed": {"value": "not-assessed", "count": None, "suppressed": True},
    }
    assert [c["value"] for c in met["by_category"]] == [
        "police-powers",
        "discriminatory-behaviour",
        "use-of-force",
        "not-assessed",
    ]
    # 15 adverse: 9 a written warning or less (5 written warnings, 3 reprimands, 1 nothing)
    assert met["adverse"] == {"count": 15, "suppressed": False}
    assert cells(met, "sanctions_after_adverse")["written-warning-or-less"]["count"] == 9
    assert cells(met, "by_final_finding")["not-sustained"]["suppressed"]  # hidden with the 3

    overall = report["overall"]
    both = METROPOLITAN + KENT  # essex is withheld, so it is nowhere in the overall
    assert overall["complaints"]["count"] == 39 and overall["allegations"]["count"] == len(both)
    assert overall["days_to_close"]["median"] == true_median(both)
    every = truth(both)
    for section, counts in every.items():
        for value, cell in cells(overall, section).items():
            hidden_somewhere = any(
                cells(f, section).get(value, {}).get("suppressed") for f in forces.values()
            )
            assert cell["suppressed"] == hidden_somewhere, (section, value)
            assert cell["count"] == (None if hidden_somewhere else counts[value])
    # kent's 6 impolite language were hidden beside its 2 detention, so overall too
    assert cells(overall, "by_category")["individual-behaviours"]["suppressed"]
    assert cells(overall, "by_category")["use-of-force"]["count"] == 20


def test_thresholds_one_force_and_bad_requests(built: Services) -> None:
    stats = ComplaintStats(built.db, min_complaints=15)
    report = stats.report(as_of=AS_OF)
    assert [f.force for f in report.forces] == ["metropolitan"]
    assert report.withheld == ("essex", "kent")
    one = stats.report("metropolitan", AS_OF).to_dict()
    assert one["overall"] is None and one["withheld"] == []
    check_published(one["forces"][0], METROPOLITAN)
    assert stats.report("kent", AS_OF).to_dict()["withheld"][0]["force"] == "kent"
    assert stats.report("dorset", AS_OF).withheld == ("dorset",)  # known, no complaints
    with pytest.raises(InvalidRequestError, match="force: unknown force 'atlantis'"):
        stats.report("atlantis")
    with pytest.raises(ValueError, match="min_complaints: at least 5"):
        ComplaintStats(built.db, min_complaints=4)


def test_the_api_route_is_public_cacheable_and_personal_free(built: Services) -> None:
    with TestClient(create_app(built.settings)) as client:
        answer = client.get("/api/v1/stats/complaints")
        assert answer.status_code == 200
        assert answer.headers["cache-control"] == "public, max-age=300"
        body = answer.json()
        assert [f["force"] for f in body["forces"]] == ["kent", "metropolitan"]
        check_published(body["forces"][1], METROPOLITAN)
        one = client.get("/api/v1/stats/complaints", params={"force": "kent"}).json()
        assert one["forces"][0]["allegations"]["count"] == len(KENT)
        unknown = client.get("/api/v1/stats/complaints", params={"force": "atlantis"})
        assert unknown.status_code == 400 and "unknown force" in unknown.json()["detail"]
        for bad in ("x" * 65, "Kent; DROP TABLE force", ""):
            refused = client.get("/api/v1/stats/complaints", params={"force": bad})
            assert refused.status_code == 422, bad
        assert "/api/v1/stats/complaints" in client.get("/openapi.json").json()["paths"]
    text = answer.text
    for secret in SECRETS:
        assert secret not in text, secret
    assert keys(body) <= ALLOWED_KEYS


ALLOWED_KEYS = {
    "as_of",
    "min_complaints",
    "min_cell",
    "sanction_scale",
    "level",
    "name",
    "results",
    "forces",
    "withheld",
    "reason",
    "overall",
    "force",
    "complaints",
    "allegations",
    "status",
    "overdue",
    "by_category",
    "by_final_finding",
    "by_final_result",
    "adverse",
    "sanctions_after_adverse",
    "days_to_close",
    "median",
    "value",
    "count",
    "suppressed",
}


def keys(value: Any) -> set[str]:
    """Every key anywhere in a JSON value: no id, officer, case or date of a record."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys(v)}
    return set()


def test_the_cli_prints_the_figures(built: Services) -> None:
    env = env_for(built.settings)
    runner = CliRunner()
    as_json = runner.invoke(
        cli, ["stats", "complaints", "--json", "--as-of", AS_OF.isoformat()], env=env
    )
    assert as_json.exit_code == 0, as_json.output
    report = json.loads(as_json.stdout)
    check_published(report["forces"][0], KENT)
    assert report["forces"][1]["overdue"]["count"] == 6
    for secret in SECRETS:
        assert secret not in as_json.stdout

    table = runner.invoke(
        cli,
        ["stats", "complaints", "--force", "metropolitan", "--as-of", AS_OF.isoformat()],
        env=env,
    )
    assert table.exit_code == 0, table.output
    row = next(line for line in table.stdout.splitlines() if "metropolitan" in line)
    # complaints, allegations, open, overdue, adverse, ≤ written warning, median days
    numbers = [cell.strip() for cell in row.split("│")[2:-1]]
    assert numbers == ["25", "30", "9", "6", "15", "9", f"{true_median(METROPOLITAN):g}"]
    assert "police-powers" in table.stdout and "<5" in table.stdout

    refused = runner.invoke(cli, ["stats", "complaints", "--force", "atlantis"], env=env)
    assert refused.exit_code == 1 and "unknown force 'atlantis'" in refused.output


def test_a_threshold_below_five_is_refused_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    from openwitness.core.config import Settings
    from openwitness.core.errors import OpenWitnessError

    monkeypatch.setenv("OPENWITNESS_STATS_MIN_CASES", "3")
    with pytest.raises(OpenWitnessError, match="5 or more"):
        Settings.from_env()


def test_the_public_page_shows_the_figures_and_nothing_personal(built: Services) -> None:
    with TestClient(create_app(built.settings)) as client:
        page = client.get("/stats/complaints", headers={"accept": "text/html"})
    assert page.status_code == 200 and page.headers["cache-control"] == "public, max-age=300"
    text = page.text
    for force, complaints in COMPLAINTS.items():
        cell = f'<td data-label="Complaints" class="num">{complaints:,}</td>'
        assert (cell in text) == (complaints >= 10), force  # Essex (3) is withheld
    assert "Essex" not in text and "1 force(s) with too few complaints" in text
    assert f'<td data-label="Allegations" class="num">{len(METROPOLITAN):,}</td>' in text
    for secret in SECRETS:
        assert secret not in text, secret
