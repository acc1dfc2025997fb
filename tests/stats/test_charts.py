"""Charts: SVG that parses and says what it shows, missing months marked, bytes reproducible."""

from __future__ import annotations

import csv
import io
import math
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from openwitness.stats import charts

SVG = "{http://www.w3.org/2000/svg}"


def answer(month: str, searches: int | None, ratio: float | None = 5.0) -> dict[str, Any]:
    """A monthly answer shaped like PoliceStats.monthly's (None searches: no file)."""
    if searches is None:
        return {"force": "avon-and-somerset", "from": month, "to": month, "months": [],
                "missing_months": [month], "searches": None}  # fmt: skip
    rate: dict[str, Any] = (
        {"ratio": ratio, "ci95": [ratio * 0.9, ratio * 1.1], "bounds": [ratio * 0.8, ratio * 1.3]}
        if ratio is not None
        else {"ratio": None, "ci95": None, "bounds": None, "reason": "no searches of Black people"}
    )
    return {"force": "avon-and-somerset", "ethnicity": "officer", "from": month, "to": month,
            "months": [month], "missing_months": [], "searches": searches,
            "rate_ratios": {"Black": rate}}  # fmt: skip


MONTHLY = [
    answer("2018-01", 1200),
    answer("2018-02", None),
    answer("2018-03", 900, ratio=None),
    answer("2018-04", 1500, ratio=3.5),
]
BREAKDOWNS = {
    "force": "avon-and-somerset", "from": "2018-01", "to": "2018-04",
    "months": ["2018-01", "2018-03", "2018-04"], "missing_months": ["2018-02"],
    "section_60_by_month": [
        {"month": "2018-01", "searches": 1200, "section_60": 12},
        {"month": "2018-03", "searches": 900, "section_60": 0},
        {"month": "2018-04", "searches": 1500, "section_60": 40},
    ],
    "age_range": {"18-24": 700, "over 34": 300, "missing": 2600},
    "gender": {"Male": 3000, "Female": 500, "missing": 100},
}  # fmt: skip


class Words(str):
    """The text of an SVG, and its separate text elements (``labels``)."""

    labels: list[str]


def texts(svg: bytes) -> Words:
    """All the text of an SVG (it parses as XML, or this fails)."""
    root = ET.fromstring(svg)
    labels = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    words = Words(" ".join(labels))
    words.labels = labels
    return words


def test_searches_over_time_marks_the_month_with_no_file() -> None:
    chart = charts.searches_over_time(MONTHLY)
    svg = chart.render("svg")
    words = texts(svg)
    assert "Avon and Somerset" in words and "searches per month" in words
    assert words.labels.count("no file") == 1
    assert "Searches" in words and "Month" in words
    assert [r["searches"] for r in chart.data_rows] == [1200, None, 900, 1500]
    assert chart.data_rows[1]["file"] == "no file"
    assert "2018-02" in chart.alt_text and "missing, not zero" in chart.alt_text
    assert "3,600 searches in 3 month(s)" in chart.alt_text
    rows = list(csv.DictReader(io.StringIO(chart.csv())))
    assert rows[1] == {"month": "2018-02", "searches": "", "file": "no file"}
    # the hatched no-file column is not a bar of searches: three blue bars only
    ax = chart.figure.axes[0]
    blue = [
        p
        for p in ax.patches
        if p.get_facecolor()[:3] == pytest.approx((0.0, 0.447, 0.698), abs=0.01)
    ]
    assert sorted(round(p.get_height()) for p in blue) == [900, 1200, 1500]


def test_ratio_over_time_has_interval_bars_and_notes_months_with_no_ratio() -> None:
    chart = charts.ratio_over_time(MONTHLY)
    words = texts(chart.render("svg"))
    assert "relative to" in words and "equal rates" in words
    assert words.labels.count("no file") == 1 and words.labels.count("no ratio") == 1
    assert "no searches of Black people" in words
    assert [r["ratio"] for r in chart.data_rows] == [5.0, None, None, 3.5]
    assert chart.data_rows[3]["ci95_low"] == pytest.approx(3.15)
    assert "from 3.50 to 5.00" in chart.alt_text


def test_league_table_ranks_forces_and_names_those_left_out() -> None:
    month = [
        {**answer("2018-06", 100, ratio=2.0), "force": "kent"},
        {**answer("2018-06", 100, ratio=6.0), "force": "metropolitan"},
        {**answer("2018-06", 100, ratio=None), "force": "city-of-london"},
    ]
    chart = charts.league_table(month)
    words = texts(chart.render("svg"))
    assert "Not shown, no ratio: City of London" in words
    labels = [t.get_text() for t in chart.figure.axes[0].get_yticklabels()]
    assert labels == ["Kent", "Metropolitan"]  # bottom to top: highest ratio at the top
    assert [r["force"] for r in chart.data_rows] == ["metropolitan", "kent", "city-of-london"]
    assert chart.data_rows[2]["note"] == "no searches of Black people"


def test_section_60_and_category_bars() -> None:
    chart = charts.section_60_over_time(BREAKDOWNS)
    words = texts(chart.render("svg"))
    assert "Section 60" in words and words.labels.count("no file") == 1
    assert [r["section_60"] for r in chart.data_rows] == [12, None, 0, 40]
    assert "52 of 3,600 searches" in chart.alt_text
    age = charts.category_bars(BREAKDOWNS, "age_range")
    assert [(r["age_range"], r["searches"]) for r in age.data_rows] == [
        ("18-24", 700), ("over 34", 300), ("not recorded", 2600)
    ]  # fmt: skip
    assert "not recorded" in texts(age.render("svg"))
    gender = charts.category_bars(BREAKDOWNS, "gender")
    assert sum(r["searches"] for r in gender.data_rows) == 3600


def test_search_map_counts_every_point_and_handles_none() -> None:
    points = [(-2.6 + 0.001 * (i % 50), 51.45 + 0.001 * (i // 50)) for i in range(1000)]
    chart = charts.search_map(points, "avon-and-somerset", "2018-01 to 2018-04")
    words = texts(chart.render("svg"))
    assert "Longitude" in words and "Latitude" in words and "Searches per hexagon" in words
    assert sum(r["searches"] for r in chart.data_rows) == 1000
    ax = chart.figure.axes[0]
    assert ax.get_aspect() == pytest.approx(1 / math.cos(math.radians(51.4695)), rel=1e-3)
    empty = charts.search_map([], "avon-and-somerset")
    assert "no mapped searches" in texts(empty.render("svg"))
    assert empty.data_rows == [] and "no search" in empty.alt_text


def test_bytes_are_reproducible_and_formats_are_what_they_say() -> None:
    first = charts.searches_over_time(MONTHLY)
    second = charts.searches_over_time(MONTHLY)
    assert first.render("svg") == second.render("svg")
    assert first.render("pdf") == second.render("pdf")
    assert first.render("png").startswith(b"\x89PNG\r\n\x1a\n")
    assert first.render("pdf").startswith(b"%PDF")
    with pytest.raises(ValueError, match="format"):
        first.render("gif")


def test_rendering_in_threads_gives_the_same_svg() -> None:
    expected = charts.ratio_over_time(MONTHLY).render("svg")
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: charts.ratio_over_time(MONTHLY).render("svg"), range(8)))
    assert all(r == expected for r in results)
