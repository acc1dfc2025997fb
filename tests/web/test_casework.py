"""Caseworkers' pages in a real browser: sign in, find a case, record an outcome, see it on the
officer's profile; the overdue dashboard and the import dry run; every page passes axe-core and
fits a 360 px screen; other organisations' cases and other roles' pages stay closed."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from openwitness.cases.allegations import NewAllegation
from openwitness.cases.complaints import NewCase
from openwitness.cases.incidents import NewIncident
from openwitness.services import Services
from tests.support import ENTITLED, MEDIA, require_shared
from tests.web.conftest import assert_fits, serious_violations, served

PASSWORD = "correct horse battery staple"
VIDEO = MEDIA / "contentauth__c2pa-rs/sdk/tests/fixtures/video1.mp4"
PHOTO = MEDIA / "ianare__exif-samples/jpg/gps/DSCN0010.jpg"


def seed(services: Services) -> None:
    accounts = services.accounts
    accounts.add_organisation("law-centre", "Law Centre")
    accounts.add_organisation("other-group", "Other group")
    accounts.create("cw", PASSWORD, "caseworker", "law-centre")
    accounts.create("admin", PASSWORD, "admin")
    accounts.create("analyst", PASSWORD, "analyst")
    officer = services.officers.add("metropolitan", {"collar": "1234", "name": "PC Example"}, "t")
    lodged = tuple(
        services.vault.ingest_file(require_shared(p)).record.sha256 for p in (VIDEO, PHOTO)
    )
    services.officers.add_photo(officer.id, lodged[1], "t", ENTITLED)
    for sha in lodged:  # as the preview job does for uploads to a running server
        assert services.previews.make(sha).state == "made"
    for org, narrative, due, evidence in (
        (
            "law-centre",
            "Searched at the bus stop; handcuffed too tightly.",
            date(2020, 1, 1),
            lodged,
        ),
        ("other-group", "A case another organisation holds.", None, ()),
    ):
        services.cases.add(
            NewCase(
                incident=NewIncident("metropolitan", datetime(2025, 3, 4, 18, 0, tzinfo=UTC),
                                     "Brixton Road", "stop-and-search", narrative,
                                     evidence=evidence),
                reporter_kind="anonymous",
                allegations=(NewAllegation(officer.id, "use-of-force", "ask the PSD", due),),
                received_at=datetime(2025, 3, 5, tzinfo=UTC),
            ),
            "t", org, ENTITLED,
        )  # fmt: skip


@pytest.fixture(scope="module")
def casework_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("OPENWITNESS_RATE_SIGN_IN", "1000 per minute")  # these tests sign in often
        with served(tmp_path_factory.mktemp("casework"), seed) as base:
            yield base


def sign_in(page: Any, base: str, username: str, then: str = "/cases") -> None:
    page.goto(f"{base}{then}")
    assert "/sign-in" in page.url  # not signed in: sent to sign in, and back afterwards
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(f"{base}{then}")


def fits_and_passes_axe(page: Any) -> None:
    assert_fits(page)
    assert serious_violations(page) == [], page.url


def test_a_caseworker_finds_a_case_records_an_outcome_and_sees_it_on_the_officers_profile(
    page: Any, casework_site: str
) -> None:
    base = casework_site
    sign_in(page, base, "cw")
    fits_and_passes_axe(page)
    assert page.locator("#case-table tbody tr").count() == 1  # not the other group's case

    page.fill("#q", "handcuffed")
    page.click("#apply-filters")
    rows = page.locator("#case-table tbody tr")
    assert rows.count() == 1
    rows.locator("a").first.click()
    assert page.locator("h1").text_content() == "Case #1"
    assert "handcuffed too tightly" in (page.locator(".narrative").text_content() or "")
    fits_and_passes_axe(page)

    page.click("#allegation-1 summary")
    page.select_option("#status-1", "closed")
    page.select_option("#final_finding-1", "case-to-answer-misconduct")
    page.select_option("#final_result-1", "final-written-warning")
    page.fill("#decided_on-1", "2025-06-01")
    page.fill("#closed_on-1", "2025-06-02")
    page.click("#allegation-1 button[type=submit]")
    page.wait_for_url(f"{base}/cases/1#allegation-1")
    assert "case to answer misconduct: final written warning" in (
        page.locator("#allegation-1 .final").text_content() or ""
    )
    change = page.locator("table.history tbody tr").last.text_content() or ""
    assert "Allegation 1 changed" in change and "None" not in change, change
    for line in (
        "status: received → closed",
        "final finding: — → case to answer misconduct",
        "final result: — → final written warning",
        "next action: ask the PSD → —",
    ):
        assert line in change, (line, change)

    page.click("#allegation-1 a[href^='/officers/']")
    assert page.locator("h1").text_content() == (
        "collar 1234, PC Example (Metropolitan Police Service)"
    )
    final = page.locator("#officer-allegation-1 .final").text_content() or ""
    assert "case to answer misconduct: final written warning" in final
    assert page.locator("#count-sustained").text_content() == "0"
    assert page.locator("#count-unresolved").text_content() == "1"  # the other group's case
    photo = page.locator(".photos img")
    assert photo.evaluate("i => i.decode().then(() => i.naturalWidth)") == 640
    fits_and_passes_axe(page)

    page.goto(f"{base}/cases/2")  # the other organisation's case: as if it did not exist
    assert page.locator("h1").text_content() == "Not found"


def test_the_case_page_plays_its_evidence_and_shows_its_metadata(
    page: Any, casework_site: str
) -> None:
    sign_in(page, casework_site, "cw", "/cases/1")
    video = page.locator(".evidence video")
    # Until it is played the video shows its thumbnail and fetches nothing (preload="none").
    assert video.get_attribute("preload") == "none"
    assert video.get_attribute("poster", timeout=5000).endswith("/thumbnail")
    video.evaluate(
        "v => { v.preload = 'metadata'; return new Promise((ok, no) => {"
        " v.onloadedmetadata = ok; v.onerror = () => no(v.error); v.load(); }); }"
    )
    assert video.evaluate("v => v.duration") > 0
    # The photo shows as its thumbnail (320 px wide), linking to the full image.
    thumbnail = page.locator(".evidence a.thumbnail img")
    assert thumbnail.evaluate("i => i.decode().then(() => i.naturalWidth)") == 320
    full = page.locator(".evidence a.thumbnail").get_attribute("href")
    assert page.request.get(f"{casework_site}{full}").headers["content-type"] == "image/jpeg"
    photo = facts(page.locator(".evidence", has_text="image/jpeg"))
    assert photo["Position"] == "43.4674, 11.8851", photo  # rounded to 4 decimals
    assert photo["Camera"] == "NIKON COOLPIX P6000" and photo["Taken"].startswith("2008-"), photo
    assert re.fullmatch(r"image/jpeg, \d+\.\d MB", photo["Type"]), photo
    video = facts(page.locator(".evidence", has_text="video/mp4"))
    assert "video (h264)" in video["Streams"] and re.fullmatch(r"\d+\.\d s", video["Length"])
    assert not {"gps", "device", "make", "model", "duration s", "codecs"} & set(video | photo)


def facts(section: Any) -> dict[str, str]:
    """A section's description list as {label: text}."""
    pairs = section.locator("dl.facts").evaluate(
        "dl => [...dl.querySelectorAll('dt')].map(dt => [dt.textContent.trim(),"
        " dt.nextElementSibling.textContent.trim()])"
    )
    return dict(pairs)


