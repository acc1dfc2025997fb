"""Casework pages on a 360 px phone with real, awkward content: a long force and officer name,
the longest category, a case with fifteen allegations and a long history, long places and
next actions, a portrait video. No column may be hidden off-screen (tables become cards under
600 px, each cell under its column's name), nothing overflows, and axe-core finds nothing
serious; from 600 px wide the tables are tables again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import av
import pytest
from PIL import Image

from openwitness.cases.access import Viewer
from openwitness.cases.allegations import NewAllegation
from openwitness.cases.complaints import NewCase
from openwitness.cases.incidents import NewIncident
from openwitness.services import Services
from tests.support import ENTITLED
from tests.web.conftest import assert_fits, serious_violations, served
from tests.web.test_casework import PASSWORD, sign_in

FORCE = "Springfield County Sheriff's Department Special Operations and Community Safety Division"
LONGEST_CATEGORY = "discriminatory-behaviour/marriage-civil-partnership"
NEXT_ACTION = ("Ask the professional standards department for the body-worn footage at "
               "https://example.org/a-very-long-address/without-any-break-in-it/0123456789abcdef "
               + "and chase them weekly " * 8)[:300]  # fmt: skip


def portrait_video(path: Path) -> Path:
    """A short H.264 video taller than a phone's screen (144 x 960)."""
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 144, 960, "yuv420p"
        for shade in range(0, 250, 25):
            frame = av.VideoFrame.from_image(Image.new("RGB", (144, 960), (shade, 0, 0)))
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def seed(services: Services, folder: Path) -> None:
    services.accounts.add_organisation("law-centre", "Law Centre")
    services.accounts.create("cw", PASSWORD, "caseworker", "law-centre")
    services.accounts.create("admin", PASSWORD, "admin")
    services.forces.add("springfield-sheriff", FORCE, "US")
    names = ("Maximilian Bartholomew Featherstonehaugh-Cholmondeley", "Wolfeschlegelsteinhausen")
    officers = [
        services.officers.add("springfield-sheriff", {"collar": f"ABCD12345{n}WXYZ",
                              "name": name, "rank": "Police Constable"}, "t").id
        for n, name in enumerate(names)
    ]  # fmt: skip
    video = services.vault.ingest_file(portrait_video(folder / "portrait.mp4")).record.sha256
    case = services.cases.add(
        NewCase(
            incident=NewIncident(
                "springfield-sheriff", datetime(2025, 3, 4, 18, 0, tzinfo=UTC),
                "Outside the Featherstonehaugh-Cholmondeley Memorial Community Centre, " * 4,
                "stop-and-search", "Searched. " * 400, evidence=(video,),
                officers=tuple((o, "searching officer") for o in officers),
            ),
            reporter_kind="anonymous",
            allegations=tuple(
                NewAllegation(officers[n % 2], LONGEST_CATEGORY, NEXT_ACTION, date(2020, 1, 1))
                for n in range(15)
            ),
            received_at=datetime(2025, 3, 5, tzinfo=UTC),
        ),
        "t", "law-centre", ENTITLED,
    )[0]  # fmt: skip
    editor = Viewer("cw", "caseworker", "law-centre")
    for allegation in case.allegations[:5]:
        services.cases.update_allegation(
            allegation.id, {"status": "closed", "final_finding": "case-to-answer-misconduct",
                            "final_result": "final-written-warning",
                            "decided_on": date(2025, 6, 1), "closed_on": date(2025, 6, 2)},
            editor,
        )  # fmt: skip


@pytest.fixture(scope="module")
def crowded_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("crowded")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("OPENWITNESS_RATE_SIGN_IN", "1000 per minute")
        with served(home, lambda services: seed(services, home)) as base:
            yield base


