"""Every error a person can meet on a page is a page in plain words that fits a phone: never
JSON, a framework's dump or a stack trace."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from openwitness.services import Services
from tests.web.conftest import assert_fits, serious_violations, served

PASSWORD = "correct horse battery staple"


def seed(services: Services) -> None:
    services.accounts.add_organisation("law-centre", "Law Centre")
    services.accounts.create("case", PASSWORD, "caseworker", "law-centre")


@pytest.fixture(scope="module")
def caseworker_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served(tmp_path_factory.mktemp("errors"), seed) as base:
        yield base


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/no-such-page", 404, "There is no page at this address"),
        ("/report/receipt", 404, "This receipt is no longer here"),
        ("/officers/abc", 422, "This address is not one the site can show"),
        ("/cases/99999999999", 422, "This address is not one the site can show"),
        ("/cases/99999", 404, "No case 99999"),
    ],
)
def test_error_pages_are_plain_pages_that_fit_a_phone(
    page: Any, caseworker_site: str, path: str, status: int, words: str
) -> None:
    page.goto(caseworker_site + "/sign-in")
    page.fill("#username", "case")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(caseworker_site + "/cases")
    response = page.goto(caseworker_site + path)
    assert response.status == status
    assert response.headers["content-type"].startswith("text/html")
    text = page.locator("main").inner_text()
    assert words.lower() in text.lower(), text
    for leak in ("detail", "Traceback", "{", "loc"):
        assert leak not in text
    assert page.locator("h1").count() == 1
    assert_fits(page)
    assert serious_violations(page) == []


def test_the_blank_site_has_no_page_for_a_typo(page: Any, caseworker_site: str) -> None:
    response = page.goto(caseworker_site + "/reprot")
    assert response.status == 404 and "text/html" in response.headers["content-type"]
    assert page.locator("a[href='/']").count() >= 1  # a way back
