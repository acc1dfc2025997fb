"""The public statistics pages in a real browser over real data.police.uk files: a 360 px phone
and a desktop without horizontal overflow, axe-core without serious violations, no request
leaving 127.0.0.1, charts that load, a form that changes the figures, and downloads whose
numbers are the page's (and the files', counted here with the ``csv`` module)."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from fastapi.testclient import TestClient

from openwitness.app import create_app
from openwitness.core.config import Settings
from openwitness.services import Services, initialise
from tests.support import REPO, SHARED, require_shared
from tests.web.conftest import assert_fits, serious_violations, served

POLICE = SHARED / "data" / "police-uk"
MET_MONTHS = ["2018-10", "2018-11", "2018-12", "2019-01"]
MET = [POLICE / m / f"{m}-metropolitan-stop-and-search.csv" for m in MET_MONTHS]
JANUARY = sorted((POLICE / "2019-01").glob("2019-01-*-stop-and-search.csv"))
POPULATION = POLICE / "population" / "census-2011-ethnic-group-by-police-force-area-5-groups.csv"
ESSEX = POLICE / "2019-01" / "2019-01-essex-stop-and-search.csv"
SCREENSHOTS = REPO / "docs" / "screenshots"
MET_2018 = "/stats?force=metropolitan&from=2018-10&to=2018-12&ethnicity=officer"


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def _seed(services: Services) -> None:
    paths = sorted({*MET, *JANUARY, POPULATION})
    reports = services.police_stats.import_paths(paths)
    assert all(r.status in ("imported", "population") for r in reports), reports


@pytest.fixture(scope="module")
def stats_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    for path in (*MET, ESSEX, POPULATION):
        require_shared(path)
    with served(tmp_path_factory.mktemp("stats-site"), _seed) as base:
        yield base


def _record(page: Any) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    return seen


def _charts_loaded(page: Any) -> int:
    images = page.locator(".chart img")
    images.last.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.chart img')].every(i => i.complete)"
    )
    widths = page.eval_on_selector_all(".chart img", "imgs => imgs.map(i => i.naturalWidth)")
    assert widths and all(w > 0 for w in widths), widths
    return len(widths)


def _cells(page: Any, table: str, key: str) -> list[str]:
    return page.eval_on_selector_all(
        f'table[data-table="{table}"] td[data-key="{key}"]', "tds => tds.map(t => t.textContent)"
    )


def test_the_stats_page_on_a_phone(page: Any, stats_site: str) -> None:
    requests = _record(page)
    response = page.goto(stats_site + "/stats")
    assert response.status == 200
    assert page.viewport_size["width"] == 360
    assert page.locator("h1").count() == 1
    # by default: the force with the most searches, its latest 12 months
    assert page.locator("#force").input_value() == "metropolitan"
    assert page.locator("#from").input_value() == "2018-02"
    assert page.locator("#to").input_value() == "2019-01"
    assert page.locator("#months-used").text_content() == "4"
    assert "missing from every figure" in page.locator("#caveats").text_content()
    assert _charts_loaded(page) == 6
    page.evaluate("() => document.querySelector('#headline').scrollIntoView()")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "stats-phone.png"))
    assert_fits(page)
    # a cell's label ("Residents (2011 Census)") wraps inside its own row, never over the next
    overflowing = page.eval_on_selector_all(
        "table.figures td", "tds => tds.filter(t => t.scrollHeight > t.clientHeight + 1).length"
    )
    assert overflowing == 0
    assert serious_violations(page) == []
    assert any("/stats/chart/" in url for url in requests)
    assert {urlparse(url).hostname for url in requests} == {"127.0.0.1"}


def test_the_stats_page_on_a_desktop(browser: Any, stats_site: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    try:
        requests = _record(page)
        page.goto(stats_site + MET_2018)
        assert _charts_loaded(page) == 6
        page.evaluate("() => document.querySelector('#headline').scrollIntoView()")
        page.screenshot(path=str(SCREENSHOTS / "stats-desktop.png"))
        assert_fits(page)
        assert serious_violations(page) == []
        assert {urlparse(url).hostname for url in requests} == {"127.0.0.1"}
    finally:
        context.close()


def test_the_headline_and_table_say_what_the_files_say(page: Any, stats_site: str) -> None:
    page.goto(stats_site + MET_2018)
    counted = Counter(r["Officer-defined ethnicity"] for path in MET[:3] for r in rows(path))
    assert page.locator("#total-searches").text_content() == f"{sum(counted.values()):,}"
    assert _cells(page, "groups", "searches") == [
        f"{counted[g]:,}" for g in ("White", "Black", "Asian", "Mixed", "Other", "")
    ]
    headline = page.locator("#headline-text").text_content()
    ratio = _cells(page, "groups", "ratio")[1]
    low, high = _cells(page, "groups", "ci95_low")[1], _cells(page, "groups", "ci95_high")[1]
    assert headline.startswith(f"Black people were searched {float(ratio):.1f} times as often")
    assert f"(95% interval {low} to {high}) per resident" in headline


def test_the_form_changes_the_figures(page: Any, stats_site: str) -> None:
    page.goto(stats_site + "/stats")
    before = page.locator("#headline-text").text_content()
    page.select_option("#force", "essex")
    page.fill("#from", "2019-01")
    page.fill("#to", "2019-01")
    page.check("#ethnicity-self")
    page.click("#show-figures")
    page.wait_for_url("**/stats?force=essex*")
    assert "ethnicity=self" in page.url
    assert page.locator("#total-searches").text_content() == f"{len(rows(ESSEX)):,}"
    assert page.locator("#headline-text").text_content() != before
    assert page.locator("#force").input_value() == "essex"
    assert page.locator("#ethnicity-self").is_checked()
    assert _charts_loaded(page) == 6


def test_downloads_hold_the_numbers_on_the_page(page: Any, stats_site: str) -> None:
    page.goto(stats_site + MET_2018)
    with page.expect_download() as caught:
        page.click('#table-groups a[href^="/stats/download/groups.csv"]')
    download = caught.value
    assert download.suggested_filename == (
        "openwitness-groups-metropolitan-2018-10-2018-12-officer.csv"
    )
    table = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
    assert [f"{int(r['searches']):,}" for r in table] == _cells(page, "groups", "searches")
    ratios = [f"{float(r['ratio']):.2f}" if r["ratio"] else "—" for r in table]
    assert ratios == _cells(page, "groups", "ratio")
    counted = Counter(r["Officer-defined ethnicity"] for path in MET[:3] for r in rows(path))
    assert int(table[1]["searches"]) == counted["Black"]

    section_60 = page.request.get(
        stats_site + "/stats/download/section-60.json?force=metropolitan&from=2018-10&to=2018-12"
    )
    body = json.loads(section_60.text())
    assert [r["section_60"] for r in body["rows"]] == [
        sum(r["Legislation"] == "Criminal Justice and Public Order Act 1994 (section 60)"
            for r in rows(path))
        for path in MET[:3]
    ]  # fmt: skip
    assert [f"{r['section_60']:,}" for r in body["rows"]] == _cells(
        page, "section-60", "section_60"
    )
    chart_rows = page.request.get(
        stats_site + "/stats/download/chart-searches.csv?force=metropolitan&from=2018-10&to=2018-12"
    )
    assert chart_rows.headers["content-disposition"].startswith("attachment;")
    searches = [int(r["searches"]) for r in csv.DictReader(io.StringIO(chart_rows.text()))]
    assert searches == [len(rows(path)) for path in MET[:3]]


def test_the_forces_page_lists_every_force_with_a_file(page: Any, stats_site: str) -> None:
    requests = _record(page)
    response = page.goto(stats_site + "/stats/forces?month=2019-01")
    assert response.status == 200
    assert page.locator('table[data-table="league"] tbody tr').count() == len(JANUARY)
    names = _cells(page, "league", "searches")
    assert sum(int(n.replace(",", "")) for n in names) == sum(len(rows(p)) for p in JANUARY)
    assert _charts_loaded(page) == 1
    assert_fits(page)
    assert serious_violations(page) == []
    assert {urlparse(url).hostname for url in requests} == {"127.0.0.1"}


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("force=nowhere", "no stop-and-search data for a force called 'nowhere'"),
        ("force=metropolitan&from=2018-13&to=2018-12", "is not a month"),
        ("force=metropolitan&from=2018-12&to=2018-10", "after it ends"),
        ("force=metropolitan&from=2010-01&to=2010-03", "every month of the period is missing"),
        ("force=metropolitan&ethnicity=both", "officer-defined or self-defined"),
    ],
)
def test_bad_input_is_a_page_saying_what_is_wrong(
    page: Any, stats_site: str, query: str, words: str
) -> None:
    response = page.goto(f"{stats_site}/stats?{query}")
    assert response.status == 400
    problem = page.locator("#stats-problem").text_content()
    assert words in problem
    assert "Traceback" not in page.content()
    assert page.locator("#force").count() == 1  # the form is there to try again
    assert_fits(page)
    assert serious_violations(page) == []


def test_pages_are_cacheable_until_an_import(stats_site: str) -> None:
    import httpx

    url = stats_site + "/stats/chart/section-60.svg?force=metropolitan&from=2018-10&to=2018-12"
    first = httpx.get(url)
    assert first.status_code == 200
    assert first.headers["content-type"] == "image/svg+xml"
    assert first.headers["cache-control"] == "public, max-age=300"
    again = httpx.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


def test_an_empty_store_explains_how_to_import(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'witness.db'}")
    services, _ = initialise(settings, "web.test/log")
    services.close()
    with TestClient(create_app(settings)) as client:
        for path in ("/stats", "/stats/forces"):
            page = client.get(path, headers={"Accept": "text/html"})
            assert page.status_code == 200
            assert "witness stats import" in page.text
        refused = client.get("/stats/download/groups.csv", headers={"Accept": "text/html"})
        assert refused.status_code == 400 and "imported" in refused.text