def assert_no_hidden_columns(page: Any) -> None:
    """Every table fits its box without scrolling, every cell is on screen, and every cell of
    a stacked table carries its column's name, with the cell's content beside it."""
    problems = page.evaluate(
        """() => {
          const wrong = [], width = document.documentElement.clientWidth;
          for (const table of document.querySelectorAll('main table')) {
            const box = table.closest('.table-scroll') || table.parentElement;
            if (box.scrollWidth > box.clientWidth) wrong.push(`${table.id || table.className}`
              + ` scrolls: ${box.scrollWidth} px in ${box.clientWidth} px`);
            for (const cell of table.querySelectorAll('tbody td')) {
              const r = cell.getBoundingClientRect();
              if (r.right > width + 0.5 || r.left < -0.5) wrong.push(`cell off screen: `
                + `${cell.textContent.slice(0, 40)} at ${r.left}-${r.right}`);
              if (!cell.hasAttribute('colspan') && !cell.dataset.label)
                wrong.push(`cell without its column's name: ${cell.textContent.slice(0, 40)}`);
              // On a card, all of a cell's content sits beside its column's name.
              const stacked = getComputedStyle(cell, '::before').content !== 'none';
              for (const node of stacked ? cell.childNodes : []) {
                if (!node.textContent.trim()) continue;
                const range = document.createRange();
                range.selectNodeContents(node);
                const at = range.getBoundingClientRect().left;
                if (at < r.left + r.width * 0.3) wrong.push(`content under the column's `
                  + `name: ${node.textContent.trim().slice(0, 40)} at ${at} in ${r.left}`);
              }
            }
          }
          return wrong;
        }"""
    )
    assert problems == [], (page.url, problems[:5])


PAGES = ["/cases", "/cases/1", "/officers/1", "/overdue", "/cases?officer=ABCD123450WXYZ"]


@pytest.mark.parametrize("path", PAGES)
def test_casework_pages_show_every_column_on_a_phone(
    page: Any, crowded_site: str, path: str
) -> None:
    sign_in(page, crowded_site, "admin", path.split("?")[0])
    if "?" in path:  # sign-in returns to the page's path alone
        page.goto(crowded_site + path)
    assert_fits(page)
    assert_no_hidden_columns(page)
    assert page.locator("main table.stack tbody td[data-label]").count() >= 1, page.url
    label = page.locator("main table.stack tbody td[data-label]").first
    before = label.evaluate("td => getComputedStyle(td, '::before').content")
    assert before.strip('"') == label.get_attribute("data-label")  # the name is shown
    assert serious_violations(page) == [], page.url


def test_the_case_page_with_fifteen_allegations_names_each_officer_and_change(
    page: Any, crowded_site: str
) -> None:
    sign_in(page, crowded_site, "admin", "/cases/1")
    assert page.locator("section.allegation").count() == 15
    officer = page.locator("section.allegation .officer a").first.text_content() or ""
    assert officer.startswith("PC ABCD123450WXYZ Maximilian") and FORCE in officer, officer
    changes = page.locator("table.history tbody tr", has_text="changed")
    assert changes.count() == 5
    assert "status: received → closed" in (changes.first.text_content() or "")


def test_a_portrait_video_fits_the_screen(page: Any, crowded_site: str) -> None:
    sign_in(page, crowded_site, "admin", "/cases/1")
    video = page.locator(".evidence video")
    video.evaluate(
        "v => v.readyState >= 1 || new Promise((ok, no) => {"
        " v.onloadedmetadata = ok; v.onerror = () => no(v.error); v.load(); })"
    )
    assert video.evaluate("v => [v.videoWidth, v.videoHeight]") == [144, 960]
    box = video.bounding_box()
    assert box["height"] <= 0.8 * 800 + 1 and box["width"] <= 360, box
    assert box["width"] == pytest.approx(box["height"] * 144 / 960, abs=2)  # not stretched


def test_from_600_px_wide_the_tables_are_tables_again(browser: Any, crowded_site: str) -> None:
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()
    try:
        sign_in(page, crowded_site, "admin", "/cases")
        header = page.locator("#case-table thead")
        assert header.evaluate("h => getComputedStyle(h).display") == "table-header-group"
        assert page.locator("#case-table tbody td").first.evaluate(
            "td => getComputedStyle(td, '::before').content") in ("none", "normal")  # fmt: skip
        assert_fits(page)
    finally:
        context.close()