def test_a_bad_outcome_is_refused_beside_the_form_and_changes_nothing(
    page: Any, casework_site: str
) -> None:
    sign_in(page, casework_site, "cw", "/cases/1")
    page.click("#allegation-1 summary")
    page.fill("#decided_on-1", "2099-01-01")  # a date in the future (in the range taken)
    page.click("#allegation-1 button[type=submit]")
    alert = page.locator("#allegation-1 .error-summary").text_content() or ""
    assert "decided on" in alert and "future" in alert
    beside = page.locator("#decided_on-1-error").text_content() or ""  # next to the field too
    assert "future" in beside
    assert page.locator("#decided_on-1").get_attribute("aria-invalid") == "true"
    fits_and_passes_axe(page)


def test_a_new_allegation_shows_the_officers_unresolved_allegations_elsewhere(
    page: Any, casework_site: str
) -> None:
    sign_in(page, casework_site, "cw", "/cases/1")
    page.click("#add-allegation summary")
    page.fill("#new-officer", "999")  # no such officer: refused beside the field
    page.select_option("#new-category", "use-of-force")
    page.click("#add-allegation-button")
    assert "no officer 999" in (page.locator("#new-officer-error").text_content() or "")
    fits_and_passes_axe(page)

    page.fill("#new-officer", "1")
    page.select_option("#new-category", "use-of-force")
    page.fill("#new-next_action", "request the body-worn video")
    page.fill("#new-due_on", "2099-01-01")  # not overdue: the dashboard test counts those
    page.click("#add-allegation-button")
    page.wait_for_url(re.compile(r"/cases/1#allegation-\d+$"))
    added = page.locator(f"#{page.url.split('#')[1]}")
    assert "request the body-worn video" in (added.text_content() or "")
    # The other organisation's open allegation against the same officer is in view.
    warning = added.locator(".earlier").text_content() or ""
    assert "1 unresolved allegation in other cases" in warning


