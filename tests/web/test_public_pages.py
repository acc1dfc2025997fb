"""The public pages in a real browser: a 360 px phone screen without horizontal overflow, axe-core
(WCAG 2.2 AA) without serious or critical violations, and the report form without JavaScript."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from tests.support import MEDIA, require_shared
from tests.web.conftest import assert_fits, serious_violations

PUBLIC_PAGES = [
    "/", "/report", "/live", "/verify", "/log", "/rights", "/complain", "/complain/letter",
    "/report/letter", "/follow-up", "/sign-in", "/stats/complaints",
]  # fmt: skip
PHOTO = MEDIA / "ianare__exif-samples/jpg/gps/DSCN0010.jpg"


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_public_page_fits_a_360px_phone_and_passes_axe(
    page: Any, site: str, path: str, tmp_path: Path
) -> None:
    response = page.goto(site + path)
    assert response.status == 200
    page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
    assert page.viewport_size["width"] == 360
    assert_fits(page)
    assert page.locator("h1").count() == 1
    assert serious_violations(page) == []


def test_every_page_can_be_reached_by_keyboard(page: Any, site: str) -> None:
    page.goto(site + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Skip to content"
    reached = set()
    for _ in range(12):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("() => document.activeElement.getAttribute('href')"))
    assert {"/report", "/verify", "/log", "/rights", "/complain"} <= reached


def test_a_refused_report_names_each_field_beside_it_and_passes_axe(page: Any, site: str) -> None:
    page.goto(site + "/report")
    page.click("#send-report")  # nothing filled in (and no files, so the form posts as it is)
    assert page.locator(".error-summary").is_visible()
    for field in ("occurred_at", "place", "force", "encounter_type", "narrative"):
        assert page.locator(f"#{field}-error").is_visible(), field
        assert page.locator(f"#{field}").get_attribute("aria-invalid") == "true"
    assert serious_violations(page) == []


def test_the_report_form_works_without_javascript(browser: Any, site: str) -> None:
    require_shared(PHOTO)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 800})
    page = context.new_page()
    try:
        page.goto(site + "/report")
        page.set_input_files("#files", str(PHOTO))
        page.fill("#occurred_at", "2026-11-30T18:30")
        page.select_option("#force", "metropolitan")
        page.select_option("#encounter_type", "stop-and-search")
        page.fill("#narrative", "Stopped and searched outside the station.")
        page.click("#send-report")  # "where" left empty: refused, and said beside the field
        assert page.locator("#place-error").is_visible()
        assert page.locator("#place").get_attribute("aria-invalid") == "true"
        assert (
            page.locator("#narrative").input_value() == "Stopped and searched outside the station."
        )

        page.set_input_files("#files", str(PHOTO))  # a browser never refills a file field
        page.fill("#place", "Brixton Road")
        page.click("#send-report")
        assert page.locator("h1").text_content() == "Your report has been received"
        item = page.locator(".lodged-item")
        assert item.count() == 1
        assert item.get_attribute("data-sha256") == hashlib.sha256(PHOTO.read_bytes()).hexdigest()
        assert len(page.locator("#follow-up-token").text_content() or "") >= 20

        page.click("#letter-link")  # the letter filled in from this report
        assert page.locator("#letter-place").text_content() == "Brixton Road"
        assert page.locator("#letter-force").text_content() == "Metropolitan Police Service"
        assert hashlib.sha256(PHOTO.read_bytes()).hexdigest() in (
            page.locator("#letter-evidence").text_content() or ""
        )
    finally:
        context.close()


def test_the_filled_in_letter_fits_a_phone_passes_axe_and_prints_as_just_the_letter(
    page: Any, site: str, tmp_path: Path
) -> None:
    require_shared(PHOTO)
    page.goto(site + "/report")
    page.set_input_files("#files", str(PHOTO))
    page.fill("#occurred_at", "2026-11-30T18:30")
    page.fill("#place", "Brixton Road")
    page.select_option("#force", "metropolitan")
    page.select_option("#encounter_type", "stop-and-search")
    page.fill("#narrative", "Stopped and searched outside the station.")
    page.fill("#officer_description", "PC 4471, red beard")
    page.click("#send-report")
    page.wait_for_url(site + "/report/receipt", wait_until="load")
    page.get_by_role("link", name="Your complaint letter").click()
    page.wait_for_url(site + "/report/letter")
    assert page.locator("#letter-officers").text_content() == "PC 4471, red beard"
    assert page.locator("#letter-narrative").text_content() == (
        "Stopped and searched outside the station."
    )
    page.screenshot(path=str(tmp_path / "letter.png"), full_page=True)
    assert_fits(page)
    assert serious_violations(page) == []
    page.emulate_media(media="print")
    assert page.locator("#letter").is_visible()
    for hidden in ("header.site", "footer.site", ".letter-help", "main > h1"):
        assert not page.locator(hidden).is_visible(), hidden


def test_the_api_docs_load_from_this_site_under_the_same_policy(page: Any, site: str) -> None:
    assert page.goto(site + "/docs").status == 200
    page.locator(".opblock-tag", has_text="cases").first.wait_for()
    assert page.locator(".opblock").count() > 30  # every operation rendered from /openapi.json


def test_use_my_location_fills_in_the_position_when_allowed(browser: Any, site: str) -> None:
    context = browser.new_context(
        viewport={"width": 360, "height": 800},
        geolocation={"latitude": 51.4626, "longitude": -0.1149, "accuracy": 20},
        permissions=["geolocation"],
    )
    page = context.new_page()
    try:
        page.goto(site + "/report")
        page.get_by_role("button", name="Use my location").click()
        page.locator("#location-status", has_text="Location added").wait_for()
        assert page.locator("#latitude").input_value() == "51.462600"
        assert page.locator("#longitude").input_value() == "-0.114900"
    finally:
        context.close()
