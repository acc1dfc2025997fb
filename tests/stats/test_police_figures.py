"""Figures from the real shared files, each checked against values computed here with the
standard csv module and scipy (never against numbers the code printed)."""

from __future__ import annotations

import csv

import pytest
from scipy.stats.contingency import relative_risk

from openwitness.stats.errors import UnknownPeriodError
from openwitness.stats.service import PoliceStats
from tests.stats.conftest import POLICE, census, files_of, months_of, search_rows, tally

GROUPS = ("White", "Black", "Asian", "Mixed", "Other")


def self_group(published: str) -> str | None:
    """The ONS 2011 top-level group, derived here from the words of the published string."""
    if not published:
        return None
    if "Not stated" in published or "Not Stated" in published:
        return "Not stated"
    if published.startswith("Chinese or other ethnic group - Chinese"):
        return "Asian"
    for group in ("White", "Black", "Asian", "Mixed"):
        if published.startswith(group):
            return group
    return "Other"


def test_every_file_is_imported_with_its_row_count(police_stats: PoliceStats) -> None:
    files = files_of("*/*-stop-and-search.csv")
    assert len(files) == 122
    for path in files:
        month, force = path.name[:7], path.name[8 : -len("-stop-and-search.csv")]
        with path.open(newline="") as handle:
            expected = sum(1 for _ in csv.DictReader(handle))
        manifest = police_stats.store.manifest("stop-and-search", force, month)
        assert manifest is not None, path.name
        assert (manifest.rows_read, manifest.rows_imported) == (expected, expected), path.name


@pytest.mark.parametrize(
    ("force", "census_name", "start", "end", "ethnicity"),
    [
        ("metropolitan", "Metropolitan", "2018-01", "2018-12", "officer"),
        ("metropolitan", "Metropolitan", "2018-01", "2018-12", "self"),
        ("essex", "Essex", "2019-01", "2019-12", "officer"),
        ("leicestershire", "Leicestershire", "2019-01", "2019-12", "self"),
        ("west-midlands", "West Midlands", "2019-01", "2019-03", "self"),
    ],
)
def test_disproportionality_matches_an_independent_count(
    police_stats: PoliceStats, force: str, census_name: str, start: str, end: str, ethnicity: str
) -> None:
    months = months_of(start, end)
    rows = search_rows(force, months)
    if ethnicity == "officer":
        counts = tally(rows, "Officer-defined ethnicity")
        unknown = counts.get("", 0)
    else:
        counts = tally([{"g": self_group(r["Self-defined ethnicity"]) or ""} for r in rows], "g")
        unknown = counts.get("", 0) + counts.get("Not stated", 0)
    residents = census(census_name)[ethnicity]

    answer = police_stats.disproportionality(force, start, end, ethnicity)

    assert answer["force"] == force and answer["months"] == months
    assert answer["missing_months"] == [] and answer["searches"] == len(rows)
    assert answer["groups"]["missing"]["searches"] == counts.get("", 0)
    if ethnicity == "self":
        assert answer["groups"]["Not stated"]["searches"] == counts.get("Not stated", 0)
    white = counts.get("White", 0)
    for group in GROUPS:
        figures = answer["groups"][group]
        assert figures["searches"] == counts.get(group, 0)
        assert figures["population"] == residents[group]
        assert figures["rate_per_1000"] == pytest.approx(
            1000 * counts.get(group, 0) / residents[group], abs=1e-4
        )
        if group == "White":
            continue
        ratio = answer["rate_ratios"][group]
        a = counts.get(group, 0)
        if a == 0 or white == 0:
            assert ratio["ratio"] is None and ratio["reason"]
            continue
        expected = relative_risk(a, residents[group], white, residents["White"])
        low, high = expected.confidence_interval(0.95)
        assert ratio["ratio"] == pytest.approx(expected.relative_risk, abs=1e-4)
        assert ratio["ci95"] == pytest.approx([low, high], abs=1e-4)
        rate_white = white / residents["White"]
        assert ratio["bounds"] == pytest.approx(
            [
                (a / residents[group]) / ((white + unknown) / residents["White"]),
                ((a + unknown) / residents[group]) / rate_white,
            ],
            abs=1e-4,
        )


def test_the_readme_sanity_figures(police_stats: PoliceStats) -> None:
    """The figures ../shared/data/police-uk/README.md states for checking code."""
    met = police_stats.disproportionality("metropolitan", "2018-01", "2018-12", "officer")
    assert met["searches"] == 149_284
    assert round(met["groups"]["Black"]["rate_per_1000"], 1) == 58.4
    assert round(met["groups"]["White"]["rate_per_1000"], 1) == 10.8
    assert round(met["rate_ratios"]["Black"]["ratio"], 2) == 5.42
    assert round(met["rate_ratios"]["Asian"]["ratio"], 2) == 1.69
    essex = police_stats.disproportionality("essex", "2019-01", "2019-12", "officer")
    assert (essex["searches"], round(essex["rate_ratios"]["Black"]["ratio"], 2)) == (17_146, 6.05)
    leics = police_stats.disproportionality("leicestershire", "2019-01", "2019-12", "officer")
    assert (leics["searches"], round(leics["rate_ratios"]["Black"]["ratio"], 2)) == (2_667, 7.53)


