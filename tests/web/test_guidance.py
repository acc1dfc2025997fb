"""What to do next: the complaints guidance, the complaint letter filled in from a report (only
for the browser that sent it), who runs the site on every page, and a rights page with no
internal notes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from openwitness.app import create_app
from openwitness.core.config import DEFAULT_SITE_OPERATOR, Settings
from openwitness.services import Services
from tests.web.conftest import served

FORM = {
    "occurred_at": "2025-06-01T14:30",
    "place": "Outside Brixton station",
    "latitude": "51.4626",
    "longitude": "-0.1149",
    "force": "metropolitan",
    "encounter_type": "stop-and-search",
    "narrative": "Two officers searched my bag without saying why.",
    "officer_description": "PC 4471, tall, red beard; van BX19 KLM",
    "reporter_kind": "anonymous",
}
FILES = [
    ("files", ("first.pdf", b"%PDF-1.4\n% first\n%%EOF\n", "application/pdf")),
    ("files", ("second.pdf", b"%PDF-1.4\n% second\n%%EOF\n", "application/pdf")),
]
SHAS = [hashlib.sha256(content).hexdigest() for _, (_, content, _) in FILES]
#: what only the reporter's letter may show
REPORTED = (
    "Metropolitan Police Service",
    "Outside Brixton station",
    "PC 4471, tall, red beard; van BX19 KLM",
    "Two officers searched my bag without saying why.",
    *SHAS,
)


@contextmanager
def site(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        yield client


def words(response: httpx.Response) -> str:
    """The page's text with each run of white space as one space, as a reader sees it."""
    return " ".join(response.text.split())


def report(client: TestClient) -> httpx.Response:
    made = client.post("/report", data=FORM, files=FILES)
    assert made.status_code == 200 and made.url.path == "/report/receipt", made.text
    return made


def test_the_letter_is_filled_in_from_the_report_this_browser_sent(services: Services) -> None:
    with site(services.settings) as client:
        receipt = report(client)
        assert 'href="/report/letter"' in receipt.text and 'href="/complain"' in receipt.text
        assert "This report is not a complaint to the police" in words(receipt)
        letter = client.get("/report/letter")
        assert letter.status_code == 200
        text = words(letter)
        assert letter.headers["cache-control"] == "no-store"
        for reported in REPORTED:
            assert reported in text, reported
        assert "Sunday 1 June 2025 at 14:30 (UK time)" in text
        assert "map position 51.462600, -0.114900" in text
        assert "Officers: PC 4471" not in text  # the description is its own line
        assert f"https://testserver/api/v1/evidence/{SHAS[0]}/receipt" in text
        assert "witness verify FILE --receipt RECEIPT --key" in text
        assert "https://testserver/verify" in text
        assert "not a complaint to the police" in text
        # the blank letter never shows a report, even to the browser that sent it
        blank = client.get("/complain/letter")
        assert blank.status_code == 200
        assert not [text for text in REPORTED if text in blank.text]


def test_another_browser_never_gets_someone_elses_letter(services: Services) -> None:
    with site(services.settings) as reporter, site(services.settings) as stranger:
        report(reporter)
        for attempt in (
            stranger.get("/report/letter"),
            stranger.get("/report/letter?case=1"),
            stranger.get("/complain/letter?case=1"),
        ):
            assert attempt.status_code == 200
            assert not [text for text in REPORTED if text in attempt.text], attempt.url
        assert "We could not find a report sent from this browser" in words(
            stranger.get("/report/letter")
        )
        stranger.cookies.set("ow_receipt", "x" * 43, path="/report")  # a made-up key
        guessed = stranger.get("/report/letter")
        assert not [text for text in REPORTED if text in guessed.text]


def test_the_complaints_page_says_a_report_is_not_a_complaint_and_how_to_make_one(
    services: Services,
) -> None:
    with site(services.settings) as client:
        page = client.get("/complain")
        assert page.status_code == 200
        text = words(page)
        assert "A report on this site is not a complaint to the police." in text
        for fact in (
            "Independent Office for Police Conduct",  # England and Wales
            "28 days",  # the review application
            "Police Investigations and Review Commissioner",
            "three months",  # a PIRC review
            "Police Ombudsman for Northern Ireland",
            "one year",  # complaining to the Ombudsman
            "1 February 2020",  # the 2020 regulations
            "We could not confirm a fixed time limit",
        ):
            assert fact in text, fact
        assert "legislation.gov.uk/uksi/2020/2/regulation/29" in text  # sources are cited
        assert 'href="/complain/letter"' in text
        home = client.get("/").text
        assert 'href="/complain"' in home and "Make an official complaint" in home


def test_every_page_names_who_runs_the_site_and_how_to_reach_them(services: Services) -> None:
    configured = replace(
        services.settings,
        site_operator="Brixton Community Law Centre",
        site_contact="help@brixton-law.example",
    )
    with site(configured) as client:
        for path in ("/", "/complain", "/complain/letter", "/rights", "/report", "/no-such-page"):
            page = words(client.get(path, headers={"Accept": "text/html"}))
            assert "This site is run by <strong>Brixton Community Law Centre</strong>" in page
            assert 'href="mailto:help@brixton-law.example"' in page, path
    with site(services.settings) as client:
        page = words(client.get("/complain"))
        assert f"This site is run by <strong>{DEFAULT_SITE_OPERATOR}</strong>" in page
        assert "How to contact them has not been set up on this site." in page


def test_the_operator_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENWITNESS_SITE_OPERATOR", "  Lambeth Copwatch ")
    monkeypatch.setenv("OPENWITNESS_SITE_CONTACT", "https://copwatch.example/contact")
    settings = Settings.from_env()
    assert settings.site_operator == "Lambeth Copwatch"
    assert settings.site_contact == "https://copwatch.example/contact"
    monkeypatch.setenv("OPENWITNESS_SITE_OPERATOR", "")
    monkeypatch.delenv("OPENWITNESS_SITE_CONTACT")
    settings = Settings.from_env()
    assert (settings.site_operator, settings.site_contact) == (DEFAULT_SITE_OPERATOR, "")


def test_witness_serve_shows_the_operator_set_in_its_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("OPENWITNESS_SITE_OPERATOR", "Lambeth Copwatch")
    monkeypatch.setenv("OPENWITNESS_SITE_CONTACT", "https://copwatch.example/contact")
    with served(tmp_path) as base:
        page = " ".join(httpx.get(base + "/complain", timeout=10).text.split())
    assert "This site is run by <strong>Lambeth Copwatch</strong>" in page
    assert '<a href="https://copwatch.example/contact">' in page


def test_the_rights_page_has_no_internal_notes(services: Services) -> None:
    with site(services.settings) as client:
        text = words(client.get("/rights"))
    notes = ("Not yet verified", "not verified", "was not read", "was not checked", "unverified")
    for note in notes:
        assert note not in text, note
    assert "we could not confirm" in text
    assert 'href="/complain"' in text