def test_the_overdue_dashboard_lists_and_counts_the_overdue(page: Any, casework_site: str) -> None:
    sign_in(page, casework_site, "admin", "/overdue")
    assert page.locator("#overdue-total").text_content() == "1"  # the other group's, still open
    assert page.locator("#overdue-table tbody tr").count() == 1
    fits_and_passes_axe(page)


def test_the_import_page_shows_every_row_a_dry_run_would_refuse(
    page: Any, casework_site: str, tmp_path: Path
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "collar,name,rank,unit,warrant,since\n"
        "1001,PC One,Police Constable,Response,,2024-01-01\n"
        "12#4,PC Two,Police Constable,Response,,2024-01-01\n"
        "1003,PC Three,Police Constable,Response,,2999-01-01\n"
    )
    sign_in(page, casework_site, "admin", "/import")
    page.fill("#source", "Bad Source!")
    page.set_input_files("#file", str(roster))
    page.click("#run-import")
    assert "lower-case letters" in (page.locator("#source-error").text_content() or "")
    page.fill("#source", "foi-2026")
    page.set_input_files("#file", str(roster))
    page.check("#dry_run")
    page.click("#run-import")
    report = page.locator("#import-report")
    assert "Dry run: 2 rows refused" in (report.locator("h2").text_content() or "")
    reasons = page.locator("#rejections tbody tr").all_text_contents()
    assert len(reasons) == 2 and "collar" in reasons[0] and "since" in reasons[1]
    fits_and_passes_axe(page)


def test_pages_keep_to_each_roles_rights(browser: Any, casework_site: str) -> None:
    base = casework_site
    assert httpx.get(f"{base}/cases", follow_redirects=False).status_code == 303
    for elsewhere in ("//evil.example/", "/\\evil.example/", "https://evil.example/"):
        signed = httpx.post(f"{base}/sign-in", data={"username": "cw", "password": PASSWORD,
                            "next": elsewhere}, follow_redirects=False)  # fmt: skip
        assert signed.headers["location"] == "/cases", elsewhere  # no open redirect
    context = browser.new_context()
    page = context.new_page()
    try:
        sign_in(page, base, "analyst")
        page.goto(f"{base}/cases/1")
        assert page.locator(".narrative").count() == 0  # de-identified: no narrative
        assert page.locator(".evidence video, .evidence img").count() == 0
        sha = page.locator(".evidence code.hash").first.text_content()
        assert page.goto(f"{base}/cases/1/evidence/{sha}").status == 403
        page.goto(f"{base}/officers/1")
        assert page.locator(".photos img").count() == 0
        photo = hashlib.sha256(PHOTO.read_bytes()).hexdigest()
        assert page.goto(f"{base}/officers/1/photos/{photo}").status == 403
        assert page.goto(f"{base}/import").status == 403
        # A form posted without this session's CSRF token is refused.
        cookies = {c["name"]: c["value"] for c in context.cookies()}
        forged = httpx.post(f"{base}/allegations/1/outcome", data={"status": "closed"},
                            cookies=cookies, follow_redirects=False)  # fmt: skip
        assert forged.status_code == 403
    finally:
        context.close()
