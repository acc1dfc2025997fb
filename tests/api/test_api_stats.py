"""/api/v1/stats: the service's answers over HTTP, checked against counts made here with the
standard ``csv`` module from the real data.police.uk files, plus validation and HTTP caching."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from scipy.stats.contingency import relative_risk

from openwitness.app import create_app
from openwitness.core.config import Settings
from openwitness.services import Services, initialise
from openwitness.stats.service import PoliceStats
from tests.support import SHARED, require_shared

POLICE = SHARED / "data" / "police-uk"
MET = [POLICE / m / f"{m}-metropolitan-stop-and-search.csv" for m in ("2018-01", "2018-02")]
JANUARY_2019 = ["essex", "leicestershire", "city-of-london", "btp"]
CROSS = [POLICE / "2019-01" / f"2019-01-{force}-stop-and-search.csv" for force in JANUARY_2019]
POPULATION = POLICE / "population"
FIVE_GROUPS = POPULATION / "census-2011-ethnic-group-by-police-force-area-5-groups.csv"
NFA_NAMES = {"A no further action disposal", "Nothing found - no further action"}
PERIOD = {"from": "2018-01", "to": "2018-02"}
SECTION_60 = "Criminal Justice and Public Order Act 1994 (section 60)"


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def census(force_title: str) -> dict[str, int]:
    """Officer-defined convention: Chinese counted in Other."""
    for row in rows(FIVE_GROUPS):
        if row["Police force"] == force_title:
            numbers = {k: int(v) for k, v in row.items() if k != "Police force"}
            return {
                "White": numbers["White"],
                "Black": numbers["Black (or Black British)"],
                "Asian": numbers["Asian (or Asian British)"],
                "Mixed": numbers["Mixed"],
                "Other": numbers["Other"] + numbers["Chinese"],
            }
    raise AssertionError(force_title)


@pytest.fixture(scope="module")
def stats_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Services]]:
    for path in (*MET, *CROSS, FIVE_GROUPS):
        require_shared(path)
    home = tmp_path_factory.mktemp("stats-api")
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'witness.db'}")
    services, _ = initialise(settings, "test.openwitness.local/log")
    reports = services.police_stats.import_paths([*MET, *CROSS, FIVE_GROUPS])
    assert [r.status for r in reports].count("imported") == len(MET) + len(CROSS)
    with TestClient(create_app(settings)) as client:
        yield client, services
    services.close()


def get(client: TestClient, path: str, **params: str) -> Any:
    response = client.get(f"/api/v1/stats/{path}", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "public, max-age=300"
    return response.json()


def test_disproportionality_is_the_services_answer_and_the_files_counts(
    stats_api: tuple[TestClient, Services],
) -> None:
    client, services = stats_api
    answer = get(client, "disproportionality", force="metropolitan", **PERIOD)
    assert answer == services.police_stats.disproportionality("metropolitan", "2018-01", "2018-02")

    counted = Counter(r["Officer-defined ethnicity"] for path in MET for r in rows(path))
    residents = census("Metropolitan")
    assert answer["months"] == ["2018-01", "2018-02"] and answer["missing_months"] == []
    assert answer["searches"] == sum(counted.values())
    assert answer["groups"]["missing"]["searches"] == counted[""]
    for group, people in residents.items():
        mine = answer["groups"][group]
        assert mine["searches"] == counted[group]
        assert mine["population"] == people
        assert mine["rate_per_1000"] == pytest.approx(1000 * counted[group] / people, abs=1e-4)
    black = answer["rate_ratios"]["Black"]
    a, n1, b, n2 = counted["Black"], residents["Black"], counted["White"], residents["White"]
    expected = relative_risk(a, n1, b, n2)
    interval = expected.confidence_interval(0.95)
    assert black["ratio"] == pytest.approx(expected.relative_risk, abs=1e-4)
    assert black["ci95"] == pytest.approx([interval.low, interval.high], abs=1e-4)
    unknown = counted[""]
    bounds = [(a / n1) / ((b + unknown) / n2), ((a + unknown) / n1) / (b / n2)]
    assert black["bounds"] == pytest.approx(bounds, abs=1e-4)


def test_by_force_lists_every_force_with_a_file_that_month(
    stats_api: tuple[TestClient, Services],
) -> None:
    client, services = stats_api
    answer = get(client, "disproportionality/by-force", month="2019-01", ethnicity="self")
    assert answer == services.police_stats.by_force("2019-01", "self")
    assert [a["force"] for a in answer] == sorted(JANUARY_2019)
    for item, path in zip(answer, sorted(CROSS), strict=True):
        assert item["searches"] == len(rows(path))
    city = next(a for a in answer if a["force"] == "city-of-london")
    assert city["rate_ratios"]["Black"]["ratio"] is None and city["rate_ratios"]["Black"]["reason"]


def test_monthly_says_a_month_with_no_file_is_missing_not_zero(
    stats_api: tuple[TestClient, Services],
) -> None:
    client, services = stats_api
    answer = get(client, "monthly", force="metropolitan", **{"from": "2017-12", "to": "2018-02"})
    assert answer == services.police_stats.monthly("metropolitan", "2017-12", "2018-02")
    assert answer[0]["searches"] is None and answer[0]["missing_months"] == ["2017-12"]
    assert [a["searches"] for a in answer[1:]] == [len(rows(p)) for p in MET]


def test_breakdowns_match_the_files(stats_api: tuple[TestClient, Services]) -> None:
    client, services = stats_api
    answer = get(client, "breakdowns", force="metropolitan", **PERIOD)
    assert answer == services.police_stats.breakdowns("metropolitan", "2018-01", "2018-02")
    every = [r for path in MET for r in rows(path)]
    recorded = [r for r in every if r["Outcome"]]
    nfa = sum(r["Outcome"] in NFA_NAMES for r in recorded)
    assert answer["no_further_action"] == {
        "searches": nfa, "denominator": len(recorded),
        "share": pytest.approx(nfa / len(recorded), abs=1e-4),
    }  # fmt: skip
    by_month = [
        {"month": p.name[:7], "searches": len(rows(p)),
         "section_60": sum(r["Legislation"] == SECTION_60 for r in rows(p))}
        for p in MET
    ]  # fmt: skip
    assert answer["section_60_by_month"] == by_month
    assert answer["gender"] == {
        ("missing" if k == "" else k): v for k, v in Counter(r["Gender"] for r in every).items()
    }


def test_coverage_and_forces(stats_api: tuple[TestClient, Services]) -> None:
    client, services = stats_api
    assert get(client, "forces") == sorted({"metropolitan", *JANUARY_2019})
    coverage = get(client, "coverage")
    assert coverage == services.police_stats.coverage()
    met = coverage["forces"]["metropolitan"]
    assert sorted(met["months"]) == ["2018-01", "2018-02"]
    assert met["months"]["2018-01"]["rows"] == len(rows(MET[0]))
    assert "2018-03" in met["missing_months"] and "2019-01" in met["missing_months"]


@pytest.mark.parametrize(
    ("path", "params", "status", "words"),
    [
        ("disproportionality", {"force": "metropolitan", "from": "2018-13", "to": "2018-12"},
         422, "from"),
        ("disproportionality", {"force": "Metro politan", **PERIOD}, 422, "force"),
        ("disproportionality", {"force": "x" * 61, **PERIOD}, 422, "force"),
        ("disproportionality", {"force": "metropolitan", "from": "2018-01"}, 422, "to"),
        ("disproportionality", {"force": "metropolitan", **PERIOD, "ethnicity": "both"}, 422,
         "ethnicity"),
        ("disproportionality", {"force": "metropolitan", "from": "2018-03", "to": "2018-01"}, 400,
         "before it starts"),
        ("disproportionality", {"force": "kent", **PERIOD}, 400, "kent"),
        ("disproportionality", {"force": "metropolitan", "from": "2010-01", "to": "2010-02"}, 400,
         "missing"),
        ("disproportionality/by-force", {"month": "2019-1"}, 422, "month"),
        ("disproportionality/by-force", {"month": "2017-01"}, 400, "2017-01"),
        ("breakdowns", {"force": "metropolitan", "from": "2018-02", "to": "2018-01"}, 400,
         "before"),
        ("monthly", {"force": "metropolitan", "from": "0000-01", "to": "9999-12"}, 400,
         "100 years"),
    ],
)  # fmt: skip
def test_bad_parameters_are_refused_with_the_problem_in_words(
    stats_api: tuple[TestClient, Services], path: str, params: dict[str, str], status: int,
    words: str,
) -> None:  # fmt: skip
    client, _ = stats_api
    response = client.get(f"/api/v1/stats/{path}", params=params)
    assert response.status_code == status
    assert words in str(response.json()["detail"])
    assert "Traceback" not in response.text


def test_an_answer_is_revalidated_with_its_etag_until_an_import_lands(
    stats_api: tuple[TestClient, Services], tmp_path: Path,
) -> None:  # fmt: skip
    client, services = stats_api
    url = "/api/v1/stats/disproportionality/by-force?month=2019-01"
    first = client.get(url)
    tag = first.headers["etag"]
    assert first.status_code == 200 and tag.startswith('"')
    again = client.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag
    assert again.headers["cache-control"] == "public, max-age=300"
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    other = client.get(url + "&ethnicity=self")
    assert other.headers["etag"] != tag
    # a re-import (a later release revising the month) changes every tag
    PoliceStats(services.settings.stats_dir).import_paths([CROSS[0]])
    after = client.get(url, headers={"If-None-Match": tag})
    assert after.status_code == 200 and after.headers["etag"] != tag


def test_the_routes_are_in_the_openapi_spec_with_their_patterns(
    stats_api: tuple[TestClient, Services],
) -> None:
    client, _ = stats_api
    paths = client.get("/openapi.json").json()["paths"]
    for route in ("disproportionality", "disproportionality/by-force", "monthly", "breakdowns",
                  "coverage", "forces"):  # fmt: skip
        assert "get" in paths[f"/api/v1/stats/{route}"]
    params = {p["name"]: p for p in paths["/api/v1/stats/disproportionality"]["get"]["parameters"]}
    assert params["from"]["schema"]["pattern"] == r"^\d{4}-(0[1-9]|1[0-2])$"
    assert params["force"]["schema"]["pattern"] == r"^[a-z0-9-]{1,60}$"
    assert params["ethnicity"]["schema"]["enum"] == ["officer", "self"]
