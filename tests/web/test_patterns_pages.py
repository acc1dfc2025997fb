"""The early-warning page and the percentiles on officer profiles: caseworkers see who is
flagged and why, analysts the same flags with no officer named, and a phone shows it all."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openwitness.api.deps import SESSION_COOKIE
from openwitness.app import create_app
from openwitness.services import Services, open_services
from tests.patterns.conftest import import_rows, load, make_rows
from tests.web.conftest import assert_fits, serious_violations, served
from tests.web.test_casework_http import main_text

PASSWORD = "correct horse battery staple"
ROLES = {"cw": "caseworker", "analyst": "analyst", "admin": "admin"}


def add_accounts(services: Services) -> None:
    services.accounts.add_organisation("law-centre", "Law Centre")
    for user, role in ROLES.items():
        services.accounts.create(
            user, PASSWORD, role, "law-centre" if role == "caseworker" else None
        )


def signed_in(app: Any, user: str) -> TestClient:
    client = TestClient(app, base_url="https://testserver")
    answer = client.post(
        "/sign-in", data={"username": user, "password": PASSWORD, "next": "/cases"},
        follow_redirects=False,
    )  # fmt: skip
    assert answer.status_code == 303 and SESSION_COOKIE in client.cookies
    return client


@pytest.fixture(scope="module")
def trained_site(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Services, dict[str, TestClient]]]:
    roster, rows = make_rows()
    settings = load(tmp_path_factory.mktemp("patterns-pages"), roster, rows)
    services = open_services(settings)
    add_accounts(services)
    services.early_warning.train("sustained", "tester")
    app = create_app(replace(settings, rates={k: "1000000 per minute" for k in settings.rates}))
    clients = {user: signed_in(app, user) for user in ROLES}
    clients["anonymous"] = TestClient(app, base_url="https://testserver")
    yield services, clients
    for client in clients.values():
        client.close()
    services.close()


def test_caseworkers_see_who_is_flagged_why_and_how_the_model_was_judged(
    trained_site: tuple[Services, dict[str, TestClient]],
) -> None:
    services, clients = trained_site
    run = services.early_warning.current("sustained")
    assert run is not None and run.flags
    html = clients["cw"].get("/patterns").text
    text = main_text(html)
    labels = services.officers.labels([f.officer_id for f in run.flags])
    for flag in run.flags:
        assert f'href="/officers/{flag.officer_id}"' in html
        assert labels[flag.officer_id] in text
        for fact in flag.facts:
            if not fact["partners"]:
                assert fact["words"] in text
    pooled = run.model.evaluation["rules"]["rule>=3/12m"]
    assert f"{abs(pooled['hits_difference_pct']):.1f}%" in text
    assert f"As of {run.as_of}" in text and "never a finding" in text
    # the order is the model's ranking
    shown = [
        int(n)
        for n in re.findall(r'<li id="flag-\d+">\s*<h2>\d+\. <a href="/officers/(\d+)"', html)
    ]
    assert shown == [f.officer_id for f in run.flags]


def test_analysts_see_the_same_flags_with_no_officer_named(
    trained_site: tuple[Services, dict[str, TestClient]],
) -> None:
    services, clients = trained_site
    run = services.early_warning.current("sustained")
    assert run is not None
    html = clients["analyst"].get("/patterns").text
    text = main_text(html)
    assert len(re.findall(r'<li id="flag-\d+">', html)) == len(run.flags)
    assert "/officers/" not in html  # no link to any officer
    named = {f.officer_id for f in run.flags} | {
        p["officer"] for f in run.flags for fact in f.facts for p in fact["partners"]
    }
    for label in services.officers.labels(named).values():
        assert label not in text
    assert "Officers are not named for analysts" in text
    assert f"Flag {len(run.flags)}" in text
    # and an officer's profile never tells an analyst the officer is flagged
    flagged = run.flags[0].officer_id
    profile = clients["analyst"].get(f"/officers/{flagged}").text
    assert 'id="peer-percentile"' in profile and 'id="flagged"' not in profile
    assert 'id="flagged"' in clients["cw"].get(f"/officers/{flagged}").text


def test_every_profile_shows_the_officer_among_peers(
    trained_site: tuple[Services, dict[str, TestClient]],
) -> None:
    services, clients = trained_site
    with services.db.read() as conn:
        officer = conn.exec_driver_sql("SELECT min(id) FROM officer").scalar_one()
    standing = services.early_warning.standing(officer)
    assert standing is not None
    text = main_text(clients["cw"].get(f"/officers/{officer}").text)
    p = standing.percentiles
    assert f"{p['allegations_5y']} allegation" in text
    if p["method"]:
        assert f"than {int(p['percentile'])}% of the force's officers" in text
        for group, value in p["by_category"].items():
            assert f"{group.replace('-', ' ').capitalize()}: more than {int(value)}%" in text


def test_the_page_refuses_other_labels_and_asks_anonymous_people_to_sign_in(
    trained_site: tuple[Services, dict[str, TestClient]],
) -> None:
    _, clients = trained_site
    bad = clients["cw"].get("/patterns?label=everything", headers={"Accept": "text/html"})
    assert bad.status_code == 400 and "sustained or any" in bad.text and "Traceback" not in bad.text
    away = clients["anonymous"].get("/patterns", follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"].startswith("/sign-in")
    untrained = main_text(clients["cw"].get("/patterns?label=any").text)
    assert "No early-warning model has been trained" in untrained
    assert "witness patterns train --label any" in untrained


def test_the_flags_fit_a_phone(page: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """At 360 px, served by a real `witness serve`: nothing wider than the screen, the first
    flag's facts visible, no serious accessibility problem."""
    home = tmp_path_factory.mktemp("patterns-phone")

    def seed(services: Services) -> None:
        import_rows(services, home, *make_rows())
        add_accounts(services)
        services.early_warning.train("sustained", "tester")

    with served(home, seed) as base:
        page.goto(f"{base}/patterns")
        page.fill("#username", "cw")
        page.fill("#password", PASSWORD)
        page.click("#sign-in")
        page.wait_for_url(f"{base}/patterns")
        assert page.locator("#flag-1 .flag-facts li").first.is_visible()
        assert_fits(page)
        assert serious_violations(page) == []