def test_the_month_comes_from_the_file_name_not_the_date(police_stats: PoliceStats) -> None:
    """2018-04 (British Summer Time) starts with rows dated 2018-03-31T23:xx UTC."""
    rows = search_rows("metropolitan", ["2018-04"])
    early = [r for r in rows if r["Date"].startswith("2018-03-31")]
    assert len(early) == 38
    april = police_stats.disproportionality("metropolitan", "2018-04", "2018-04")
    march = police_stats.disproportionality("metropolitan", "2018-03", "2018-03")
    assert april["searches"] == len(rows)
    assert march["searches"] == len(search_rows("metropolitan", ["2018-03"]))
    monthly = police_stats.breakdowns("metropolitan", "2018-03", "2018-04")["section_60_by_month"]
    assert [(m["month"], m["searches"]) for m in monthly] == [
        ("2018-03", march["searches"]),
        ("2018-04", len(rows)),
    ]


def test_a_month_with_no_file_is_missing_not_zero(police_stats: PoliceStats) -> None:
    answer = police_stats.disproportionality("metropolitan", "2018-12", "2019-03")
    assert answer["months"] == ["2018-12", "2019-01"]
    assert answer["missing_months"] == ["2019-02", "2019-03"]
    assert answer["searches"] == len(search_rows("metropolitan", ["2018-12", "2019-01"]))
    assert answer["rate_period_months"] == 2
    series = police_stats.monthly("metropolitan", "2019-01", "2019-02")
    assert series[1]["searches"] is None and series[1]["missing_months"] == ["2019-02"]
    with pytest.raises(UnknownPeriodError, match="missing"):
        police_stats.disproportionality("metropolitan", "2020-01", "2020-06")
    with pytest.raises(UnknownPeriodError, match="no stop-and-search data for force"):
        police_stats.disproportionality("atlantis", "2019-01", "2019-01")


def test_cross_section_by_force(police_stats: PoliceStats) -> None:
    answers = police_stats.by_force("2019-01", "officer")
    assert len(answers) == 44
    for answer in answers:
        rows = search_rows(answer["force"], ["2019-01"])
        counts = tally(rows, "Officer-defined ethnicity")
        assert answer["searches"] == len(rows)
        assert {g: answer["groups"][g]["searches"] for g in GROUPS} == {
            g: counts.get(g, 0) for g in GROUPS
        }
    by_name = {a["force"]: a for a in answers}
    for force in ("city-of-london", "btp"):
        assert by_name[force]["no_rate_reason"]
        assert by_name[force]["groups"]["White"]["rate_per_1000"] is None
        assert by_name[force]["rate_ratios"]["Black"]["ratio"] is None
    broken = by_name["west-midlands"]
    assert broken["rate_ratios"]["Black"]["ratio"] is None
    assert any("broken at source" in w for w in broken["warnings"])


def test_breakdowns_match_an_independent_count(police_stats: PoliceStats) -> None:
    months = months_of("2019-01", "2019-12")
    rows = search_rows("essex", months)
    answer = police_stats.breakdowns("essex", "2019-01", "2019-12")
    outcomes = tally(rows, "Outcome")
    nfa = outcomes["A no further action disposal"] + outcomes["Nothing found - no further action"]
    recorded = len(rows) - outcomes.get("", 0)
    assert answer["no_further_action"] == {
        "searches": nfa, "denominator": recorded, "share": round(nfa / recorded, 4)
    }  # fmt: skip
    linked = tally(rows, "Outcome linked to object of search")
    denominator = linked["True"] + linked["False"]
    assert answer["find_rate"]["linked"] == linked["True"]
    assert answer["find_rate"]["denominator"] == denominator
    clothing = tally(rows, "Removal of more than just outer clothing")
    assert answer["more_than_outer_clothing"]["searches"] == clothing["True"]
    assert answer["more_than_outer_clothing"]["denominator"] == clothing["True"] + clothing["False"]
    section_60 = "Criminal Justice and Public Order Act 1994 (section 60)"
    assert answer["section_60_by_month"] == [
        {
            "month": m,
            "searches": len(search_rows("essex", [m])),
            "section_60": sum(r["Legislation"] == section_60 for r in search_rows("essex", [m])),
        }
        for m in months
    ]
    ages = tally(rows, "Age range")
    assert answer["age_range"] == {("missing" if k == "" else k): v for k, v in ages.items()}
    genders = tally(rows, "Gender")
    assert answer["gender"] == {("missing" if k == "" else k): v for k, v in genders.items()}


def test_older_vocabulary_is_mapped(police_stats: PoliceStats) -> None:
    """2016-06 Met uses the 16+1 coded list and the older outcome names."""
    rows = search_rows("metropolitan", ["2016-06"])
    answer = police_stats.disproportionality("metropolitan", "2016-06", "2016-06", "self")
    counts = tally([{"g": self_group(r["Self-defined ethnicity"]) or ""} for r in rows], "g")
    assert {g: answer["groups"][g]["searches"] for g in GROUPS} == {
        g: counts.get(g, 0) for g in GROUPS
    }
    assert (
        counts["Not stated"] > 0
        and answer["groups"]["Not stated"]["searches"] == counts["Not stated"]
    )
    old = tally(rows, "Outcome")["Nothing found - no further action"]
    assert old > 0
    assert (
        police_stats.breakdowns("metropolitan", "2016-06", "2016-06")["no_further_action"][
            "searches"
        ]
        == old + tally(rows, "Outcome")["A no further action disposal"]
    )


def test_duplicate_rows_are_kept(police_stats: PoliceStats) -> None:
    """Identical rows are several people searched together: each one counts."""
    path = POLICE / "2018-03" / "2018-03-metropolitan-stop-and-search.csv"
    with path.open(newline="") as handle:
        lines = handle.read().splitlines()[1:]
    assert len(lines) - len(set(lines)) == 560
    answer = police_stats.disproportionality("metropolitan", "2018-03", "2018-03")
    assert answer["searches"] == len(lines)
