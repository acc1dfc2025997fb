"""The complainant's path where a distressed person is most likely to be: many photos, a
form refused after the files went up, a reload before sending, a reload of the receipt.

Found when the report flow was tried from outside: a report with ten photos was refused at
the end with raw JSON, a refused form showed "No file chosen" for files already lodged, and a
reload of the receipt page could send the report again.
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.web.conftest import assert_fits, serious_violations, served

FIELDS = {
    "#occurred_at": "2026-11-30T18:30",
    "#place": "Outside Brixton station",
    "#officer_description": "PC 1234, van YX21 ABC",
}


def photos(folder: Path, count: int) -> list[Path]:
    """Distinct small JPEGs, as a phone's camera roll would give."""
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for number in range(count):
        buffer = io.BytesIO()
        Image.new("RGB", (64, 48), (number * 12 % 256, 90, 200 - number)).save(buffer, "JPEG")
        path = folder / f"IMG_{1000 + number}.jpg"
        path.write_bytes(buffer.getvalue())
        made.append(path)
    return made


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def site(home: Path) -> Iterator[str]:
    with served(home) as base:
        yield base


def reports(home: Path) -> int:
    with sqlite3.connect(home / "witness.db") as conn:
        return int(conn.execute("SELECT count(*) FROM complaint").fetchone()[0])


def fill(page: Any, narrative: str) -> None:
    for selector, value in FIELDS.items():
        page.fill(selector, value)
    page.select_option("#force", "metropolitan")
    page.select_option("#encounter_type", "stop-and-search")
    page.fill("#narrative", narrative)
    page.check("#kind-anonymous")


def test_a_report_with_20_photos_goes_through_and_a_reload_sends_nothing_again(
    page: Any, site: str, home: Path, tmp_path: Path
) -> None:
    files = photos(tmp_path / "roll", 20)
    page.goto(site + "/report")
    assert page.locator("#what-becomes-public").is_visible()  # said before the first upload
    page.set_input_files("#files", [str(p) for p in files])
    fill(page, "Searched at the station; they photographed my phone.")
    page.click("#send-report")
    page.wait_for_url(site + "/report/receipt", timeout=120_000)
    assert page.locator(".lodged-item").count() == 20
    assert page.locator(".lodged-item.matched").count() == 20
    case = page.locator("#case-number").text_content()
    assert reports(home) == 1
    page.reload()
    assert page.locator("#case-number").text_content() == case
    assert page.locator(".lodged-item.matched").count() == 20  # still compared after a reload
    assert reports(home) == 1
    assert_fits(page)


def test_a_form_refused_after_its_files_went_up_keeps_them_and_what_was_typed(
    page: Any, site: str, home: Path, tmp_path: Path
) -> None:
    files = photos(tmp_path / "roll", 3)
    page.goto(site + "/report")
    page.set_input_files("#files", [str(p) for p in files])
    fill(page, "")  # what happened left out: refused after the uploads
    page.click("#send-report")
    page.locator("#error-summary").wait_for(timeout=60_000)
    assert page.url == site + "/report"
    lodged = page.locator("#lodged-files li")
    assert lodged.count() == 3
    names = sorted(lodged.locator(".file-name").all_text_contents())
    assert names == sorted(p.name for p in files)  # shown by name, not "No file chosen"
    assert all("lodged, receipt ready" in t for t in lodged.locator(".state").all_text_contents())
    assert page.input_value("#place") == FIELDS["#place"]
    assert_fits(page)
    assert serious_violations(page) == []

    page.fill("#narrative", "Stopped and searched; nothing found.")
    page.click("#send-report")  # no file chosen again: the lodged ones go with the form
    page.wait_for_url(site + "/report/receipt", timeout=60_000)
    assert page.locator(".lodged-item").count() == 3
    assert reports(home) == 1


def test_a_reload_before_sending_loses_neither_the_text_nor_the_files(
    page: Any, site: str, home: Path, tmp_path: Path
) -> None:
    files = photos(tmp_path / "roll", 2)
    page.goto(site + "/report")
    page.set_input_files("#files", [str(p) for p in files])
    fill(page, "")
    page.click("#send-report")
    page.locator("#error-summary").wait_for(timeout=60_000)
    page.fill("#narrative", "Typed after the files went up, then the page was reloaded.")
    page.goto(site + "/report")  # a reload (or the browser reopening the page)
    assert page.input_value("#narrative").startswith("Typed after the files went up")
    assert page.input_value("#place") == FIELDS["#place"]
    assert page.locator("#lodged-files li").count() == 2
    page.click("#send-report")
    page.wait_for_url(site + "/report/receipt", timeout=60_000)
    assert page.locator(".lodged-item").count() == 2
    assert reports(home) == 1
